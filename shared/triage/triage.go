// Package triage decides, for one contact, whether a template answers it or a person must, and how urgently.
package triage

import (
	"errors"
	"fmt"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/priority"
)

// Thresholds: the best template must reach MinConfidence and beat the runner-up by MinMargin. Scores are the
// matcher's intent probabilities (see answer.Index). Tuned on testdata/dev.jsonl (see EVAL.md): confidences from
// 0.30 to 0.50 with margins around 0.20 meet the targets there; this pair sits inside that region, leaning to
// precision because a wrong answer costs more than a short wait for a person.
const (
	MinConfidence = 0.36
	MinMargin     = 0.20
)

// Decision is what happens to one contact.
type Decision struct {
	Auto       bool
	Intent     string
	Template   string
	Confidence float64
	// Answer is the rendered reply when Auto.
	Answer     string
	Priority   priority.Priority
	Reasons    []string
	Candidates []answer.Candidate
}

// Triage holds the template index and the priority rules; it is built once per template load.
type Triage struct {
	index *answer.Index
	rules map[string]priority.Rules
}

// New builds a Triage from templates and per-merchant rules; rules for answer.Platform apply to merchants without their own.
func New(templates []answer.Template, rules map[string]priority.Rules) (*Triage, error) {
	var errs []error
	for _, t := range templates {
		if err := t.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("build triage: %w", err)
	}
	if _, ok := rules[answer.Platform]; !ok {
		merged := map[string]priority.Rules{answer.Platform: priority.DefaultRules()}
		for m, r := range rules {
			merged[m] = r
		}
		rules = merged
	}
	return &Triage{index: answer.NewIndex(templates), rules: rules}, nil
}

// Rules returns the priority rules that apply to merchant.
func (t *Triage) Rules(merchant string) priority.Rules {
	if r, ok := t.rules[merchant]; ok {
		return r
	}
	return t.rules[answer.Platform]
}

// Decide answers c from a template when one fits with confidence and nothing calls for a person; otherwise it picks a human queue.
func (t *Triage) Decide(c contact.Contact, now time.Time) Decision {
	signals := Inspect(c.Text, c.Locale)
	cands := t.index.Match(c.Text, string(c.Locale), c.Merchant, now)
	d := Decision{Candidates: cands}
	if len(cands) > 0 {
		d.Intent, d.Template, d.Confidence = cands[0].Template.Intent, cands[0].Template.ID, cands[0].Score
	}
	if len(signals.Reasons) == 0 && !signals.Negative && confident(cands, c.Topic) {
		text, err := cands[0].Template.Render(c)
		if err == nil {
			d.Auto, d.Answer = true, text
			return d
		}
		// A required field is missing and the template hands off: a person asks for it.
		signals.Reasons = append(signals.Reasons, intent.NoMatch)
	}
	if len(signals.Reasons) == 0 && signals.Negative {
		// An angry message about a routine matter is still a complaint to the person who reads it.
		signals.Reasons = []string{intent.Complaint}
	}
	if len(signals.Reasons) == 0 {
		signals.Reasons = []string{intent.NoMatch}
	}
	d.Priority, d.Reasons = t.Rules(c.Merchant).Decide(facts(c), signals)
	return d
}

// confident reports whether the best candidate may answer: it must reach MinConfidence and lead by MinMargin,
// unless the shopper picked its intent from the topic menu, which settles a close call.
func confident(cands []answer.Candidate, topic string) bool {
	if len(cands) == 0 || cands[0].Score < MinConfidence {
		return false
	}
	return len(cands) == 1 || cands[0].Score-cands[1].Score >= MinMargin || (topic != "" && topic == cands[0].Template.Intent)
}

// facts are what the priority rules read about c.
// Only a storefront's signature vouches for an order's amount; an unsigned one raises nothing (its tier is already
// standard, see the intake).
func facts(c contact.Contact) priority.Facts {
	f := priority.Facts{Tier: string(c.Shopper.Tier), Repeat: c.Recent > 0}
	if c.Verified && c.Context != nil && c.Context.Order != nil {
		f.Amount, f.Currency = c.OrderAmount(), c.Context.Order.Currency
	}
	return f
}
