package answer

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"breakwater/shared/intent"
)

// Candidate is a template that fits a question, with a confidence in [0, 1].
type Candidate struct {
	Template *Template
	Score    float64
}

// Other is a class the classifier learned that no template answers (off-topic text, a hand-off reason), with its
// probability.
type Other struct {
	Class string
	Score float64
}

// Result is what the classifier makes of a text: the templates that fit it, best first, and the probabilities of
// the classes no template answers.
type Result struct {
	Candidates []Candidate
	Others     []Other
}

// Other returns the probability of class among r.Others, 0 when it is not there.
func (r Result) Other(class string) float64 {
	for _, o := range r.Others {
		if o.Class == class {
			return o.Score
		}
	}
	return 0
}

// Training holds sentences that teach the classifier besides the templates' own examples, by locale and class. A
// class that is an intent teaches that intent, whichever template answers it; any other class (off-topic text, a
// hand-off reason) is a pseudo-class: learned, reported in Result.Others, never answered.
type Training map[string]map[string][]string

// Index finds the templates whose example questions are closest to a shopper's text.
//
// Every example question is a TF-IDF vector of Latin words, Latin character trigrams (typo tolerance), Han
// characters and Han bigrams (no segmenter needed); IDF counts templates, not examples, so words typical of one
// intent weigh more than words spread over many. A logistic regression trained on the examples, with one more
// class of off-topic questions per locale (outofscope.txt), gives each intent its probability: that is the
// Score. Within one intent (a promotion beside the standing template) the template whose examples taken
// together are closest (cosine) stands for it. Unknown query terms count against every intent, so long
// off-topic text stays unsure. A merchant's own templates are that merchant's alone: the model, IDF and speller
// learn from the platform's templates and phrasings only, so one merchant's publishing changes no other
// merchant's decisions; for the merchant, one of its templates stands for its intent, and lifts it, when one of
// its examples is near the text (nearFrom), or when the intent has no other template. It is built once per
// template load and is safe for concurrent use.
type Index struct {
	templates []Template
	// docOf[i] is the document of template i: its examples taken together, shared by templates with the same
	// examples; docs counts the documents.
	docOf    []int32
	docs     int
	terms    map[uint64]term
	postings []posting
	oovIDF   float32
	model    model
	scratch  sync.Pool
	// real counts the given templates; the rest are pseudo-templates holding the Training sentences.
	real int
	// trainOnly marks the pseudo-templates of intents: they teach the intent's class and never stand for it.
	trainOnly []bool
	speller   *speller
	// merchants that have templates of their own, which may hide platform ones.
	merchants map[string]bool
	// nearOf[m] are the pseudo-templates holding one example each of merchant m's own templates (see
	// nearTemplates); nearOwner[i] is the template whose example pseudo-template i holds, -1 for the others.
	nearOf    map[string][]int32
	nearOwner []int32
	// hasNear marks the templates whose examples pseudo-templates hold.
	hasNear []bool
}

type term struct {
	idf        float32
	start, end int32 // postings[start:end]
	id         int32 // row of the term in model.weights
}

type posting struct {
	doc    int32
	weight float32
}

type scratch struct {
	feats  []feature
	z      featurizer
	scores []float32
	logits []float32
	picks  []pick
	// own[c] is the merchant's own template of class c whose examples taken together are closest: it stands for
	// c when no other template does.
	own []pick
	// near[c] is the closest example (cosine) of the merchant's own templates of class c, nearest[c] its template.
	near    []float32
	nearest []int32
}

// minExamples is how many training sentences must have a term for the model to keep it (see NewIndex).
const minExamples = 3

// minScore drops candidates too unlikely to be worth listing.
const minScore = 0.001

// A merchant's own template answers messages like one of its examples for that merchant, however few examples it
// has against the platform's thousands of phrasings of the same and neighbouring intents: when its closest example
// reaches nearFrom (cosine; near-duplicates such as "hey VIP50 code invalid???" and "SAVE20 code invalid??" are
// 0.5-0.8, unrelated shop questions below 0.3), it stands for its intent and that intent's logit rises by
// nearGain per unit of similarity above nearFrom. Other merchants never see it.
const (
	nearFrom = 0.35
	nearGain = 20
)

