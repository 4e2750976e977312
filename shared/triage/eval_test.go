package triage_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/triage"
)

// labeled is one line of testdata/dev.jsonl.
type labeled struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Locale string `json:"locale"`
	Expect string `json:"expect"` // "auto", "human", or "either" (an answer with Intent or a person are both fine)
	Intent string `json:"intent,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// evalNow falls inside the default pack's promotion windows, so promotional templates take part.
var evalNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// The labeled sets. dev to dev5 are the tuning sets (dev3, dev4 and dev5 were written for rounds 3, 4 and 5 of
// issue 12 by helpers who never saw the pack, each scored once, then tuned on; dev5 is English only); untouched was written by people who never saw the pack and is
// never tuned on: its guard is a floor at its measured score, so quality cannot silently regress.
const (
	devSet       = "testdata/dev.jsonl"
	dev2Set      = "testdata/dev2.jsonl"
	dev3Set      = "testdata/dev3.jsonl"
	dev4Set      = "testdata/dev4.jsonl"
	dev5Set      = "testdata/dev5.jsonl"
	untouchedSet = "testdata/untouched.jsonl"
)

// readDev reads the tuning sets, dev to dev5, or $EVAL_SET alone to score another set of the same format.
func readDev(t testing.TB) []labeled {
	t.Helper()
	if p := os.Getenv("EVAL_SET"); p != "" {
		return readSet(t, p)
	}
	var set []labeled
	for _, p := range []string{devSet, dev2Set, dev3Set, dev4Set, dev5Set} {
		set = append(set, readSet(t, p)...)
	}
	return set
}

func readSet(t testing.TB, path string) []labeled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labeled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var l labeled
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s line %d: %v", path, n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
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
	for _, s := range []struct {
		path     string
		overlap  float64
		minLines int
	}{{devSet, 0, 1500}, {dev2Set, 0.06, 1500}, {dev3Set, 0.06, 1500}, {dev4Set, 0.06, 1500}, {dev5Set, 0.06, 800}, {untouchedSet, 0.06, 1500}} {
		t.Run(s.path, func(t *testing.T) { wellFormed(t, readSet(t, s.path), s.overlap, s.minLines) })
	}
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

// TestQualityTargets holds the tuning sets to the targets of issue 12 (with room: what is tuned on scores high),
// and the untouched set to floors just under its measured score (shared/triage/EVAL.md), which are below those
// targets: where it still fails is written there, not hidden by a lower target here.
func TestQualityTargets(t *testing.T) {
	tr := defaultTriage(t)
	for _, s := range []struct {
		path                    string
		recall, precision, leak float64
	}{
		{devSet, 0.97, 0.99, 0.005},
		{dev2Set, 0.95, 0.99, 0.01},
		{dev3Set, 0.94, 0.98, 0.01},
		{dev4Set, 0.92, 0.975, 0.01},
		{dev5Set, 0.895, 0.97, 0.02},
		{untouchedSet, 0.895, 0.97, 0.02},
	} {
		t.Run(s.path, func(t *testing.T) {
			r := score(tr, readSet(t, s.path))
			t.Log(r.table(s.path != untouchedSet))
			if os.Getenv("EVAL_MISSES") != "" && s.path != untouchedSet {
				t.Log("\n" + strings.Join(r.misses, "\n"))
			}
			for name, tl := range r.byLocale {
				if tl.shouldAuto == 0 {
					continue // a set of one locale (dev5 is English only)
				}
				if got := tl.recall(); got < s.recall {
					t.Errorf("%s: %.1f%% of should-be-auto answered auto with the right intent, want >= %.1f%%", name, 100*got, 100*s.recall)
				}
			}
			if got := r.all.precision(); got < s.precision {
				t.Errorf("%.1f%% of automatic answers are right, want >= %.1f%%", 100*got, 100*s.precision)
			}
			if got := r.all.leak(); got > s.leak {
				t.Errorf("%.1f%% of should-be-human answered automatically, want <= %.1f%%", 100*got, 100*s.leak)
			}
		})
	}
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

// TestDevDump writes every dev line's decision and best two candidates as JSON lines to $EVAL_DUMP, for tuning.
func TestDevDump(t *testing.T) {
	path := os.Getenv("EVAL_DUMP")
	if path == "" {
		t.Skip("set EVAL_DUMP=file to write the decisions")
	}
	tr := defaultTriage(t)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, l := range readDev(t) {
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
}

// TestReliability prints, for the dev set's should-be-auto and either lines, how often the best intent is the
// labelled one within bins of its probability: a calibrated matcher is right about as often as it is sure. It
// guards that the bins above MinConfidence are right at least as often as the precision target asks.
func TestReliability(t *testing.T) {
	tr := defaultTriage(t)
	type bin struct{ n, right int }
	bins := make([]bin, 10)
	for _, l := range readDev(t) {
		if l.Expect != "auto" && l.Expect != "either" {
			continue
		}
		d := tr.Decide(devContact(l), evalNow)
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

// TestSweepThresholds prints, with EVAL_SWEEP set, the dev set's score for a grid of thresholds: how the
// thresholds in triage.go were chosen (the most should-be-auto answered right among those meeting the precision
// and hand-off targets with a margin).
func TestSweepThresholds(t *testing.T) {
	if os.Getenv("EVAL_SWEEP") == "" {
		t.Skip("set EVAL_SWEEP=1 to sweep the thresholds on the dev set")
	}
	tr := defaultTriage(t)
	dev := readDev(t)
	defer func() { tr.Thresholds = triage.DefaultThresholds }()
	var rows []string
	for _, conf := range []float64{0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6} {
		for _, margin := range []float64{0.05, 0.1, 0.15, 0.2, 0.3} {
			for _, handoff := range []float64{0.3, 0.4, 0.5} {
				for _, decline := range []float64{0.5, 0.6, 0.7} {
					tr.Thresholds = triage.Thresholds{Confidence: conf, Margin: margin, Handoff: handoff, Decline: decline}
					r := score(tr, dev)
					en, zh := r.byLocale["en"], r.byLocale["zh-CN"]
					rows = append(rows, fmt.Sprintf("%.2f %.2f %.2f %.2f  recall en %.1f zh %.1f  precision %.1f  leak %.1f  declined %d",
						conf, margin, handoff, decline, 100*en.recall(), 100*zh.recall(), 100*r.all.precision(), 100*r.all.leak(), r.all.declined))
				}
			}
		}
	}
	t.Log("\nconfidence margin handoff decline\n" + strings.Join(rows, "\n"))
}
