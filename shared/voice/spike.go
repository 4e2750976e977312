package voice

import (
	"time"
)

// Thresholds say when a problem's count is news.
type Thresholds struct {
	// A spike is at least Factor times the baseline and at least MinCount contacts in the window.
	Factor   float64 `json:"factor"`
	MinCount int     `json:"minCount"`
	// Regression is how many contacts a resolved problem needs in a window to be flagged as back.
	Regression int `json:"regression"`
	// Cooldown is how long after an alert the same problem alerts again, unless its count doubled since.
	Cooldown time.Duration `json:"cooldown"`
}

// DefaultThresholds: three times the usual and at least ten contacts in the hour, as the issue suggests.
var DefaultThresholds = Thresholds{Factor: 3, MinCount: 10, Regression: 3, Cooldown: 6 * time.Hour}

// Spike reports whether count against baseline is a spike.
func (t Thresholds) Spike(count int, baseline float64) bool {
	return count >= t.MinCount && float64(count) >= t.Factor*baseline
}

// HourCounts are one merchant's contacts per cluster in one hour, written once that hour is over.
type HourCounts struct {
	Merchant string         `json:"merchant"`
	Hour     time.Time      `json:"hour"` // the hour's start, UTC
	Counts   map[string]int `json:"counts"`
	// Total counts every voice of the hour, clustered or not.
	Total int `json:"total"`
}

// BaselineDays is how far back a baseline looks: the same hours of the last seven days.
const BaselineDays = 7

// Baseline is a cluster's usual count for the window [from, to): the mean, over the BaselineDays days before,
// of its counts in the same hours of the day, an hour counted in proportion to how much of it the window
// covers. Days without figures (the system was not running, or the merchant had no contacts at all) are left
// out; days is how many had figures. With none, the baseline is 0 and days 0.
func Baseline(hours map[time.Time]HourCounts, cluster string, from, to time.Time) (mean float64, days int) {
	var sum float64
	for d := 1; d <= BaselineDays; d++ {
		shift := time.Duration(d) * 24 * time.Hour
		n, seen := overlap(hours, cluster, from.Add(-shift), to.Add(-shift))
		if seen {
			sum += n
			days++
		}
	}
	if days == 0 {
		return 0, 0
	}
	return sum / float64(days), days
}

// overlap sums the cluster's counts over [from, to), prorating partly covered hours; seen is false when no hour
// of the span has figures.
func overlap(hours map[time.Time]HourCounts, cluster string, from, to time.Time) (float64, bool) {
	var sum float64
	seen := false
	for h := from.UTC().Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		hc, ok := hours[h]
		if !ok {
			continue
		}
		seen = true
		start, end := maxTime(h, from), minTime(h.Add(time.Hour), to)
		if !end.After(start) {
			continue
		}
		sum += float64(hc.Counts[cluster]) * end.Sub(start).Hours()
	}
	return sum, seen
}

// Trend is a cluster's count per hour for the n hours before to (oldest first), from hours.
func Trend(hours map[time.Time]HourCounts, cluster string, to time.Time, n int) []int {
	out := make([]int, n)
	end := to.UTC().Truncate(time.Hour)
	for i := range n {
		h := end.Add(-time.Duration(n-i) * time.Hour)
		out[i] = hours[h].Counts[cluster]
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
