package model

import "strconv"

// formatFloat prints v with at most two decimals and no trailing zeros.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
