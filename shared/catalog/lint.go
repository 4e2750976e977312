package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/triage"
)

// Severity of a lint finding: errors stop a pack from being pushed or a draft from being approved; warnings are shown.
const (
	Error   = "error"
	Warning = "warning"
)

// Finding is one problem Lint or CrossCheck reports about one template (or the pack, when Template is empty).
type Finding struct {
	Severity string
	Template string
	Message  string
}

func (f Finding) String() string {
	if f.Template == "" {
		return fmt.Sprintf("%s: %s", f.Severity, f.Message)
	}
	return fmt.Sprintf("%s: %s: %s", f.Severity, f.Template, f.Message)
}

// minPlatformExamples is how many example questions a standing platform template needs to be matched reliably.
const minPlatformExamples = 15

var locales = []string{string(contact.English), string(contact.Chinese)}

// Lint checks a template pack: each template valid (known intent, locale, placeholders), ids unique, every intent
// the pack covers present in both locales (every intent at all for platform templates), no example question
// shared by two intents, and every answer and ask text rendering against a full sample context.
func Lint(ts []answer.Template) []Finding {
	var out []Finding
	add := func(sev, id, format string, args ...any) {
		out = append(out, Finding{Severity: sev, Template: id, Message: fmt.Sprintf(format, args...)})
	}
	ids := map[string]int{}
	type scope struct{ merchant, intent string }
	covered := map[scope]map[string]bool{}
	type exampleKey struct{ locale, merchant, text string }
	examples := map[exampleKey]*answer.Template{}
	platform := false
	for i := range ts {
		t := &ts[i]
		if t.ID != "" {
			ids[t.ID]++
			if ids[t.ID] == 2 {
				add(Error, t.ID, "duplicate id")
			}
		}
		if err := t.Validate(); err != nil {
			add(Error, t.ID, "%v", err)
			continue
		}
		if t.Merchant == answer.Platform {
			platform = true
		}
		windowed := t.ActiveFrom != nil || t.ActiveUntil != nil
		if !windowed {
			s := scope{t.Merchant, t.Intent}
			if covered[s] == nil {
				covered[s] = map[string]bool{}
			}
			covered[s][t.Locale] = true
		}
		switch n := len(t.Examples); {
		case n == 0:
			add(Error, t.ID, "no example questions: the matcher can never pick it")
		case t.Merchant == answer.Platform && !windowed && n < minPlatformExamples:
			add(Error, t.ID, "%d example questions, want at least %d for a standing platform template", n, minPlatformExamples)
		case n < 5:
			add(Warning, t.ID, "only %d example questions", n)
		}
		if t.ActiveFrom != nil && t.ActiveUntil != nil && !t.ActiveFrom.Before(*t.ActiveUntil) {
			add(Error, t.ID, "active window is empty: activeFrom %s is not before activeUntil %s", t.ActiveFrom, t.ActiveUntil)
		}
		if len(t.Requires) > 0 && t.WhenMissing == "" {
			add(Warning, t.ID, "requires %s but says nothing about whenMissing: a contact without them goes to a person", strings.Join(t.Requires, ", "))
		}
		seenHere := map[string]bool{}
		for _, ex := range t.Examples {
			k := exampleKey{t.Locale, t.Merchant, answer.Normalize(ex)}
			if k.text == "" {
				add(Error, t.ID, "example %q has no letters or digits", ex)
				continue
			}
			if seenHere[k.text] {
				add(Warning, t.ID, "example %q appears twice", ex)
				continue
			}
			seenHere[k.text] = true
			if other, ok := examples[k]; ok && other.Intent != t.Intent {
				add(Error, t.ID, "example %q collides with template %s (intent %s)", ex, other.ID, other.Intent)
			} else if !ok {
				examples[k] = t
			}
		}
		checkRender(t, add)
	}
	for s, have := range covered {
		for _, loc := range locales {
			if !have[loc] {
				add(Error, "", "merchant %s intent %s has no standing %s template", s.merchant, s.intent, loc)
			}
		}
	}
	if platform {
		for _, in := range intent.Intents {
			if covered[scope{answer.Platform, in}] == nil {
				add(Error, "", "platform templates lack intent %s", in)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.Severity != b.Severity {
			return strings.Compare(a.Severity, b.Severity) // errors first
		}
		return strings.Compare(a.Template, b.Template)
	})
	return out
}

// checkRender renders t's answer against a contact with every field set and its ask text against an empty one.
func checkRender(t *answer.Template, add func(sev, id, format string, args ...any)) {
	full := sampleContact(t)
	text, err := t.Render(full)
	switch {
	case err != nil:
		add(Error, t.ID, "answer does not render: %v", err)
	case strings.Contains(text, "{{") || strings.Contains(text, "}}"):
		add(Error, t.ID, "rendered answer still holds template braces: %q", text)
	}
	if t.WhenMissing == answer.MissingAsk && len(t.Requires) > 0 {
		ask, err := t.Render(contact.Contact{Locale: contact.Locale(t.Locale)})
		if err != nil {
			add(Error, t.ID, "ask text does not render: %v", err)
		} else if ask == "" {
			add(Error, t.ID, "ask text renders empty")
		}
	}
}

// sampleContact has every field a template may use, including the product attributes t names.
func sampleContact(t *answer.Template) contact.Contact {
	amount := 129.5
	attrs := map[string]string{"size": "M", "color": "black"}
	for _, src := range append([]string{t.Answer, t.Ask}, t.Requires...) {
		for _, name := range placeholdersIn(src) {
			if a, ok := strings.CutPrefix(name, "product.attributes."); ok {
				attrs[a] = "sample " + a
			}
		}
	}
	return contact.Contact{
		ID: "c_sample", Merchant: "m1", Shopper: contact.Shopper{ID: "s1", Tier: contact.Gold},
		Locale: contact.Locale(t.Locale), Channel: "web", Text: "sample",
		Context: &contact.Context{
			Order: &contact.Order{ID: "A1001", Status: "shipped", Carrier: "UPS", TrackingNumber: "1Z999AA10123456784",
				EstimatedDelivery: "2026-11-28", Amount: &amount, Currency: "USD"},
			Product: &contact.Product{SKU: "SKU-1", Name: "Down jacket", Attributes: attrs},
		},
	}
}

// placeholdersIn lists the {{names}} in src; requires entries are plain names and come back as they are.
func placeholdersIn(src string) []string {
	if !strings.Contains(src, "{{") {
		return []string{strings.TrimSpace(src)}
	}
	var names []string
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			return names
		}
		j := strings.Index(src[i:], "}}")
		if j < 0 {
			return names
		}
		names = append(names, strings.TrimSpace(src[i+2:i+j]))
		src = src[i+j+2:]
	}
}

