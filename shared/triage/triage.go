// Package triage decides, for one contact, whether a template answers it, a person must, or the bot declines it
// as off-topic, and how urgently a person must see it.
package triage

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/priority"
)

// Thresholds on the matcher's probabilities (answer.Result), chosen on the development set (see EVAL.md):
//   - a template answers when its intent reaches MinConfidence, beats the runner-up by MinMargin and beats every
//     hand-off class;
//   - a hand-off class (complaint, payment problem, ...) sends the contact to a person with that reason when it
//     reaches MinHandoff and beats every intent;
//   - the bot declines off-topic text when the off-topic class reaches MinDecline, beats everything else, and the
//     text mentions nothing of a shop (shopCue).
const (
	MinConfidence = 0.45
	MinMargin     = 0.20
	MinHandoff    = 0.40
	MinDecline    = 0.70
)

// Thresholds are the four thresholds a Triage decides with.
type Thresholds struct {
	Confidence, Margin, Handoff, Decline float64
}

// DefaultThresholds are the constants above.
var DefaultThresholds = Thresholds{Confidence: MinConfidence, Margin: MinMargin, Handoff: MinHandoff, Decline: MinDecline}

// Decision is what happens to one contact.
type Decision struct {
	// Auto: a template answers. Decline: the bot answers that it cannot help with this (off-topic) and that a
	// person is one message away; nothing is queued. Neither: a person must, see Priority and Reasons.
	Auto    bool
	Decline bool
	Intent  string
	// Template is the answering template's id when Auto.
	Template   string
	Confidence float64
	// Answer is the rendered reply when Auto or Decline; Asked says it asks the shopper for something the
	// template needs (an order number) instead of answering.
	Answer     string
	Asked      bool
	Priority   priority.Priority
	Reasons    []string
	Candidates []answer.Candidate
	// Others are the probabilities of the classes no template answers (off-topic, hand-off reasons).
	Others []answer.Other
}

// Triage holds the template index and the priority rules; it is built once per catalog version.
type Triage struct {
	index *answer.Index
	rules map[string]priority.Rules
	// Thresholds start as DefaultThresholds; the evaluation sweeps them on the development set.
	Thresholds Thresholds
}

// New builds a Triage from templates and per-merchant rules, trained on the platform templates' examples and the
// platform's phrasings (pack.Phrasings); a merchant's own templates answer that merchant's shoppers only and
// change nothing for others (see answer.Index). Rules for answer.Platform apply to merchants without their own.
func New(templates []answer.Template, rules map[string]priority.Rules) (*Triage, error) {
	training, err := PlatformTraining()
	if err != nil {
		return nil, fmt.Errorf("build triage: %w", err)
	}
	return Build(templates, rules, training)
}

// PlatformTraining is what every catalog's matcher learns from besides its templates' examples: the phrasing
// grammars' sentences, the hand-written off-topic questions, and what the shoppers' sets teach (pack.Shoppers)
// but the sets named in leaveOut, which the quality tests score with a matcher that never saw them.
func PlatformTraining(leaveOut ...string) (answer.Training, error) {
	taught, err := pack.Shoppers()
	if err != nil {
		return nil, err
	}
	return TrainingWith(taught, leaveOut...)
}

// TrainingWith is PlatformTraining with the shoppers' lines given: the snapshot's writer trains on the sets it
// has just derived.
func TrainingWith(taught []pack.Taught, leaveOut ...string) (answer.Training, error) {
	phrased, err := pack.Phrasings()
	if err != nil {
		return nil, err
	}
	training := answer.Training{}
	for locale, classes := range phrased {
		// Clipped, so that the first sentence added to a class copies it: the grammars' sentences are shared by
		// every build.
		training[locale] = make(map[string][]string, len(classes))
		for class, ss := range classes {
			training[locale][class] = slices.Clip(ss)
		}
	}
	add := func(locale, class string, texts ...string) {
		if training[locale] == nil {
			training[locale] = map[string][]string{}
		}
		training[locale][class] = append(training[locale][class], texts...)
	}
	for locale, qs := range answer.OffTopicExamples() {
		add(locale, answer.OffTopic, qs...)
	}
	for _, t := range taught {
		if !slices.Contains(leaveOut, t.Set) {
			add(t.Locale, t.Class, t.Text)
		}
	}
	return training, nil
}

