package triage_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/triage"
)

// labeled is one line of a labeled set.
type labeled = pack.Line

// evalNow falls inside the default pack's promotion windows, so promotional templates take part.
var evalNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// The labeled sets. The tuning sets, dev to dev6, are the shoppers' sets the matcher learns from
// (shared/answer/pack/shoppers; dev3 to dev14 were written for rounds 3 to 6 of issue 12 by helpers who never saw
// the pack, each scored once before anything was tuned on it; dev5 is English only): each is scored by a matcher
// trained on the others (heldOut). untouched was written by people who never saw the pack and is never tuned or
// trained on: its guard is a floor at its measured score, so quality cannot silently regress.
const untouchedSet = "testdata/untouched.jsonl"

// shoppersDir is pack.ShoppersDir from this package's folder.
const shoppersDir = "../answer/pack/shoppers"

// tuningSets names the shoppers' sets, in order.
func tuningSets(t testing.TB) []string {
	t.Helper()
	return slices.SortedFunc(maps.Keys(shopperSets(t)), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b)) // dev, dev2 ... dev10
	})
}

// tuningSet returns one shoppers' set.
func tuningSet(t testing.TB, name string) []labeled {
	t.Helper()
	set, ok := shopperSets(t)[name]
	if !ok {
		t.Fatalf("no shoppers' set %q", name)
	}
	return set
}

var readShoppers = sync.OnceValues(func() (map[string][]labeled, error) { return pack.ReadShoppers(shoppersDir) })

func shopperSets(t testing.TB) map[string][]labeled {
	t.Helper()
	sets, err := readShoppers()
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// heldOut returns the matcher trained on every shoppers' set but name (built once per test binary): the one
// that scores name as text it never learnt from.
func heldOut(t testing.TB, name string) *triage.Triage {
	t.Helper()
	v, _ := folds.LoadOrStore(name, sync.OnceValues(func() (*triage.Triage, error) {
		ts, err := pack.Default()
		if err != nil {
			return nil, err
		}
		training, err := triage.PlatformTraining(name)
		if err != nil {
			return nil, err
		}
		return triage.Build(ts, nil, training)
	}))
	tr, err := v.(func() (*triage.Triage, error))()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

var folds sync.Map // set name -> func() (*triage.Triage, error)

// fold is a labeled set with the matcher that scores it.
type fold struct {
	name string
	set  []labeled
	tr   *triage.Triage
}

// heldOutFolds returns every tuning set with its held-out matcher, built two at a time; or, with $EVAL_SET, that
// file alone with the default matcher, to score another set of the same format.
func heldOutFolds(t testing.TB) []fold {
	t.Helper()
	if p := os.Getenv("EVAL_SET"); p != "" {
		return []fold{{p, readSet(t, p), defaultTriage(t)}}
	}
	names := tuningSets(t)
	out := make([]fold, len(names))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, n := range names {
		out[i] = fold{name: n, set: tuningSet(t, n)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i].tr = heldOut(t, n)
		}()
	}
	wg.Wait()
	return out
}

func readSet(t testing.TB, path string) []labeled {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := pack.ParseLines(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return set
}

func devContact(l labeled) contact.Contact {
	return contact.Contact{
		ID: l.ID, Merchant: "m1", Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard},
		Locale: contact.Locale(l.Locale), Channel: "web", Text: l.Text, ReceivedAt: evalNow,
	}
}

// TestSetsAreWellFormed checks each set's labels, size and mix. The sets measure generalization, so few of their
// sentences may be pack examples: none of dev's (it was written beside the pack), and at most 6% of the others',
// whose writers never saw the pack and wrote the short questions everyone asks ("where is my order").
func TestSetsAreWellFormed(t *testing.T) {
	for _, name := range tuningSets(t) {
		overlap, minLines := 0.06, 1500
		switch name {
		case "dev":
			overlap = 0
		case "dev5":
			minLines = 800 // English only
		}
		t.Run(name, func(t *testing.T) { wellFormed(t, tuningSet(t, name), overlap, minLines) })
	}
	t.Run(untouchedSet, func(t *testing.T) { wellFormed(t, readSet(t, untouchedSet), 0.06, 1500) })
}

func wellFormed(t *testing.T, dev []labeled, maxOverlap float64, minLines int) {
	if got, want := len(dev), minLines; got < want {
		t.Errorf("set has %d lines, want at least %d", got, want)
	}
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]string{}
	for _, tp := range ts {
		for _, ex := range tp.Examples {
			examples[answer.Normalize(ex)] = tp.ID
		}
	}
	ids := map[string]bool{}
	perLocale := map[string]int{}
	var overlap []string
	for _, l := range dev {
		perLocale[l.Locale]++
		if ids[l.ID] {
			t.Errorf("duplicate id %s", l.ID)
		}
		ids[l.ID] = true
		switch {
		case l.Locale != string(contact.English) && l.Locale != string(contact.Chinese):
			t.Errorf("%s: locale %q", l.ID, l.Locale)
		case (l.Expect == "auto" || l.Expect == "either") && !intent.Known(l.Intent):
			t.Errorf("%s: %s with unknown intent %q", l.ID, l.Expect, l.Intent)
		case (l.Expect == "human" || l.Expect == "either") && !intent.KnownReason(l.Reason):
			t.Errorf("%s: %s with unknown reason %q", l.ID, l.Expect, l.Reason)
		case l.Expect != "auto" && l.Expect != "human" && l.Expect != "either":
			t.Errorf("%s: expect %q", l.ID, l.Expect)
		}
		if id, ok := examples[answer.Normalize(l.Text)]; ok {
			overlap = append(overlap, fmt.Sprintf("%s %q is an example of template %s", l.ID, l.Text, id))
		}
	}
	if float64(len(overlap)) > maxOverlap*float64(len(dev)) {
		t.Errorf("%d of %d lines are pack examples, want at most %.0f%%:\n%s", len(overlap), len(dev), 100*maxOverlap, strings.Join(overlap, "\n"))
	}
	for loc, n := range perLocale {
		if n < len(dev)/3 {
			t.Errorf("locale %s has only %d of %d lines", loc, n, len(dev))
		}
	}
}