// pick is the template that stands for a class in one match, and its cosine similarity.
type pick struct {
	template int
	cos      float32
}

// NewIndex indexes the example questions of templates and trains the classifier on the platform's and on extra.
func NewIndex(templates []Template, extra Training) *Index {
	ts := append(slices.Clip(templates), pseudoTemplates(extra)...)
	ts = append(ts, nearTemplates(templates)...)
	ix := &Index{templates: ts, real: len(templates), merchants: map[string]bool{}}
	ix.trainOnly = trainOnly(ts, ix.real)
	ix.findNear()
	for _, t := range templates {
		if t.Merchant != Platform {
			ix.merchants[t.Merchant] = true
		}
	}
	// A merchant's templates are its own: they neither train the model nor count in IDF or the speller's
	// vocabulary, so that what one merchant publishes changes nothing for the others (the model would otherwise
	// retrain on a different sequence of examples and move every merchant's close calls). They are matched through
	// their combined document (which of an intent's templates stands for it) and their single examples (near).
	scoped := make([]bool, len(ts))
	var order []int
	for i, t := range ts {
		scoped[i] = i < ix.real && t.Merchant != Platform || ix.nearOwner[i] >= 0
		if !scoped[i] {
			order = append(order, i)
		}
	}
	for i := range ts {
		if scoped[i] {
			order = append(order, i)
		}
	}
	type docTerms map[uint64]float32
	// Templates with the same example questions (a merchant's copy of a platform template) share one combined
	// document: the same vector, computed, stored and trained on once. Documents [0, len(first)) are the
	// combined ones; first[d] is the template that brought document d.
	var first []int
	byExamples := map[string]int32{}
	ix.docOf = make([]int32, len(ts))
	for _, i := range order {
		key := strings.Join(ts[i].Examples, "\x00")
		d, ok := byExamples[key]
		if !ok {
			d = int32(len(first))
			byExamples[key] = d
			first = append(first, i)
		}
		ix.docOf[i] = d
	}
	vecs := make([]docTerms, len(first))
	for d := range vecs {
		vecs[d] = docTerms{}
	}
	// Single-example documents follow the combined ones; singles[d] are those of combined document d.
	singles := make([][2]int, len(first))
	var learn []example
	var buf []feature
	var z featurizer
	df := map[uint64]int{}
	// A term of the generated training sentences that only one of them has (often a misspelling the generator
	// made up) teaches nothing general and would only grow the model; a term of a template's own examples is kept.
	seenIn := map[uint64]int{}
	// ownDoc marks the documents of merchants' templates, ownSeen the terms they have.
	ownDoc := make([]bool, len(first), len(first)+len(ts))
	for d, i := range first {
		ownDoc[d] = scoped[i]
	}
	ownSeen := map[uint64]bool{}
	for _, i := range order {
		t := ts[i]
		combined := vecs[ix.docOf[i]]
		if f := first[ix.docOf[i]]; f != i {
			if scoped[i] {
				continue
			}
			// A copy: the same terms as the template it copies, and IDF counts templates, so count them again.
			for h := range combined {
				df[h]++
			}
			// Its examples teach its class only if that differs from the copied template's.
			if t.Locale != ts[f].Locale || t.Intent != ts[f].Intent {
				for k := singles[ix.docOf[i]][0]; k < singles[ix.docOf[i]][1]; k++ {
					learn = append(learn, example{template: int32(i), doc: int32(k)})
				}
			}
			continue
		}
		singles[ix.docOf[i]][0] = len(vecs) - len(first)
		seen := map[uint64]bool{}
		for _, ex := range t.Examples {
			buf = z.appendFeatures(buf[:0], ex)
			d := docTerms{}
			for _, f := range buf {
				d[f.hash] += f.weight
				combined[f.hash] += f.weight
				if !seen[f.hash] && !scoped[i] {
					seen[f.hash] = true
					df[f.hash]++
				}
				switch {
				case scoped[i]:
					ownSeen[f.hash] = true
				case i < ix.real:
					seenIn[f.hash] = minExamples
				case seenIn[f.hash] < minExamples:
					seenIn[f.hash]++
				}
			}
			if !scoped[i] {
				learn = append(learn, example{template: int32(i), doc: int32(len(vecs) - len(first))})
			}
			vecs = append(vecs, d)
			ownDoc = append(ownDoc, scoped[i])
		}
		singles[ix.docOf[i]][1] = len(vecs) - len(first)
	}
	n := float64(max(1, len(ts)-countTrue(scoped)))
	ix.oovIDF = float32(math.Log(1 + n/0.5))
	// A term only merchants' templates keep weighs as much as a term no template has (see ownTerm).
	idf := func(h uint64) float64 {
		if seenIn[h] < minExamples {
			return float64(ix.oovIDF)
		}
		return math.Log(1 + n/float64(df[h]))
	}
	// Sublinear term frequency and unit length, so long examples do not dominate.
	byTerm := map[uint64][]posting{}
	for d, v := range vecs {
		var norm float64
		w := make(map[uint64]float64, len(v))
		for h, tf := range v {
			if seenIn[h] < minExamples && !(ownDoc[d] && ownSeen[h]) {
				continue
			}
			x := (1 + math.Log(max(1, float64(tf)))) * min(1, float64(tf)) * idf(h)
			w[h] = x
			norm += x * x
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			continue
		}
		for h, x := range w {
			byTerm[h] = append(byTerm[h], posting{doc: int32(d), weight: float32(x / norm)})
		}
	}
	ix.terms = make(map[uint64]term, len(byTerm))
	hashes := make([]uint64, 0, len(byTerm))
	for h := range byTerm {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	examples := make([][]entry, len(vecs))
	// A combined document is matched against when a template of it can stand for a class or holds an example of a
	// merchant's own template.
	matched := make([]bool, len(first))
	for i := range ts {
		if !ix.trainOnly[i] || ix.nearOwner[i] >= 0 {
			matched[ix.docOf[i]] = true
		}
	}
	for id, h := range hashes {
		ps := byTerm[h]
		slices.SortFunc(ps, func(a, b posting) int { return cmp.Compare(a.doc, b.doc) })
		start := int32(len(ix.postings))
		for _, p := range ps {
			// Matching reads only the combined documents that can stand for a class; single examples train the model.
			if int(p.doc) < len(first) && matched[p.doc] {
				ix.postings = append(ix.postings, p)
			}
			examples[p.doc] = append(examples[p.doc], entry{term: int32(id), x: p.weight})
		}
		ix.terms[h] = term{idf: float32(idf(h)), start: start, end: int32(len(ix.postings)), id: int32(id)}
	}
	ix.docs = len(first)
	ix.model = train(ts, learn, examples[len(first):], len(hashes))
	var texts [][]string
	for i, t := range ts {
		if !scoped[i] {
			texts = append(texts, t.Examples)
		}
	}
	ix.speller = newSpeller(vocabulary(texts))
	ix.scratch.New = ix.newScratch
	return ix
}

func (ix *Index) newScratch() any {
	nc := len(ix.model.classes)
	s := &scratch{scores: make([]float32, ix.docs), logits: make([]float32, nc), picks: make([]pick, nc),
		own: make([]pick, nc), near: make([]float32, nc), nearest: make([]int32, nc)}
	s.z.fix = func(w []rune) []rune { return ix.speller.correct(w, ix.known) }
	return s
}

// Templates returns the indexed templates.
func (ix *Index) Templates() []Template { return ix.templates[:ix.real:ix.real] }

// Match returns the active templates for merchant and locale that fit text, best first, at most one per intent.
// A merchant's active template hides the platform templates of the same intent and locale.
func (ix *Index) Match(text, locale, merchant string, now time.Time) []Candidate {
	return ix.Classify(text, locale, merchant, now).Candidates
}

// known reports whether the index has the Latin word w.
func (ix *Index) known(w []rune) bool {
	t, ok := ix.terms[hashRunes(tagWord, stem(w))]
	return ok && !ix.ownTerm(t)
}

// Classify returns what Match does, and the probabilities of the pseudo-classes (off-topic, hand-off reasons).
func (ix *Index) Classify(text, locale, merchant string, now time.Time) Result {
	s := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(s)
	s.feats = s.z.appendFeatures(s.feats[:0], text)
	if len(s.feats) == 0 {
		return Result{}
	}
	q := s.feats
	slices.SortFunc(q, func(a, b feature) int { return cmp.Compare(a.hash, b.hash) })
	clear(s.scores)
	clear(s.logits)
	nc := len(ix.model.classes)
	var qnorm float64
	for i := 0; i < len(q); {
		j := i
		var w float32
		for ; j < len(q) && q[j].hash == q[i].hash; j++ {
			w += q[j].weight
		}
		t, known := ix.terms[q[i].hash]
		if !known || ix.ownTerm(t) {
			x := min(w, 1) * ix.oovIDF * oovFactor
			qnorm += float64(x) * float64(x)
			if known {
				for _, p := range ix.postings[t.start:t.end] {
					s.scores[p.doc] += x * p.weight
				}
			}
			i = j
			continue
		}
		x := float32((1+math.Log(max(1, float64(w))))*float64(min(w, 1))) * t.idf
		qnorm += float64(x * x)
		for _, p := range ix.postings[t.start:t.end] {
			s.scores[p.doc] += x * p.weight
		}
		row := ix.model.weights[int(t.id)*nc : int(t.id+1)*nc]
		for c, w := range row {
			s.logits[c] += x * w
		}
		i = j
	}
	if qnorm == 0 {
		return Result{}
	}
	inv := float32(1 / math.Sqrt(qnorm))
	for c := range s.picks {
		s.picks[c], s.own[c] = pick{template: -1}, pick{template: -1}
	}
	for i := range ix.templates {
		t := &ix.templates[i]
		if t.Locale != locale || (t.Merchant != Platform && t.Merchant != merchant) || !t.Active(now) {
			continue
		}
		if ix.trainOnly[i] || i < ix.real && t.Merchant == Platform && ix.merchants[merchant] && ix.overridden(t, merchant, now) {
			continue
		}
		cos := inv * s.scores[ix.docOf[i]]
		c := ix.model.ofTemplate[i]
		p := &s.picks[c]
		if ix.hasNear[i] {
			// A merchant's own template stands for its intent when one of its examples is near (below), or when
			// the intent has no other template.
			p = &s.own[c]
		}
		if p.template < 0 || cos > p.cos {
			*p = pick{template: i, cos: cos}
		}
	}
	ix.nearest(s, inv, locale, merchant, now)
	for c, p := range s.own {
		if p.template >= 0 && s.picks[c].template < 0 {
			s.picks[c] = p
		}
	}
	top := float32(math.Inf(-1))
	for c, p := range s.picks {
		if p.template >= 0 {
			s.logits[c] = ix.model.bias[c] + inv*s.logits[c]
			if near := s.near[c]; near >= nearFrom {
				s.picks[c] = pick{template: int(s.nearest[c]), cos: max(p.cos, near)}
				s.logits[c] += nearGain * (near - nearFrom)
			}
			top = max(top, s.logits[c])
		}
	}
	var sum float64
	for c, p := range s.picks {
		if p.template >= 0 {
			sum += math.Exp(float64(s.logits[c] - top))
		}
	}
	var out Result
	for c, p := range s.picks {
		if p.template < 0 {
			continue
		}
		score := min(1, math.Exp(float64(s.logits[c]-top))/sum)
		if p.template >= ix.real {
			out.Others = append(out.Others, Other{Class: ix.templates[p.template].Intent, Score: score})
			continue
		}
		if score < minScore {
			continue
		}
		out.Candidates = append(out.Candidates, Candidate{Template: &ix.templates[p.template], Score: score})
	}
	slices.SortFunc(out.Candidates, func(a, b Candidate) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Template.ID, b.Template.ID)
	})
	slices.SortFunc(out.Others, func(a, b Other) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Class, b.Class)
	})
	return out
}

