// Package priority decides how soon a person must see a handed-off contact, and which waiting contact an agent takes next.
package priority

import (
	"fmt"
	"slices"
	"time"

	"breakwater/shared/contact"
)

// Priority orders the human queues; higher is served sooner.
type Priority int

// The four human queues.
const (
	Low Priority = iota
	Normal
	High
	Urgent
)

// All lists the priorities from most to least urgent.
var All = []Priority{Urgent, High, Normal, Low}

var names = [...]string{"low", "normal", "high", "urgent"}

func (p Priority) String() string {
	if p < Low || p > Urgent {
		return fmt.Sprintf("priority(%d)", int(p))
	}
	return names[p]
}

// Parse reads a priority name.
func Parse(s string) (Priority, error) {
	for i, n := range names {
		if n == s {
			return Priority(i), nil
		}
	}
	return Low, fmt.Errorf("unknown priority %q: want urgent, high, normal or low", s)
}

func clamp(p Priority) Priority { return max(Low, min(Urgent, p)) }

// Targets is how long a contact of each priority may wait before it is served ahead of newer, higher-priority ones.
type Targets map[Priority]time.Duration

// DefaultTargets follow the issue: urgent 1 min, high 5, normal 15, low 60.
func DefaultTargets() Targets {
	return Targets{Urgent: time.Minute, High: 5 * time.Minute, Normal: 15 * time.Minute, Low: time.Hour}
}

// AmountStep raises priority for orders of at least Min.
type AmountStep struct {
	Min   float64 `json:"min"`
	Raise int     `json:"raise"`
}

// Rules is the data that decides a handed-off contact's priority; it is kept in DynamoDB per merchant.
type Rules struct {
	// Reasons maps a hand-off reason to the lowest priority a contact with that reason gets.
	Reasons map[string]string `json:"reasons"`
	// Base is the priority of a contact no rule raises (a person was asked for nothing specific).
	Base string `json:"base"`
	// TierRaise raises priority by member tier.
	TierRaise map[contact.Tier]int `json:"tierRaise"`
	// Amounts raise priority by the attached order's amount; the largest matching step applies.
	Amounts []AmountStep `json:"amounts"`
	// RepeatRaise raises a shopper's contact when they wrote within contact.RepeatWindow before.
	RepeatRaise int `json:"repeatRaise"`
	// NegativeRaise raises a contact whose text carries strong negative sentiment.
	NegativeRaise int `json:"negativeRaise"`
	// TargetSeconds overrides DefaultTargets per priority name.
	TargetSeconds map[string]int `json:"targetSeconds,omitempty"`
}

// DefaultRules: a request for a person or a complaint goes high; payment problems, disputes and fraud urgent;
// gold and platinum members, large orders, repeat contacts and angry messages are raised one step.
func DefaultRules() Rules {
	return Rules{
		Reasons: map[string]string{
			"human.request":   "high",
			"complaint":       "high",
			"payment.problem": "urgent",
			"dispute":         "urgent",
			"fraud":           "urgent",
			"no.match":        "low",
		},
		Base:          "normal",
		TierRaise:     map[contact.Tier]int{contact.Gold: 1, contact.Platinum: 1},
		Amounts:       []AmountStep{{Min: 500, Raise: 1}},
		RepeatRaise:   1,
		NegativeRaise: 1,
	}
}

// Validate reports the first rule that names an unknown priority.
func (r Rules) Validate() error {
	if _, err := Parse(r.Base); err != nil {
		return fmt.Errorf("rules base: %w", err)
	}
	for reason, p := range r.Reasons {
		if _, err := Parse(p); err != nil {
			return fmt.Errorf("rules reason %s: %w", reason, err)
		}
	}
	for p, s := range r.TargetSeconds {
		if _, err := Parse(p); err != nil || s <= 0 {
			return fmt.Errorf("rules target for %q: want a priority name and a positive number of seconds", p)
		}
	}
	return nil
}

// Targets returns the waiting targets with the rules' overrides applied.
func (r Rules) Targets() Targets {
	t := DefaultTargets()
	for name, s := range r.TargetSeconds {
		if p, err := Parse(name); err == nil && s > 0 {
			t[p] = time.Duration(s) * time.Second
		}
	}
	return t
}

// Signals are what the triage found in a contact, beyond the contact itself.
type Signals struct {
	Reasons  []string // hand-off reasons, see package intent
	Negative bool     // strong negative sentiment
}

// Decide returns the priority of a handed-off contact and why, in words an agent reads.
func (r Rules) Decide(c contact.Contact, s Signals) (Priority, []string) {
	p, err := Parse(r.Base)
	if err != nil {
		p = Normal
	}
	var why []string
	// The lowest floor among reasons is the base when the only reason is no.match.
	if len(s.Reasons) > 0 {
		floor := Low
		for _, reason := range s.Reasons {
			if name, ok := r.Reasons[reason]; ok {
				if q, err := Parse(name); err == nil && q > floor {
					floor = q
				}
			}
		}
		if !slices.Contains(s.Reasons, "no.match") || len(s.Reasons) > 1 {
			p = max(p, floor)
		} else {
			p = floor
		}
		why = append(why, s.Reasons...)
	}
	raise := 0
	if n := r.TierRaise[c.Shopper.Tier]; n != 0 {
		raise += n
		why = append(why, "tier."+string(c.Shopper.Tier))
	}
	amount := c.OrderAmount()
	best := 0
	for _, step := range r.Amounts {
		if amount >= step.Min && step.Raise > best {
			best = step.Raise
		}
	}
	if best > 0 {
		raise += best
		why = append(why, "order.amount")
	}
	if c.Recent > 0 && r.RepeatRaise != 0 {
		raise += r.RepeatRaise
		why = append(why, "repeat.contact")
	}
	if s.Negative && r.NegativeRaise != 0 {
		raise += r.NegativeRaise
		why = append(why, "negative.sentiment")
	}
	return clamp(p + Priority(raise)), why
}

// Waiting is a contact in a human queue, as the claim decision sees it.
type Waiting struct {
	ID         string
	Priority   Priority
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
