package answer

import (
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Candidate is a template that fits a question, with a confidence in [0, 1].
type Candidate struct {
	Template *Template
	Score    float64
}

// Index finds the templates whose example questions are closest to a shopper's text.
// It is built once per template load and is safe for concurrent use.
type Index struct {
	templates []Template
	docs      []doc
	df        map[string]int
	avgLen    float64
}

type doc struct {
	template int
	terms    map[string]int
	length   int
}

// NewIndex indexes the example questions of ts.
func NewIndex(ts []Template) *Index {
	ix := &Index{templates: ts, df: map[string]int{}}
	total := 0
	for i, t := range ts {
		for _, ex := range t.Examples {
			terms := Terms(ex)
			d := doc{template: i, terms: map[string]int{}, length: len(terms)}
			for _, term := range terms {
				d.terms[term]++
			}
			for term := range d.terms {
				ix.df[term]++
			}
			total += len(terms)
			ix.docs = append(ix.docs, d)
		}
	}
	if len(ix.docs) > 0 {
		ix.avgLen = float64(total) / float64(len(ix.docs))
	}
	return ix
}

// Templates returns the indexed templates.
func (ix *Index) Templates() []Template { return ix.templates }

// Match returns the active templates for merchant and locale that fit text, best first, at most one per intent.
// A merchant's template hides the platform template of the same intent and locale.
func (ix *Index) Match(text, locale, merchant string, now time.Time) []Candidate {
	q := Terms(text)
	if len(q) == 0 {
		return nil
	}
	const k1, b = 1.2, 0.75
	best := map[int]float64{}
	n := float64(len(ix.docs))
	var maxScore float64
	for _, d := range ix.docs {
		t := &ix.templates[d.template]
		if t.Locale != locale || (t.Merchant != Platform && t.Merchant != merchant) || !t.Active(now) {
			continue
		}
		var s, self float64
		for _, term := range q {
			idf := math.Log(1 + (n-float64(ix.df[term])+0.5)/(float64(ix.df[term])+0.5))
			self += idf
			tf := float64(d.terms[term])
			if tf == 0 {
				continue
			}
			s += idf * tf * (k1 + 1) / (tf + k1*(1-b+b*float64(d.length)/ix.avgLen))
		}
		if self > 0 {
			s /= self * (k1 + 1) / (1 + k1*(1-b+b*float64(len(q))/ix.avgLen))
		}
		if s > best[d.template] {
			best[d.template] = s
		}
		maxScore = max(maxScore, s)
	}
	byIntent := map[string]Candidate{}
	for i, s := range best {
		t := &ix.templates[i]
		c, seen := byIntent[t.Intent]
		if !seen || (t.Merchant != Platform && c.Template.Merchant == Platform) || (t.Merchant == c.Template.Merchant && s > c.Score) {
			byIntent[t.Intent] = Candidate{Template: t, Score: min(1, s)}
		}
	}
	out := make([]Candidate, 0, len(byIntent))
	for _, c := range byIntent {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Template.ID < out[j].Template.ID
	})
	return out
}

// Terms splits text into lower-cased words and, for Han text, character unigrams and bigrams.
func Terms(text string) []string {
	var terms []string
	var word []rune
	var prevHan rune
	flush := func() {
		if len(word) > 0 {
			terms = append(terms, string(word))
			word = word[:0]
		}
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			terms = append(terms, string(r))
			if prevHan != 0 {
				terms = append(terms, string([]rune{prevHan, r}))
			}
			prevHan = r
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = append(word, r)
		default:
			flush()
		}
		prevHan = 0
	}
	flush()
	return terms
}
