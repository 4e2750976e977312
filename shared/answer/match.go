package answer

import (
	"cmp"
	"maps"
	"math"
	"slices"
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
// off-topic text stays unsure. It is built once per template load and is safe for concurrent use.
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
}

// minExamples is how many training sentences must have a term for the model to keep it (see NewIndex).
const minExamples = 3

// minScore drops candidates too unlikely to be worth listing.
const minScore = 0.001

// pick is the template that stands for a class in one match, and its cosine similarity.
type pick struct {
	template int
	cos      float32
}

// NewIndex indexes the example questions of templates and trains the classifier on them and on extra.
func NewIndex(templates []Template, extra Training) *Index {
	ts := append(slices.Clip(templates), pseudoTemplates(extra)...)
	ix := &Index{templates: ts, real: len(templates), merchants: map[string]bool{}}
	ix.trainOnly = trainOnly(ts, ix.real)
	for _, t := range templates {
		if t.Merchant != Platform {
			ix.merchants[t.Merchant] = true
		}
	}
	type docTerms map[uint64]float32
	// Templates with the same example questions (a merchant's copy of a platform template) share one combined
	// document: the same vector, computed, stored and trained on once. Documents [0, len(first)) are the
	// combined ones; first[d] is the template that brought document d.
	var first []int
	byExamples := map[string]int32{}
	ix.docOf = make([]int32, len(ts))
	for i, t := range ts {
		key := strings.Join(t.Examples, "\x00")
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
	for i, t := range ts {
		combined := vecs[ix.docOf[i]]
		if f := first[ix.docOf[i]]; f != i {
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
				if !seen[f.hash] {
					seen[f.hash] = true
					df[f.hash]++
				}
				switch {
				case i < ix.real:
					seenIn[f.hash] = minExamples
				case seenIn[f.hash] < minExamples:
					seenIn[f.hash]++
				}
			}
			learn = append(learn, example{template: int32(i), doc: int32(len(vecs) - len(first))})
			vecs = append(vecs, d)
		}
		singles[ix.docOf[i]][1] = len(vecs) - len(first)
	}
	n := float64(max(1, len(ts)))
	idf := func(h uint64) float64 { return math.Log(1 + n/float64(df[h])) }
	ix.oovIDF = float32(math.Log(1 + n/0.5))
	// Sublinear term frequency and unit length, so long examples do not dominate.
	byTerm := map[uint64][]posting{}
	for d, v := range vecs {
		var norm float64
		w := make(map[uint64]float64, len(v))
		for h, tf := range v {
			if seenIn[h] < minExamples {
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
	for id, h := range hashes {
		ps := byTerm[h]
		slices.SortFunc(ps, func(a, b posting) int { return cmp.Compare(a.doc, b.doc) })
		start := int32(len(ix.postings))
		for _, p := range ps {
			// Matching reads only the combined documents that can stand for a class; single examples train the model.
			if int(p.doc) < len(first) && !ix.trainOnly[first[p.doc]] {
				ix.postings = append(ix.postings, p)
			}
			examples[p.doc] = append(examples[p.doc], entry{term: int32(id), x: p.weight})
		}
		ix.terms[h] = term{idf: float32(idf(h)), start: start, end: int32(len(ix.postings)), id: int32(id)}
	}
	ix.docs = len(first)
	ix.model = train(ts, learn, examples[len(first):], len(hashes))
	texts := make([][]string, len(ts))
	for i, t := range ts {
		texts[i] = t.Examples
	}
	ix.speller = newSpeller(vocabulary(texts))
	ix.scratch.New = ix.newScratch
	return ix
}

func (ix *Index) newScratch() any {
	nc := len(ix.model.classes)
	s := &scratch{scores: make([]float32, ix.docs), logits: make([]float32, nc), picks: make([]pick, nc)}
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
	_, ok := ix.terms[hashRunes(tagWord, stem(w))]
	return ok
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
		if !known {
			x := float64(min(w, 1) * ix.oovIDF * oovFactor)
			qnorm += x * x
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
		s.picks[c] = pick{template: -1}
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
		if p := &s.picks[c]; p.template < 0 || cos > p.cos {
			*p = pick{template: i, cos: cos}
		}
	}
	top := float32(math.Inf(-1))
	for c, p := range s.picks {
		if p.template >= 0 {
			s.logits[c] = ix.model.bias[c] + inv*s.logits[c]
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
