package voice

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"breakwater/shared/answer/pack"
)

var t0 = time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)

// background is every example question of the default pack, as the voice function gets from the catalog.
func background(t testing.TB) []string {
	t.Helper()
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tpl := range ts {
		out = append(out, tpl.Examples...)
	}
	return out
}

// handedOff makes each fixture row a masked hand-off with no template, the lane that is clustered by text.
func handedOff(rows []fixtureRow, merchant string) []Voice {
	vs := make([]Voice, len(rows))
	for i, r := range rows {
		vs[i] = Voice{ID: r.ID, Merchant: merchant, At: t0.Add(time.Duration(i) * time.Second), Locale: r.Locale,
			Kind: HandedOff, Reasons: []string{"no.match"}, Text: Mask(r.Text)}
	}
	return vs
}

// scores measures a grouping against the fixture's problems.
type scores struct {
	// Purity: of the messages in clusters, the share that belong to their cluster's main problem (each piece
	// of chit-chat is a group of its own, so a cluster that mixes noise into a problem is impure).
	Purity float64
	// Recall: of the messages of known problems, the share that sit in their problem's main cluster; a message
	// left unclustered counts as missed.
	Recall float64
	// RecallByLanguage is Recall with each problem split by language: how well each language groups alone.
	RecallByLanguage float64
	// NoiseClustered is the share of noise messages that were put in a cluster.
	NoiseClustered float64
	Clusters       int
	Problems       int
}

func (s scores) String() string {
	return fmt.Sprintf("purity %.1f%%, recall %.1f%% (%.1f%% within one language), noise clustered %.1f%%, %d clusters for %d problems",
		100*s.Purity, 100*s.Recall, 100*s.RecallByLanguage, 100*s.NoiseClustered, s.Clusters, s.Problems)
}

func score(rows []fixtureRow, gr Grouping) scores {
	of := map[int]string{}
	for c, ms := range gr.Members {
		for _, i := range ms {
			of[i] = gr.Clusters[c].ID
		}
	}
	truth := func(i int) string {
		if rows[i].Group == "noise" {
			return "noise:" + rows[i].Noise
		}
		return rows[i].Group
	}
	var s scores
	s.Clusters = len(gr.Clusters)
	// Purity.
	byCluster := map[string]map[string]int{}
	inClusters := 0
	for i := range rows {
		c, ok := of[i]
		if !ok {
			continue
		}
		if byCluster[c] == nil {
			byCluster[c] = map[string]int{}
		}
		byCluster[c][truth(i)]++
		inClusters++
	}
	pure := 0
	for _, m := range byCluster {
		pure += maxCount(m)
	}
	s.Purity = float64(pure) / float64(max(1, inClusters))
	// Recall, across and within languages.
	recall := func(key func(i int) string) float64 {
		byProblem := map[string]map[string]int{}
		total := 0
		for i, r := range rows {
			if r.Group == "noise" {
				continue
			}
			k := key(i)
			if byProblem[k] == nil {
				byProblem[k] = map[string]int{}
			}
			total++
			if c, ok := of[i]; ok {
				byProblem[k][c]++
			}
		}
		found := 0
		for _, m := range byProblem {
			found += maxCount(m)
		}
		s.Problems = len(byProblem)
		return float64(found) / float64(max(1, total))
	}
	s.RecallByLanguage = recall(func(i int) string { return rows[i].Group + "/" + rows[i].Locale })
	s.Recall = recall(func(i int) string { return rows[i].Group })
	noise, clustered := 0, 0
	for i, r := range rows {
		if r.Group == "noise" {
			noise++
			if _, ok := of[i]; ok {
				clustered++
			}
		}
	}
	s.NoiseClustered = float64(clustered) / float64(max(1, noise))
	return s
}

func maxCount(m map[string]int) int {
	best := 0
	for _, n := range m {
		best = max(best, n)
	}
	return best
}

// The grouping's quality on the development fixture, guarded: the figures EVAL.md reports, with a little room
// for the noise of a rerun (there is none: grouping is deterministic) and none for a real regression.
func TestGroupingQuality(t *testing.T) {
	rows := readFixture(t, "fixture.jsonl")
	g := NewGrouper(background(t))
	gr := g.Group("m1", nil, handedOff(rows, "m1"), t0)
	s := score(rows, gr)
	t.Logf("development fixture (%d messages): %s", len(rows), s)
	if s.Purity < 0.94 || s.Recall < 0.87 {
		t.Errorf("grouping: %s; want purity >= 94%% and recall >= 87%%", s)
	}
}

// The holdout fixture's phrasings were never looked at while choosing the settings; its first score is in EVAL.md.
func TestGroupingHoldout(t *testing.T) {
	rows := readFixture(t, "holdout.jsonl")
	g := NewGrouper(background(t))
	gr := g.Group("m1", nil, handedOff(rows, "m1"), t0)
	s := score(rows, gr)
	t.Logf("holdout fixture (%d messages): %s", len(rows), s)
	if s.Purity < 0.90 || s.Recall < 0.78 {
		t.Errorf("grouping: %s; want purity >= 90%% and recall >= 78%%", s)
	}
}