// tally counts outcomes for one slice of a labeled set, scored as the issue scores the held-out set: a decline
// is an automatic answer, right only for an off-topic line (human, no.match) and wrong for anything else.
type tally struct {
	shouldAuto, autoRight     int // should-be-auto lines, and those answered auto with the right intent
	autos, autosRight         int // all automatic answers (templates and declines), and the right ones
	shouldHuman, humanAsAuto  int // should-be-human lines, and those answered automatically (a decline counts unless off-topic)
	offTopic, declined        int // off-topic lines, and those declined
	humanReasonRight, reasons int // handed-off should-be-human lines whose reason matches the label
}

func (t tally) recall() float64      { return ratio(t.autoRight, t.shouldAuto) }
func (t tally) precision() float64   { return ratio(t.autosRight, t.autos) }
func (t tally) leak() float64        { return ratio(t.humanAsAuto, t.shouldHuman) }
func (t tally) reasonMatch() float64 { return ratio(t.humanReasonRight, t.reasons) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// wantPrecision is issue 12's precision target.
const wantPrecision = 0.97

// result is a labeled set's score, per locale and in all.
type result struct {
	byLocale  map[string]*tally
	all       tally
	confusion map[string]int
	misses    []string
}

// score decides every line of set with tr and counts the outcomes.
func score(tr *triage.Triage, set []labeled) result {
	r := result{byLocale: map[string]*tally{"en": {}, "zh-CN": {}}, confusion: map[string]int{}}
	for _, l := range set {
		d := tr.Decide(devContact(l), evalNow)
		for _, tl := range []*tally{r.byLocale[l.Locale], &r.all} {
			count(tl, l, d)
		}
		got := "human(" + strings.Join(d.Reasons, ",") + ")"
		switch {
		case d.Auto:
			got = "auto " + d.Intent
		case d.Decline:
			got = "decline"
		}
		want := l.Intent
		if l.Expect == "human" {
			want = l.Reason
		}
		switch {
		case l.Expect == "auto" && !(d.Auto && d.Intent == l.Intent):
			r.confusion[want+" -> "+got]++
			r.misses = append(r.misses, fmt.Sprintf("MISSED %s %s %q got=%s best=%s %.2f", l.ID, want, l.Text, got, d.Intent, d.Confidence))
		case l.Expect == "either" && d.Auto && d.Intent != l.Intent:
			r.confusion[want+" (either) -> "+got]++
			r.misses = append(r.misses, fmt.Sprintf("WRONG  %s %s %q got=%s %.2f", l.ID, want, l.Text, got, d.Confidence))
		case l.Expect == "human" && (d.Auto || d.Decline && l.Reason != intent.NoMatch):
			r.confusion[want+" -> "+got]++
			r.misses = append(r.misses, fmt.Sprintf("LEAKED %s %s %q got=%s %.2f", l.ID, want, l.Text, got, d.Confidence))
		}
	}
	return r
}

// table is the score as the Markdown table EVAL.md shows.
// table is the score as a table; with confusions, the most frequent mistakes too (never for the untouched set:
// reading its mistakes is how one starts tuning on it).
func (r result) table(confusions bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| slice | should-be-auto answered right | automatic answers right | should-be-human answered automatically | off-topic declined | hand-off reason as labeled |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|\n")
	for _, name := range []string{"en", "zh-CN", "all"} {
		tl := &r.all
		if name != "all" {
			tl = r.byLocale[name]
		}
		fmt.Fprintf(&b, "| %s | %d/%d = %.1f%% | %d/%d = %.1f%% | %d/%d = %.1f%% | %d/%d | %d/%d = %.1f%% |\n", name,
			tl.autoRight, tl.shouldAuto, 100*tl.recall(), tl.autosRight, tl.autos, 100*tl.precision(),
			tl.humanAsAuto, tl.shouldHuman, 100*tl.leak(), tl.declined, tl.offTopic, tl.humanReasonRight, tl.reasons, 100*tl.reasonMatch())
	}
	if !confusions {
		return b.String()
	}
	type kv struct {
		k string
		v int
	}
	var conf []kv
	for k, v := range r.confusion {
		conf = append(conf, kv{k, v})
	}
	slices.SortFunc(conf, func(a, b kv) int {
		if a.v != b.v {
			return b.v - a.v
		}
		return strings.Compare(a.k, b.k)
	})
	b.WriteString("\nconfusion highlights:\n")
	for i, e := range conf {
		if i == 25 {
			break
		}
		fmt.Fprintf(&b, "  %3d  %s\n", e.v, e.k)
	}
	return b.String()
}

// TestQualityTargets holds each tuning set, scored by the matcher trained on the others (heldOut), to floors
// just under its held-out score, and the untouched set, scored by the shipped matcher, to floors just under its
// measured score (shared/triage/EVAL.md), which are below issue 12's targets where it still fails: what fails is
// written there, not hidden by a lower target here.
func TestQualityTargets(t *testing.T) {
	floors := map[string]struct{ recall, precision, leak float64 }{
		"dev":        {0.97, 0.99, 0.005},
		"dev2":       {0.95, 0.99, 0.01},
		"dev3":       {0.94, 0.98, 0.01},
		"dev4":       {0.92, 0.975, 0.01},
		"dev5":       {0.92, 0.97, 0.02},
		"dev6":       {0.90, 0.97, 0.015},
		"dev7":       {0.875, 0.965, 0.015},
		"dev8":       {0.92, 0.97, 0.01},
		"dev9":       {0.895, 0.955, 0.025},
		"dev10":      {0.93, 0.965, 0.025},
		"dev11":      {0.875, 0.96, 0.01},
		"dev12":      {0.93, 0.97, 0.015},
		"dev13":      {0.83, 0.96, 0.015},
		"dev14":      {0.95, 0.975, 0.01},
		untouchedSet: {0.935, 0.98, 0.01},
	}
	check := func(t *testing.T, name string, r result) {
		f, ok := floors[name]
		if !ok {
			t.Fatalf("no floors for set %s", name)
		}
		for loc, tl := range r.byLocale {
			if tl.shouldAuto == 0 {
				continue // a set of one locale (dev5 is English only)
			}
			if got := tl.recall(); got < f.recall {
				t.Errorf("%s: %.1f%% of should-be-auto answered auto with the right intent, want >= %.1f%%", loc, 100*got, 100*f.recall)
			}
		}
		if got := r.all.precision(); got < f.precision {
			t.Errorf("%.1f%% of automatic answers are right, want >= %.1f%%", 100*got, 100*f.precision)
		}
		if got := r.all.leak(); got > f.leak {
			t.Errorf("%.1f%% of should-be-human answered automatically, want <= %.1f%%", 100*got, 100*f.leak)
		}
	}
	for _, f := range heldOutFolds(t) {
		t.Run(f.name, func(t *testing.T) {
			r := score(f.tr, f.set)
			t.Log(r.table(true))
			if os.Getenv("EVAL_MISSES") != "" {
				t.Log("\n" + strings.Join(r.misses, "\n"))
			}
			check(t, f.name, r)
		})
	}
	t.Run(untouchedSet, func(t *testing.T) {
		r := score(defaultTriage(t), readSet(t, untouchedSet))
		t.Log(r.table(false)) // never its mistakes: reading them is how one starts tuning on it
		check(t, untouchedSet, r)
	})
}

func count(tl *tally, l labeled, d triage.Decision) {
	offTopic := l.Expect == "human" && l.Reason == intent.NoMatch
	switch l.Expect {
	case "auto":
		tl.shouldAuto++
		if d.Auto && d.Intent == l.Intent {
			tl.autoRight++
		}
	case "human":
		tl.shouldHuman++
		switch {
		case d.Auto || d.Decline && !offTopic:
			tl.humanAsAuto++
		case !d.Decline:
			tl.reasons++
			if slices.Contains(d.Reasons, l.Reason) {
				tl.humanReasonRight++
			}
		}
	}
	if offTopic {
		tl.offTopic++
		if d.Decline {
			tl.declined++
		}
	}
	switch {
	case d.Auto:
		tl.autos++
		if (l.Expect == "auto" || l.Expect == "either") && d.Intent == l.Intent {
			tl.autosRight++
		}
	case d.Decline:
		tl.autos++
		if offTopic {
			tl.autosRight++
		}
	}
}

// TestDevDump writes every tuning line's held-out decision and best three candidates as JSON lines to
// $EVAL_DUMP, for tuning.
func TestDevDump(t *testing.T) {
	path := os.Getenv("EVAL_DUMP")
	if path == "" {
		t.Skip("set EVAL_DUMP=file to write the decisions")
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, f := range heldOutFolds(t) {
		for _, l := range f.set {
			dump(t, enc, f.tr, l)
		}
	}
}

// dump writes l's decision by tr as one JSON line.
func dump(t *testing.T, enc *json.Encoder, tr *triage.Triage, l labeled) {
	d := tr.Decide(devContact(l), evalNow)
	row := map[string]any{"id": l.ID, "text": l.Text, "locale": l.Locale, "expect": l.Expect, "label": l.Intent + l.Reason,
		"auto": d.Auto, "decline": d.Decline, "reasons": d.Reasons, "others": d.Others, "signals": triage.Inspect(l.Text, contact.Locale(l.Locale))}
	var cands []any
	for i, c := range d.Candidates {
		if i == 3 {
			break
		}
		cands = append(cands, []any{c.Template.Intent, c.Score})
	}
	row["cands"] = cands
	if err := enc.Encode(row); err != nil {
		t.Fatal(err)
	}
}

// TestReliability prints, for the tuning sets' should-be-auto and either lines scored held out, how often the best
// intent is the labelled one within bins of its probability: a calibrated matcher is right about as often as it
// is sure. It guards that the bins above MinConfidence are right at least as often as the precision target asks.
func TestReliability(t *testing.T) {
	type bin struct{ n, right int }
	bins := make([]bin, 10)
	for _, f := range heldOutFolds(t) {
		for _, l := range f.set {
			if l.Expect != "auto" && l.Expect != "either" {
				continue
			}
			d := f.tr.Decide(devContact(l), evalNow)
			if len(d.Candidates) == 0 {
				continue
			}
			top := d.Candidates[0]
			b := &bins[min(9, int(top.Score*10))]
			b.n++
			if top.Template.Intent == l.Intent {
				b.right++
			}
		}
	}
	var s strings.Builder
	s.WriteString("\n| best intent's probability | lines | right |\n|---|---|---|\n")
	above, aboveRight := 0, 0
	for i, b := range bins {
		fmt.Fprintf(&s, "| %.1f-%.1f | %d | %.1f%% |\n", float64(i)/10, float64(i+1)/10, b.n, 100*ratio(b.right, b.n))
		if float64(i)/10 >= triage.MinConfidence-1e-9 {
			above, aboveRight = above+b.n, aboveRight+b.right
		}
	}
	t.Log(s.String())
	if got := ratio(aboveRight, above); got < wantPrecision {
		t.Errorf("best intents at or above MinConfidence %.2f are right %.1f%% of the time, want >= %.0f%%", triage.MinConfidence, 100*got, 100*wantPrecision)
	}
}

// TestSweepThresholds prints, with EVAL_SWEEP set, the tuning sets' held-out score for a grid of thresholds: how
// the thresholds in triage.go were chosen (the most should-be-auto answered right among those meeting the
// precision and hand-off targets with a margin).
func TestSweepThresholds(t *testing.T) {
	if os.Getenv("EVAL_SWEEP") == "" {
		t.Skip("set EVAL_SWEEP=1 to sweep the thresholds on the tuning sets")
	}
	folds := heldOutFolds(t)
	defer func() {
		for _, f := range folds {
			f.tr.Thresholds = triage.DefaultThresholds
		}
	}()
	var rows []string
	for _, conf := range []float64{0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6} {
		for _, margin := range []float64{0.05, 0.1, 0.15, 0.2, 0.3} {
			for _, handoff := range []float64{0.3, 0.4, 0.5} {
				for _, decline := range []float64{0.5, 0.6, 0.7} {
					var en, zh, all tally
					for _, f := range folds {
						f.tr.Thresholds = triage.Thresholds{Confidence: conf, Margin: margin, Handoff: handoff, Decline: decline}
						r := score(f.tr, f.set)
						en, zh, all = en.plus(*r.byLocale["en"]), zh.plus(*r.byLocale["zh-CN"]), all.plus(r.all)
					}
					rows = append(rows, fmt.Sprintf("%.2f %.2f %.2f %.2f  recall en %.1f zh %.1f  precision %.1f  leak %.1f  declined %d",
						conf, margin, handoff, decline, 100*en.recall(), 100*zh.recall(), 100*all.precision(), 100*all.leak(), all.declined))
				}
			}
		}
	}
	t.Log("\nconfidence margin handoff decline\n" + strings.Join(rows, "\n"))
}

// plus is the sum of two tallies.
func (t tally) plus(o tally) tally {
	return tally{
		shouldAuto: t.shouldAuto + o.shouldAuto, autoRight: t.autoRight + o.autoRight,
		autos: t.autos + o.autos, autosRight: t.autosRight + o.autosRight,
		shouldHuman: t.shouldHuman + o.shouldHuman, humanAsAuto: t.humanAsAuto + o.humanAsAuto,
		offTopic: t.offTopic + o.offTopic, declined: t.declined + o.declined,
		humanReasonRight: t.humanReasonRight + o.humanReasonRight, reasons: t.reasons + o.reasons,
	}
}
