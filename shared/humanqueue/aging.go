// Package humanqueue holds the rules of the human queues agents work: which waiting contact an agent takes next
// (aging across priorities), leases and when they expire, and what a queue's figures mean.
package humanqueue

import (
	"slices"
	"time"

	"breakwater/shared/priority"
)

// Targets is how long a contact of each priority may wait before it is served ahead of newer, higher-priority ones.
type Targets map[priority.Priority]time.Duration

// DefaultTargets: urgent 1 minute, high 5, normal 15, low 60.
func DefaultTargets() Targets {
	return Targets{priority.Urgent: time.Minute, priority.High: 5 * time.Minute, priority.Normal: 15 * time.Minute, priority.Low: time.Hour}
}

// Waiting is a contact in a human queue, as the claim decision sees it.
type Waiting struct {
	ID         string
	Priority   priority.Priority
	EnqueuedAt time.Time
}

// Overdue reports whether w has waited past its priority's target at now.
func (t Targets) Overdue(w Waiting, now time.Time) bool {
	return now.Sub(w.EnqueuedAt) > t[w.Priority]
}

// Before reports whether a should be served before b at now: a contact past its target comes before one within it
// (so nothing starves), then higher priority, then the one that waited longer.
func (t Targets) Before(a, b Waiting, now time.Time) bool {
	if ao, bo := t.Overdue(a, now), t.Overdue(b, now); ao != bo {
		return ao
	}
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if !a.EnqueuedAt.Equal(b.EnqueuedAt) {
		return a.EnqueuedAt.Before(b.EnqueuedAt)
	}
	return a.ID < b.ID
}

// Order sorts ws so the contact to serve first comes first.
func (t Targets) Order(ws []Waiting, now time.Time) {
	slices.SortFunc(ws, func(a, b Waiting) int {
		switch {
		case t.Before(a, b, now):
			return -1
		case t.Before(b, a, now):
			return 1
		}
		return 0
	})
}
