package main

import "breakwater/shared/catalog"

// The checks live in package catalog, where the agent API's approval of a draft template runs them too.
var (
	lint       = catalog.Lint
	crossCheck = catalog.CrossCheck
)

type finding = catalog.Finding

// Severities of a finding.
const (
	Error   = catalog.Error
	Warning = catalog.Warning
)