// pseudoTemplates holds extra's sentences as one template per locale and class, in a fixed order.
func pseudoTemplates(extra Training) []Template {
	var out []Template
	for _, locale := range slices.Sorted(maps.Keys(extra)) {
		for _, c := range slices.Sorted(maps.Keys(extra[locale])) {
			if len(extra[locale][c]) == 0 {
				continue
			}
			out = append(out, Template{ID: "~" + c + "." + locale, Intent: c, Locale: locale, Merchant: Platform,
				Examples: extra[locale][c]})
		}
	}
	return out
}

// nearPrefix starts the id of a pseudo-template holding one example of a merchant's own template; the owner's
// index follows, so a decoded index finds the owners again.
const nearPrefix = "~near:"

// nearTemplates holds each example of the merchants' own templates (not copies of a platform template's examples)
// as a pseudo-template of its own, so that a message is compared with each example, not only with all of them
// taken together.
func nearTemplates(templates []Template) []Template {
	platform := map[string]bool{}
	for _, t := range templates {
		if t.Merchant == Platform {
			platform[strings.Join(t.Examples, "\x00")] = true
		}
	}
	var out []Template
	for i, t := range templates {
		if t.Merchant == Platform || platform[strings.Join(t.Examples, "\x00")] {
			continue
		}
		for k, ex := range t.Examples {
			out = append(out, Template{ID: nearPrefix + strconv.Itoa(i) + ":" + strconv.Itoa(k), Intent: t.Intent, Locale: t.Locale,
				Merchant: t.Merchant, Examples: []string{ex}})
		}
	}
	return out
}

