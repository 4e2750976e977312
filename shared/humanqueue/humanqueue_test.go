package humanqueue

import (
	"fmt"
	"testing"
	"time"

	"breakwater/shared/priority"
)

// TestAgingPreventsStarvation: a contact past its priority's target is served before newer, higher-priority ones.
func TestAgingPreventsStarvation(t *testing.T) {
	now := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
	w := func(id string, p priority.Priority, waited time.Duration) Waiting {
		return Waiting{ID: id, Priority: p, EnqueuedAt: now.Add(-waited)}
	}
	tests := []struct {
		name    string
		waiting []Waiting
		order   []string
	}{
		{"priority first while everyone is within target", []Waiting{
			w("low-new", priority.Low, time.Minute), w("normal-new", priority.Normal, 2*time.Minute),
			w("urgent-new", priority.Urgent, 10*time.Second), w("high-new", priority.High, time.Minute),
		}, []string{"urgent-new", "high-new", "normal-new", "low-new"}},
		{"an hour-old low contact goes before a new urgent one", []Waiting{
			w("urgent-new", priority.Urgent, 10*time.Second), w("low-old", priority.Low, 61*time.Minute),
			w("normal-old", priority.Normal, 16*time.Minute),
		}, []string{"normal-old", "low-old", "urgent-new"}},
		{"within one priority, longest wait first", []Waiting{
			w("high-2", priority.High, 2*time.Minute), w("high-1", priority.High, 3*time.Minute),
		}, []string{"high-1", "high-2"}},
		{"exactly at the target is not overdue yet", []Waiting{
			w("urgent", priority.Urgent, 0), w("normal-at-target", priority.Normal, 15*time.Minute),
		}, []string{"urgent", "normal-at-target"}},
		{"same wait and priority: by id, so every agent sees one order", []Waiting{
			w("b", priority.Normal, time.Minute), w("a", priority.Normal, time.Minute),
		}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			DefaultTargets().Order(tt.waiting, now)
			var got []string
			for _, w := range tt.waiting {
				got = append(got, w.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.order) {
				t.Errorf("order = %v, want %v", got, tt.order)
			}
		})
	}
}

func TestLeaseExpiry(t *testing.T) {
	taken := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
	l := Lease{Token: "t", ExpiresAt: Hold(taken, 3*time.Minute)}
	tests := []struct {
		at   time.Time
		held bool
	}{
		{taken, true},
		{l.ExpiresAt.Add(-time.Millisecond), true},
		{l.ExpiresAt, false}, // claimable again at the instant it ends
		{l.ExpiresAt.Add(time.Hour), false},
	}
	for _, tt := range tests {
		if got := l.Held(tt.at); got != tt.held {
			t.Errorf("held at %s = %v, want %v", tt.at.Sub(taken), got, tt.held)
		}
	}
	if got, want := Hold(taken, time.Hour), taken.Add(MaxHold); !got.Equal(want) {
		t.Errorf("an hour's hold ends at %s, want MaxHold %s", got.Sub(taken), MaxHold)
	}
}