// Build is New with the training given, for tests that need a matcher of their own templates alone.
func Build(templates []answer.Template, rules map[string]priority.Rules, training answer.Training) (*Triage, error) {
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
	return &Triage{index: answer.NewIndex(templates, training), rules: rules, Thresholds: DefaultThresholds}, nil
}

// Rules returns the priority rules that apply to merchant.
func (t *Triage) Rules(merchant string) priority.Rules {
	if r, ok := t.rules[merchant]; ok {
		return r
	}
	return t.rules[answer.Platform]
}

// Decide answers c from a template when one fits with confidence and nothing calls for a person, declines
// off-topic text, and otherwise picks a human queue.
func (t *Triage) Decide(c contact.Contact, now time.Time) Decision {
	text := Normalize(c.Text)
	signals := Inspect(text, c.Locale)
	res := t.index.Classify(text, string(c.Locale), c.Merchant, now)
	d := Decision{Candidates: res.Candidates, Others: res.Others}
	best := 0.0
	if len(res.Candidates) > 0 {
		d.Intent, d.Template, d.Confidence = res.Candidates[0].Template.Intent, res.Candidates[0].Template.ID, res.Candidates[0].Score
		best = res.Candidates[0].Score
	}
	handoff, handoffScore := topHandoff(res.Others)
	offTopic := res.Other(answer.OffTopic)
	guarded := len(signals.Reasons) > 0 || signals.Negative
	switch {
	case guarded:
	case handoffScore >= t.Thresholds.Handoff && handoffScore > best:
		signals.Reasons = []string{handoff}
	case t.Thresholds.confident(res.Candidates, c.Topic) && best > handoffScore && best > offTopic && !foreign(text):
		tpl := res.Candidates[0].Template
		text, err := tpl.Render(c)
		if err == nil {
			d.Auto, d.Answer, d.Asked = true, text, len(tpl.Missing(c)) > 0
			return d
		}
		// A required field is missing and the template hands off: a person asks for it.
		signals.Reasons = append(signals.Reasons, intent.NoMatch)
	case offTopic >= t.Thresholds.Decline && offTopic > best && offTopic > handoffScore && declinable(text):
		d.Decline, d.Intent, d.Template, d.Confidence, d.Answer = true, "", "", offTopic, declineText(c.Locale)
		return d
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

// topHandoff returns the most likely hand-off class among others.
func topHandoff(others []answer.Other) (string, float64) {
	for _, o := range others { // best first
		if intent.KnownReason(o.Class) && o.Class != intent.NoMatch {
			return o.Class, o.Score
		}
	}
	return "", 0
}

// confident reports whether the best candidate may answer: it must reach MinConfidence and lead by MinMargin,
// unless the shopper picked its intent from the topic menu, which settles a close call.
func (th Thresholds) confident(cands []answer.Candidate, topic string) bool {
	if len(cands) == 0 || cands[0].Score < th.Confidence {
		return false
	}
	return len(cands) == 1 || cands[0].Score-cands[1].Score >= th.Margin || (topic != "" && topic == cands[0].Template.Intent)
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

// HandOff is the decision to give c to a person for reasons the conversation itself gives (the shopper said the
// bot's answer did not help, named an order the storefront did not send): the merchant's rules set its priority.
func (t *Triage) HandOff(c contact.Contact, reasons ...string) Decision {
	var d Decision
	d.Priority, d.Reasons = t.Rules(c.Merchant).Decide(facts(c), priority.Signals{Reasons: reasons, Negative: Inspect(Normalize(c.Text), c.Locale).Negative})
	return d
}
