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

func TestRoute(t *testing.T) {
	rules := priority.DefaultRules()
	rules.Skills = map[string]string{"payment.problem": "payments"}
	tests := []struct {
		name          string
		rules         priority.Rules
		reasons       []string
		tenant, skill string
	}{
		{"a complaint is the merchant's", rules, []string{"complaint"}, "m1", ""},
		{"fraud is the platform's", rules, []string{"fraud"}, Platform, ""},
		{"a dispute beside a complaint is the platform's", rules, []string{"complaint", "dispute"}, Platform, ""},
		{"a payment problem needs the payments skill", rules, []string{"payment.problem"}, "m1", "payments"},
		{"a merchant that serves its own fraud", priority.Rules{Platform: []string{"dispute"}}, []string{"fraud"}, "m1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, skill := Route(tt.rules, "m1", tt.reasons)
			if tenant != tt.tenant || skill != tt.skill {
				t.Errorf("Route = %s %q, want %s %q", tenant, skill, tt.tenant, tt.skill)
			}
		})
	}
}

func TestShards(t *testing.T) {
	rules := map[string]priority.Rules{"*": {PlatformShards: 4}, "big": {Shards: 8}}
	of := func(m string) priority.Rules {
		if r, ok := rules[m]; ok {
			return r
		}
		return rules["*"]
	}
	for tenant, want := range map[string]int{"big": 8, "small": 1, Platform: 4} {
		if got := Shards(of, "*", tenant); got != want {
			t.Errorf("Shards(%s) = %d, want %d", tenant, got, want)
		}
	}
	seen := map[int]int{}
	for i := range 800 {
		s := ShardOf(fmt.Sprintf("c_%026d", i), 8)
		if s < 0 || s >= 8 || s != ShardOf(fmt.Sprintf("c_%026d", i), 8) {
			t.Fatalf("ShardOf = %d: not stable or out of range", s)
		}
		seen[s]++
	}
	for s, n := range seen {
		if n < 50 {
			t.Errorf("shard %d got %d of 800 contacts: not spread", s, n)
		}
	}
}