// dump prints each cluster's label, size and main problems, for looking at a grouping by eye.
func dump(rows []fixtureRow, gr Grouping) string {
	var b strings.Builder
	order := make([]int, len(gr.Clusters))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(gr.Members[order[a]]) > len(gr.Members[order[b]]) })
	for _, c := range order {
		m := map[string]int{}
		for _, i := range gr.Members[c] {
			m[rows[i].Group]++
		}
		fmt.Fprintf(&b, "%4d %-12s %-50s %v\n", len(gr.Members[c]), gr.Clusters[c].ID, gr.Clusters[c].Label, m)
	}
	return b.String()
}

// A problem keeps its cluster id from one hour to the next: the fixture split into two hours, the second grouped
// against the clusters the first made.
func TestClusterIDsStayStable(t *testing.T) {
	rows := readFixture(t, "fixture.jsonl")
	g := NewGrouper(background(t))
	half := len(rows) / 2
	vs := handedOff(rows, "m1")
	first := g.Group("m1", nil, vs[:half], t0)
	second := g.Group("m1", first.Clusters, vs[half:], t0.Add(time.Hour))
	main := func(gr Grouping, rows []fixtureRow) map[string]string {
		counts := map[string]map[string]int{}
		for c, ms := range gr.Members {
			for _, i := range ms {
				p := rows[i].Group
				if p == "noise" {
					continue
				}
				if counts[p] == nil {
					counts[p] = map[string]int{}
				}
				counts[p][gr.Clusters[c].ID]++
			}
		}
		out := map[string]string{}
		for p, m := range counts {
			best := 0
			for _, id := range slices.Sorted(maps.Keys(m)) {
				if m[id] > best {
					out[p], best = id, m[id]
				}
			}
		}
		return out
	}
	before, after := main(first, rows[:half]), main(second, rows[half:])
	same := 0
	for p, id := range before {
		if after[p] == id {
			same++
		} else {
			t.Logf("%s: hour 1 in %s, hour 2 mostly in %s", p, id, after[p])
		}
	}
	t.Logf("%d of %d problems kept their cluster id", same, len(before))
	if same < len(before)-1 {
		t.Errorf("%d of %d problems kept their cluster id, want all but at most one", same, len(before))
	}
	// New clusters of the second hour do not take ids of the first.
	ids := map[string]bool{}
	for _, c := range first.Clusters {
		ids[c.ID] = true
	}
	for c, cl := range second.Clusters {
		if ids[cl.ID] && cl.FirstSeen.After(t0) {
			t.Errorf("cluster %d reuses id %s but is new", c, cl.ID)
		}
	}
}

func TestGroupingIsRepeatable(t *testing.T) {
	rows := readFixture(t, "holdout.jsonl")
	g := NewGrouper(background(t))
	a := g.Group("m1", nil, handedOff(rows, "m1"), t0)
	b := g.Group("m1", nil, handedOff(rows, "m1"), t0)
	if got, want := dump(rows, a), dump(rows, b); got != want {
		t.Fatalf("two groupings of the same voices differ:\n%s\n---\n%s", got, want)
	}
}

func TestGroupByIntentAndText(t *testing.T) {
	vs := []Voice{
		{ID: "1", Kind: Answered, Intent: "order.track", Text: "where is my order", Locale: "en", At: t0},
		{ID: "2", Kind: Answered, Intent: "order.track", Text: "我的快递到哪了", Locale: "zh-CN", At: t0},
		{ID: "3", Kind: HandedOff, Reasons: []string{"no.match"}, Text: "coupon SAVE20 invalid at checkout", Locale: "en", At: t0},
		{ID: "4", Kind: HandedOff, Reasons: []string{"complaint"}, Text: "优惠码SAVE20无效，结算用不了", Locale: "zh-CN", At: t0},
		{ID: "5", Kind: HandedOff, Reasons: []string{"no.match"}, Text: "can I bring my dog", Locale: "en", At: t0},
	}
	gr := NewGrouper(nil).Group("m1", nil, vs, t0)
	if got, want := gr.Of(0), "i.order.track"; got != want || gr.Of(1) != want {
		t.Errorf("bot answers in %q and %q, want both in %q", gr.Of(0), gr.Of(1), want)
	}
	if gr.Of(2) == "" || gr.Of(2) != gr.Of(3) {
		t.Errorf("the coupon problem in English and Chinese fell into %q and %q, want one cluster", gr.Of(2), gr.Of(3))
	}
	if got := gr.Of(4); got != "" {
		t.Errorf("a lone message fell into %q, want no cluster", got)
	}
	for i, c := range gr.Clusters {
		if c.Label == "" || len(c.Examples) == 0 || c.Merchant != "m1" || c.Status != Open {
			t.Errorf("cluster %d = %+v, want a label, examples, merchant m1, open", i, c)
		}
	}
}

// BenchmarkGroupFixture groups the whole development fixture (2,860 messages) as one merchant's hour.
func BenchmarkGroupFixture(b *testing.B) {
	rows := readFixture(b, "fixture.jsonl")
	g := NewGrouper(background(b))
	vs := handedOff(rows, "m1")
	b.ResetTimer()
	for range b.N {
		g.Group("m1", nil, vs, t0)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(vs)), "µs/message")
}

// BenchmarkMask masks the fixture's messages.
func BenchmarkMask(b *testing.B) {
	rows := readFixture(b, "fixture.jsonl")
	b.ResetTimer()
	for i := range b.N {
		Mask(rows[i%len(rows)].Text)
	}
}