// CrossCheck matches every example question against the whole pack and warns about those the matcher reads as
// another intent (such an example pulls questions toward the wrong answer) and those the hand-off guards would
// send to a person (a shopper asking that way never gets the template). It builds the pack's index, which trains
// the matcher (seconds); CrossCheckWith checks against a triage already built.
func CrossCheck(ts []answer.Template, now time.Time) []Finding {
	var valid []answer.Template
	for _, t := range ts {
		if t.Validate() == nil {
			valid = append(valid, t)
		}
	}
	training, err := triage.PlatformTraining()
	if err != nil {
		return []Finding{{Severity: Error, Message: fmt.Sprintf("phrasings: %v", err)}}
	}
	return crossCheck(valid, now, answer.NewIndex(valid, training).Match)
}

// crossCheck checks the examples of ts with match, the matcher of a catalog that holds them.
func crossCheck(ts []answer.Template, now time.Time, match func(text, locale, merchant string, at time.Time) []answer.Candidate) []Finding {
	var out []Finding
	for _, t := range ts {
		if t.Validate() != nil {
			continue
		}
		at := now
		if !t.Active(at) && t.ActiveFrom != nil {
			at = *t.ActiveFrom
		}
		for _, ex := range t.Examples {
			if s := triage.Inspect(ex, contact.Locale(t.Locale)); len(s.Reasons) > 0 || s.Negative {
				out = append(out, Finding{Severity: Warning, Template: t.ID, Message: fmt.Sprintf(
					"example %q would go to a person (guards: %s, negative %v)", ex, strings.Join(s.Reasons, ", "), s.Negative)})
			}
			cands := match(ex, t.Locale, t.Merchant, at)
			if len(cands) > 0 && cands[0].Template.Intent != t.Intent {
				out = append(out, Finding{Severity: Warning, Template: t.ID, Message: fmt.Sprintf(
					"example %q reads as %s (%.2f) rather than %s", ex, cands[0].Template.Intent, cands[0].Score, t.Intent)})
			}
		}
	}
	return out
}

// Check is what `templates lint` and an approval run: Lint and CrossCheck together, errors first.
func Check(ts []answer.Template, now time.Time) []Finding {
	out := append(Lint(ts), CrossCheck(ts, now)...)
	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.Severity != b.Severity {
			return strings.Compare(a.Severity, b.Severity)
		}
		return 0
	})
	return out
}

// Errors counts the findings that are errors.
func Errors(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity == Error {
			n++
		}
	}
	return n
}
