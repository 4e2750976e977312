package main

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/triage"
)

func TestGeneratorMix(t *testing.T) {
	const n = 20000
	g := NewGenerator(11, n, DefaultMix())
	kinds := map[Kind]int{}
	locales := map[contact.Locale]int{}
	intents := map[string]int{}
	texts := map[string]bool{}
	var withOrder, explicitLocale int
	for range n {
		s := g.Next()
		kinds[s.Kind]++
		locales[s.Locale]++
		intents[s.Intent]++
		texts[*s.Req.Text] = true
		if s.Req.Context != nil && s.Req.Context.Order != nil {
			withOrder++
		}
		if s.Req.Locale != "" {
			explicitLocale++
		}
	}
	share := func(k int) float64 { return float64(k) / n }
	for k, want := range DefaultMix().Kinds {
		if got := share(kinds[k]); math.Abs(got-want) > 0.015 {
			t.Errorf("%s share = %.3f, want %.3f ± 0.015", k, got, want)
		}
	}
	if got, want := share(locales[contact.Chinese]), DefaultMix().Chinese; math.Abs(got-want) > 0.02 {
		t.Errorf("Chinese share = %.3f, want %.3f ± 0.02", got, want)
	}
	if locales[contact.English] == 0 {
		t.Errorf("no English contacts")
	}
	for _, name := range intent.Intents {
		if intents[name] < n/40 {
			t.Errorf("intent %s came up %d times, want at least %d", name, intents[name], n/40)
		}
	}
	if got := len(texts); got < 3000 {
		t.Errorf("distinct texts = %d, want at least 3000 of %d", got, n)
	}
	if got := share(withOrder); got < 0.2 || got > 0.6 {
		t.Errorf("share with an order = %.3f, want between 0.2 and 0.6", got)
	}
	if got := share(explicitLocale); math.Abs(got-0.7) > 0.02 {
		t.Errorf("share with an explicit locale = %.3f, want 0.7", got)
	}
}

// Every generated body passes the API's own decoding and validation, and its text means to triage what its kind
// says: routine and off-topic texts trip no hand-off cue, the others trip theirs. The triage rules change as answer
// quality work goes on, so a few misses are tolerated and shown.
func TestGeneratorRequestsAreValid(t *testing.T) {
	const n = 5000
	g := NewGenerator(11, n, DefaultMix())
	want := map[Kind]string{Human: intent.HumanRequest, Complaint: intent.Complaint, Payment: intent.PaymentProblem}
	var misses []string
	missed := 0
	for range n {
		s := g.Next()
		r, err := contact.Decode(s.Body)
		if err != nil {
			t.Fatalf("decode %s: %v", s.Body, err)
		}
		c, err := contact.New(r, time.Now())
		if err != nil {
			t.Fatalf("validate %s: %v", s.Body, err)
		}
		if got, want := c.Locale, s.Locale; got != want {
			t.Fatalf("locale of %q = %s, want %s", c.Text, got, want)
		}
		sig := triage.Inspect(c.Text, c.Locale)
		switch s.Kind {
		case Routine, OffTopic:
			if len(sig.Reasons) > 0 || sig.Negative {
				misses = append(misses, fmt.Sprintf("%s %q -> %v negative=%v", s.Kind, c.Text, sig.Reasons, sig.Negative))
				missed++
			}
		default:
			if !slices.Contains(sig.Reasons, want[s.Kind]) {
				misses = append(misses, fmt.Sprintf("%s %q -> %v", s.Kind, c.Text, sig.Reasons))
				missed++
			}
		}
	}
	slices.Sort(misses)
	misses = slices.Compact(misses)
	for _, m := range misses[:min(len(misses), 20)] {
		t.Logf("triage disagrees: %s", m)
	}
	if got, most := float64(missed)/n, 0.02; got > most {
		t.Fatalf("triage disagrees with the generator's kind on %.1f%% of texts, want at most %.0f%%", 100*got, 100*most)
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	a, b := NewGenerator(3, 100, DefaultMix()), NewGenerator(3, 100, DefaultMix())
	for i := range 100 {
		if got, want := string(a.Next().Body), string(b.Next().Body); got != want {
			t.Fatalf("contact %d differs for the same seed:\n%s\n%s", i, got, want)
		}
	}
}