// findNear sets nearOwner and nearOf from the pseudo-templates' ids.
func (ix *Index) findNear() {
	ix.nearOwner = make([]int32, len(ix.templates))
	ix.hasNear = make([]bool, len(ix.templates))
	ix.nearOf = nil
	for i := range ix.nearOwner {
		ix.nearOwner[i] = -1
		if i < ix.real || !strings.HasPrefix(ix.templates[i].ID, nearPrefix) {
			continue
		}
		owner, _, _ := strings.Cut(strings.TrimPrefix(ix.templates[i].ID, nearPrefix), ":")
		o, err := strconv.Atoi(owner)
		if err != nil || o < 0 || o >= ix.real || ix.templates[o].Merchant == Platform {
			continue
		}
		ix.nearOwner[i] = int32(o)
		ix.hasNear[o] = true
		if ix.nearOf == nil {
			ix.nearOf = map[string][]int32{}
		}
		m := ix.templates[o].Merchant
		ix.nearOf[m] = append(ix.nearOf[m], int32(i))
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// ownTerm reports whether t is a term that only merchants' own templates have. A message is weighed as if no
// template had it (as before the merchant published them), so other merchants' decisions do not change.
func (ix *Index) ownTerm(t term) bool { return t.idf == ix.oovIDF }

// nearest sets s.near and s.nearest: for each class, the closest single example of merchant's own active templates
// in locale.
func (ix *Index) nearest(s *scratch, inv float32, locale, merchant string, now time.Time) {
	clear(s.near)
	for _, i := range ix.nearOf[merchant] {
		o := ix.nearOwner[i]
		t := &ix.templates[o]
		if t.Locale != locale || !t.Active(now) {
			continue
		}
		c := ix.model.ofTemplate[o]
		if cos := inv * s.scores[ix.docOf[i]]; cos > s.near[c] {
			s.near[c], s.nearest[c] = cos, o
		}
	}
}

// trainOnly marks the templates from real on whose class is an intent.
func trainOnly(ts []Template, real int) []bool {
	out := make([]bool, len(ts))
	for i := real; i < len(ts); i++ {
		out[i] = intent.Known(ts[i].Intent)
	}
	return out
}

// overridden reports whether merchant has an active template of t's intent and locale.
func (ix *Index) overridden(t *Template, merchant string, now time.Time) bool {
	for i := range ix.templates[:ix.real] {
		o := &ix.templates[i]
		if o.Merchant == merchant && o.Intent == t.Intent && o.Locale == t.Locale && o.Active(now) {
			return true
		}
	}
	return false
}
