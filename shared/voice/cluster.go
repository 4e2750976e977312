package voice

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is where an owner has taken a problem.
type Status string

// Statuses of a problem. A resolved problem that comes back is open again and flagged as a regression.
const (
	Open         Status = "open"
	Acknowledged Status = "acknowledged"
	Resolved     Status = "resolved"
)

// Cluster is one problem of one merchant: near-identical messages (or, for bot answers, one intent), followed
// from hour to hour by its id.
type Cluster struct {
	ID       string `json:"id"`
	Merchant string `json:"merchant"`
	Lane     string `json:"lane"`
	// Centroid holds the text lane's heaviest features, at unit length: new messages join the cluster by it.
	Centroid map[string]float64 `json:"centroid,omitempty"`
	// Label is the cluster's most telling words; Examples its most typical messages, masked.
	Label     string    `json:"label"`
	Examples  []string  `json:"examples,omitempty"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	Status    Status    `json:"status"`
	StatusAt  time.Time `json:"statusAt,omitzero"`
	StatusBy  string    `json:"statusBy,omitempty"`
	// Regression marks a problem that came back after it was resolved.
	Regression bool   `json:"regression,omitempty"`
	Owner      string `json:"owner,omitempty"`
	// AlertedAt and AlertedCount are the last spike alert sent, so one spike alerts once.
	AlertedAt    time.Time `json:"alertedAt,omitzero"`
	AlertedCount int       `json:"alertedCount,omitempty"`
	// Rev is the stored revision the cluster was read at, for updates that must not overwrite an owner's.
	Rev int64 `json:"-"`
}

// Grouper groups one merchant's voices into clusters. Bot answers are grouped by their intent. Everything else
// is clustered by what it says: TF-IDF vectors of words, Han bigrams and bilingual concepts, exact duplicates
// folded, each message joining the known cluster whose centroid it is closest to (at least Join), the rest
// leader-clustered (the commonest messages lead), refined once, and new clusters merged when their centroids
// are within Merge. Candidates come from an inverted index of centroid features, so each message is compared
// only with clusters that share a feature with it.
type Grouper struct {
	lx *lexicon
	// bgDF and bgN count documents of the background corpus (the templates' example questions): words every
	// shopper uses weigh little even in a small hour.
	bgDF map[string]float64
	bgN  float64
	// Join is the cosine a message needs with a cluster's centroid to join it.
	Join float64
	// Merge is the cosine two new clusters' centroids need to become one.
	Merge float64
	// MinSize is the fewest messages a new cluster starts with; lone messages stay unclustered until they recur.
	MinSize int
	// Keep is how many features a centroid keeps; Drift is how far an hour's messages pull a known centroid.
	Keep  int
	Drift float64
	// Weights weigh the kinds of feature.
	Weights Weights
}

// Default grouping settings, chosen on testdata/fixture.jsonl (see EVAL.md).
const (
	DefaultJoin    = 0.25
	DefaultMerge   = 0.35
	DefaultMinSize = 2
)

// NewGrouper returns a Grouper whose term weights start from background, typically every template example.
func NewGrouper(background []string) *Grouper {
	g := &Grouper{lx: defaultLexicon(), bgDF: map[string]float64{}, Join: DefaultJoin, Merge: DefaultMerge,
		MinSize: DefaultMinSize, Keep: 48, Drift: 0.2, Weights: DefaultWeights}
	for _, b := range background {
		for k := range features(Mask(b), g.lx, g.Weights, nil) {
			g.bgDF[k]++
		}
		g.bgN++
	}
	return g
}

// Grouping is how one merchant's voices fell into clusters.
type Grouping struct {
	// Clusters are the clusters with members: known ones updated (centroid, label, examples, LastSeen), and new ones.
	Clusters []Cluster
	// Members[i] are the indices into the grouped voices of Clusters[i]'s members.
	Members [][]int
	// Other are text voices that joined no cluster.
	Other []int
}

// Of returns the id of the cluster voice i fell into, "" when none.
func (gr Grouping) Of(i int) string {
	for c, ms := range gr.Members {
		if slices.Contains(ms, i) {
			return gr.Clusters[c].ID
		}
	}
	return ""
}

// rep is one distinct message (exact duplicates folded) of the text lane.
type rep struct {
	members []int // indices into the voices
	v       vec   // unit TF-IDF vector
	key     string
}

// forming is a cluster being built: the sum of its members' vectors.
type forming struct {
	sum   vec
	norm  float64 // of sum
	reps  []int   // indices into reps
	known int     // index into known, or -1 for a new cluster
}

func (f *forming) add(v vec, weight float64) {
	for k, x := range v {
		f.sum[k] += x * weight
	}
	f.norm = f.sum.norm()
}

func (f *forming) size(reps []rep) int {
	n := 0
	for _, r := range f.reps {
		n += len(reps[r].members)
	}
	return n
}

// knownWeight is how many messages a known cluster's centroid counts for while this window is grouped.
const knownWeight = 3

// refinements is how many times messages move to the centroid they are closest to after the first pass.
const refinements = 3

// cluster groups reps: known text clusters first hold their centroids; each distinct message, commonest first
// (ties in text order, so a run is repeatable), joins the closest cluster within Join or leads a new one;
// messages then move to their closest centroid a few times; and new clusters whose centroids are within Merge
// of another (known, or bigger) merge, closest pairs first, until none are. Known clusters keep their index.
func (g *Grouper) cluster(known []Cluster, reps []rep) []*forming {
	order := make([]int, len(reps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(len(reps[b].members), len(reps[a].members)); c != 0 {
			return c
		}
		return strings.Compare(reps[a].key, reps[b].key)
	})
	var fs []*forming
	for ki, c := range known {
		if c.Lane == LaneText && len(c.Centroid) > 0 {
			f := &forming{sum: vec{}, known: ki}
			f.add(vec(c.Centroid), knownWeight)
			fs = append(fs, f)
		}
	}
	// First pass: leaders.
	postings := map[string][]int{}
	index := func(fi int, v vec) {
		for k := range v {
			if _, ok := fs[fi].sum[k]; !ok {
				postings[k] = append(postings[k], fi)
			}
		}
	}
	for fi, f := range fs {
		for k := range f.sum {
			postings[k] = append(postings[k], fi)
		}
	}
	// closest finds the cluster sharing a feature with v that cos rates highest, ties to the lowest index, so
	// the order features are visited in does not matter. seen marks clusters visited in this call by stamp.
	var seen []int
	stamp := 0
	closest := func(v vec, cos func(fi int) float64) (int, float64) {
		at, top := -1, 0.0
		stamp++
		if len(seen) < len(fs) {
			seen = append(seen, make([]int, len(fs)-len(seen)+64)...)
		}
		for k := range v {
			for _, fi := range postings[k] {
				if seen[fi] == stamp {
					continue
				}
				seen[fi] = stamp
				if s := cos(fi); s > top+1e-12 || (math.Abs(s-top) <= 1e-12 && at >= 0 && fi < at) {
					at, top = fi, s
				}
			}
		}
		return at, top
	}
	for _, r := range order {
		v := reps[r].v
		fi, s := closest(v, func(fi int) float64 { return dot(v, fs[fi].sum) / fs[fi].norm })
		if fi < 0 || s < g.Join {
			fs = append(fs, &forming{sum: vec{}, known: -1})
			fi = len(fs) - 1
		}
		index(fi, v)
		fs[fi].add(v, float64(len(reps[r].members)))
		fs[fi].reps = append(fs[fi].reps, r)
	}
	// Refinements: every message to its closest centroid.
	for range refinements {
		cents := make([]vec, len(fs))
		postings = map[string][]int{}
		for fi, f := range fs {
			if len(f.reps) == 0 && f.known < 0 {
				continue
			}
			cents[fi] = cloneVec(f.sum).unit()
			for k := range cents[fi] {
				postings[k] = append(postings[k], fi)
			}
		}
		moved := false
		next := make([][]int, len(fs))
		var lone []int
		for fi, f := range fs {
			for _, r := range f.reps {
				v := reps[r].v
				at, s := closest(v, func(x int) float64 { return dot(v, cents[x]) })
				if at < 0 || s < g.Join {
					if len(f.reps) > 1 {
						lone = append(lone, r)
						moved = true
						continue
					}
					at = fi
				}
				moved = moved || at != fi
				next[at] = append(next[at], r)
			}
		}
		for fi, f := range fs {
			f.reps = next[fi]
			f.sum = vec{}
			if f.known >= 0 {
				f.add(vec(known[f.known].Centroid), knownWeight)
			}
			for _, r := range f.reps {
				f.add(reps[r].v, float64(len(reps[r].members)))
			}
		}
		for _, r := range lone {
			f := &forming{sum: vec{}, known: -1, reps: []int{r}}
			f.add(reps[r].v, float64(len(reps[r].members)))
			fs = append(fs, f)
		}
		if !moved {
			break
		}
	}
	// Merges: closest pair of centroids first, a new cluster into a known or bigger one, until none are within Merge.
	for {
		live := []int{}
		for fi, f := range fs {
			if len(f.reps) > 0 || f.known >= 0 {
				live = append(live, fi)
			}
		}
		cents := map[int]vec{}
		for _, fi := range live {
			cents[fi] = cloneVec(fs[fi].sum).unit()
		}
		a, b, top := -1, -1, g.Merge
		for x, i := range live {
			for _, j := range live[x+1:] {
				if fs[i].known >= 0 && fs[j].known >= 0 {
					continue
				}
				if s := dot(cents[i], cents[j]); s >= top+1e-12 || (a < 0 && s >= top) {
					a, b, top = i, j, s
				}
			}
		}
		if a < 0 {
			break
		}
		// Keep the known one, else the bigger one.
		if fs[b].known >= 0 || (fs[a].known < 0 && fs[b].size(reps) > fs[a].size(reps)) {
			a, b = b, a
		}
		fs[a].reps = append(fs[a].reps, fs[b].reps...)
		for k, x := range fs[b].sum {
			fs[a].sum[k] += x
		}
		fs[a].norm = fs[a].sum.norm()
		fs[b].reps, fs[b].sum = nil, vec{}
	}
	return fs
}

// Group assigns vs, the voices of merchant, to the merchant's known clusters and to new ones.
func (g *Grouper) Group(merchant string, known []Cluster, vs []Voice, now time.Time) Grouping {
	weighted, surface := g.vectors(vs)
	byID := map[string]int{}
	for i, c := range known {
		byID[c.ID] = i
	}
	var out Grouping
	index := map[string]int{} // cluster id -> index in out
	member := func(c Cluster, i int) {
		at, ok := index[c.ID]
		if !ok {
			at = len(out.Clusters)
			index[c.ID] = at
			out.Clusters = append(out.Clusters, c)
			out.Members = append(out.Members, nil)
		}
		out.Members[at] = append(out.Members[at], i)
	}

	// Bot answers: one cluster per intent.
	var text []int
	for i, v := range vs {
		lane := v.Lane()
		if lane == LaneText {
			text = append(text, i)
			continue
		}
		id := "i." + v.Intent
		c := Cluster{ID: id, Merchant: merchant, Lane: lane, FirstSeen: now, Status: Open}
		if k, ok := byID[id]; ok {
			c = known[k]
		}
		member(c, i)
	}

	// The text lane.
	var reps []rep
	byKey := map[string]int{}
	for _, i := range text {
		key := normalizedKey(vs[i].Text)
		if len(weighted[i]) == 0 {
			out.Other = append(out.Other, i)
			continue
		}
		if r, ok := byKey[key]; ok {
			reps[r].members = append(reps[r].members, i)
			continue
		}
		byKey[key] = len(reps)
		reps = append(reps, rep{members: []int{i}, v: weighted[i], key: key})
	}
	fs := g.cluster(known, reps)
	ids := map[string]bool{}
	for _, c := range known {
		ids[c.ID] = true
	}
	for _, f := range fs {
		if len(f.reps) == 0 {
			continue
		}
		var ms []int
		for _, r := range f.reps {
			ms = append(ms, reps[r].members...)
		}
		slices.Sort(ms)
		if f.known < 0 && len(ms) < g.MinSize {
			out.Other = append(out.Other, ms...)
			continue
		}
		var c Cluster
		cent := cloneVec(f.sum).unit()
		if f.known >= 0 {
			c = known[f.known]
			c.Centroid = g.drift(c.Centroid, cent)
		} else {
			cent = cent.top(g.Keep).unit()
			c = Cluster{ID: newID(merchant, cent, ids), Merchant: merchant, Lane: LaneText, Centroid: cent, FirstSeen: now, Status: Open}
			ids[c.ID] = true
		}
		for _, i := range ms {
			member(c, i)
		}
	}
	slices.Sort(out.Other)

	// Labels and examples from this window's members.
	for ci := range out.Clusters {
		c := &out.Clusters[ci]
		ms := out.Members[ci]
		mean := vec{}
		for _, i := range ms {
			for k, x := range weighted[i] {
				mean[k] += x
			}
		}
		mean.unit()
		c.Label = g.label(c.Lane, mean, ms, vs, surface)
		c.Examples = examples(ms, vs, weighted, mean, 3)
		c.LastSeen = now
		for _, i := range ms {
			if vs[i].At.Before(c.FirstSeen) {
				c.FirstSeen = vs[i].At
			}
		}
	}
	return out
}

// vectors are vs as unit TF-IDF vectors, the document frequencies counting the background and vs; surface
// collects the words each feature came from.
func (g *Grouper) vectors(vs []Voice) ([]vec, map[string]map[string]int) {
	raw := make([]vec, len(vs))
	surface := map[string]map[string]int{}
	df := map[string]float64{}
	for i, v := range vs {
		raw[i] = features(v.Text, g.lx, g.Weights, surface)
		if v.Lane() == LaneText {
			for _, r := range v.Reasons {
				if r != "no.match" {
					raw[i]["r:"+r] = g.Weights.Reason
				}
			}
		}
		for k := range raw[i] {
			df[k]++
		}
	}
	n := g.bgN + float64(len(vs))
	idf := func(k string) float64 { return math.Log((n+1)/(g.bgDF[k]+df[k]+1)) + 1 }
	weighted := make([]vec, len(vs))
	for i, r := range raw {
		w := make(vec, len(r))
		for k, x := range r {
			if x > 1 {
				x = 1 + math.Log(x)
			}
			w[k] = x * idf(k)
		}
		weighted[i] = w.unit()
	}
	return weighted, surface
}

// Assign counts vs by the known cluster each falls into, as Group places them but making no new cluster: bot
// answers by intent, the rest by the closest centroid within Join. Hours counted after the fact use it.
func (g *Grouper) Assign(known []Cluster, vs []Voice) map[string]int {
	out := map[string]int{}
	weighted, _ := g.vectors(vs)
	nk := newNearest(known, g.Join)
	for i, v := range vs {
		if v.Lane() != LaneText {
			out["i."+v.Intent]++
			continue
		}
		if at := nk.of(weighted[i]); at >= 0 {
			out[known[at].ID]++
		}
	}
	return out
}

// nearest finds the known text cluster closest to a vector, through an index of centroid features.
type nearest struct {
	known    []Cluster
	postings map[string][]int
	join     float64
	seen     []int
	stamp    int
}

func newNearest(known []Cluster, join float64) *nearest {
	n := &nearest{known: known, postings: map[string][]int{}, join: join, seen: make([]int, len(known))}
	for ci, c := range known {
		if c.Lane == LaneText {
			for k := range c.Centroid {
				n.postings[k] = append(n.postings[k], ci)
			}
		}
	}
	return n
}

// of returns the index of the cluster whose centroid is closest to v, at least join, ties to the lowest
// index (so the order features are visited in does not matter), or -1.
func (n *nearest) of(v vec) int {
	at, top := -1, n.join
	n.stamp++
	for k := range v {
		for _, ci := range n.postings[k] {
			if n.seen[ci] == n.stamp {
				continue
			}
			n.seen[ci] = n.stamp
			if s := dot(v, vec(n.known[ci].Centroid)); s > top+1e-12 || (s >= top-1e-12 && (at < 0 || ci < at)) {
				at, top = ci, max(top, s)
			}
		}
	}
	return at
}

// Near returns, for each voice, the text cluster of known whose centroid is closest to what it says (at least
// Join), whatever its lane, or "". It finds the bot's answers that are about a text cluster's problem: the bot
// answered them from some intent's template, so that intent is where a draft for the problem belongs.
func (g *Grouper) Near(known []Cluster, vs []Voice) []string {
	out := make([]string, len(vs))
	weighted, _ := g.vectors(vs)
	nk := newNearest(known, g.Join)
	for i := range vs {
		if at := nk.of(weighted[i]); at >= 0 {
			out[i] = known[at].ID
		}
	}
	return out
}

// Latest lists each cluster of cs once, the last entry of an id winning, in id order.
func Latest(cs ...[]Cluster) []Cluster {
	m := map[string]Cluster{}
	for _, list := range cs {
		for _, c := range list {
			m[c.ID] = c
		}
	}
	out := make([]Cluster, 0, len(m))
	for _, id := range slices.Sorted(mapKeys(m)) {
		out = append(out, m[id])
	}
	return out
}

// drift moves a known centroid a little towards this window's centroid, keeping the cluster's identity.
func (g *Grouper) drift(old map[string]float64, now vec) map[string]float64 {
	v := vec{}
	for k, x := range old {
		v[k] += (1 - g.Drift) * x
	}
	for k, x := range now {
		v[k] += g.Drift * x
	}
	return v.unit().top(g.Keep).unit()
}

func cloneVec(v vec) vec {
	out := make(vec, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

// normalizedKey folds a message for spotting exact duplicates: lower case, letters and digits only.
func normalizedKey(text string) string {
	var b strings.Builder
	for _, r := range stripMasks(text) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// newID names a new cluster after its merchant and heaviest features, so the same problem found again from
// scratch gets the same id; taken ids get a suffix.
func newID(merchant string, cent vec, taken map[string]bool) string {
	keys := cent.keys()
	sort.SliceStable(keys, func(i, j int) bool { return cent[keys[i]] > cent[keys[j]] })
	keys = keys[:min(4, len(keys))]
	slices.Sort(keys)
	h := fnv.New32a()
	h.Write([]byte(merchant + "\x00" + strings.Join(keys, "\x00")))
	id := fmt.Sprintf("k%08x", h.Sum32())
	for n := 2; taken[id]; n++ {
		id = fmt.Sprintf("k%08x-%d", h.Sum32(), n)
	}
	return id
}

// label names a cluster by its heaviest features this window: concepts in the members' language (both when
// they write both), the commonest surface form of words, Han bigrams joined where they overlap.
func (g *Grouper) label(lane string, mean vec, ms []int, vs []Voice, surface map[string]map[string]int) string {
	zh := 0
	for _, i := range ms {
		if strings.HasPrefix(vs[i].Locale, "zh") {
			zh++
		}
	}
	share := float64(zh) / float64(max(1, len(ms)))
	keys := mean.keys()
	sort.SliceStable(keys, func(i, j int) bool { return mean[keys[i]] > mean[keys[j]] })
	var parts []string
	var concepts []string
	covered := func(form string) bool {
		for _, id := range concepts {
			for _, t := range g.lx.terms[id] {
				if strings.Contains(t, form) || strings.Contains(form, t) {
					return true
				}
			}
		}
		return false
	}
	for _, k := range keys {
		if len(parts) == 4 {
			break
		}
		kind, name, _ := strings.Cut(k, ":")
		switch kind {
		case "c":
			concepts = append(concepts, name)
			switch {
			case share >= 0.2 && share <= 0.8:
				en, zh := g.lx.label(name, "en"), g.lx.label(name, "zh-CN")
				if en == zh {
					parts = append(parts, en)
				} else {
					parts = append(parts, en+"/"+zh)
				}
			case share > 0.8:
				parts = append(parts, g.lx.label(name, "zh-CN"))
			default:
				parts = append(parts, g.lx.label(name, "en"))
			}
		case "w":
			form := commonest(surface[k], name)
			if !covered(name) && !covered(form) {
				parts = append(parts, form)
			}
		case "h":
			if r := []rune(name); covered(name) || hanStop[string(r[0])] || hanStop[string(r[1])] {
				continue
			}
			joined := false
			for i, p := range parts {
				pr, nr := []rune(p), []rune(name)
				if len(pr) >= 4 || !isHan(pr[0]) {
					continue
				}
				if pr[len(pr)-1] == nr[0] {
					parts[i], joined = p+string(nr[1]), true
				} else if pr[0] == nr[1] {
					parts[i], joined = string(nr[0])+p, true
				}
				if joined {
					break
				}
			}
			if !joined {
				parts = append(parts, name)
			}
		}
	}
	label := strings.Join(parts, " · ")
	if in, ok := strings.CutPrefix(lane, "intent:"); ok {
		if label == "" {
			return in
		}
		return in + ": " + label
	}
	return label
}

func commonest(forms map[string]int, fallback string) string {
	best, n := fallback, 0
	for _, f := range slices.Sorted(mapKeys(forms)) {
		if forms[f] > n {
			best, n = f, forms[f]
		}
	}
	return best
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// maxExampleRunes keeps examples to a line.
const maxExampleRunes = 160

// examples picks up to n distinct members closest to the centroid, shortest first among equals.
func examples(ms []int, vs []Voice, weighted []vec, mean vec, n int) []string {
	type scored struct {
		text string
		s    float64
	}
	var all []scored
	for _, i := range ms {
		all = append(all, scored{vs[i].Text, dot(weighted[i], mean)})
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		if math.Abs(a.s-b.s) > 1e-9 {
			return cmp.Compare(b.s, a.s)
		}
		if c := cmp.Compare(utf8.RuneCountInString(a.text), utf8.RuneCountInString(b.text)); c != 0 {
			return c
		}
		return strings.Compare(a.text, b.text)
	})
	var out []string
	seen := map[string]bool{}
	for _, x := range all {
		k := normalizedKey(x.text)
		if seen[k] {
			continue
		}
		seen[k] = true
		t := x.text
		if rs := []rune(t); len(rs) > maxExampleRunes {
			t = string(rs[:maxExampleRunes-1]) + "…"
		}
		out = append(out, t)
		if len(out) == n {
			break
		}
	}
	return out
}
