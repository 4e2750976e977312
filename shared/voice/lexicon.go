package voice

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

//go:embed lexicon.txt
var lexiconText string

// concept is one entry of the bilingual lexicon.
type concept struct {
	id     string
	labels [2]string // English, Chinese
}

// lexicon maps English word sequences (stemmed, as messages are) and Chinese terms to concepts.
type lexicon struct {
	concepts map[string]concept
	// en maps a space-joined sequence of one to four stemmed words to its concepts.
	en map[string][]string
	// zh maps a Chinese term to its concepts; an empty list blocks a shorter term inside it (不错 is not 错).
	zh       map[string][]string
	zhLonger int // the longest Chinese term, in runes
	// terms lists each concept's words and terms as written in the lexicon, to keep labels from repeating them.
	terms map[string][]string
}

// defaultLexicon is parsed on first use: every function links this package through the DynamoDB adapter, and
// only the voice function and the agent API need the lexicon.
var defaultLexicon = sync.OnceValue(func() *lexicon { return mustLexicon(lexiconText) })

func mustLexicon(text string) *lexicon {
	lx, err := parseLexicon(text)
	if err != nil {
		panic(err) // the embedded lexicon is checked by its test
	}
	return lx
}

func parseLexicon(text string) (*lexicon, error) {
	lx := &lexicon{concepts: map[string]concept{}, en: map[string][]string{}, zh: map[string][]string{}, terms: map[string][]string{}}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 5 {
			return nil, fmt.Errorf("lexicon line %d: %d fields, want 5", n+1, len(f))
		}
		id := strings.TrimSpace(f[0])
		if id != "-" {
			lx.concepts[id] = concept{id: id, labels: [2]string{strings.TrimSpace(f[3]), strings.TrimSpace(f[4])}}
		}
		for _, w := range strings.Split(f[1], ",") {
			if w = strings.TrimSpace(w); w == "" {
				continue
			}
			key := strings.Join(words(w), " ")
			if key == "" {
				return nil, fmt.Errorf("lexicon line %d: %q has no words", n+1, w)
			}
			lx.en[key] = appendConcept(lx.en[key], id)
			lx.terms[id] = append(lx.terms[id], strings.ToLower(w), key)
		}
		for _, w := range strings.Split(f[2], ",") {
			if w = strings.TrimSpace(w); w == "" {
				continue
			}
			lx.zh[w] = appendConcept(lx.zh[w], id)
			lx.terms[id] = append(lx.terms[id], w)
			lx.zhLonger = max(lx.zhLonger, len([]rune(w)))
		}
	}
	return lx, nil
}

func appendConcept(ids []string, id string) []string {
	if ids == nil {
		ids = []string{}
	}
	if id == "-" {
		return ids
	}
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

// label is the concept's name in locale ("en" or "zh-CN").
func (lx *lexicon) label(id, locale string) string {
	c, ok := lx.concepts[id]
	if !ok {
		return id
	}
	if strings.HasPrefix(locale, "zh") && c.labels[1] != "" {
		return c.labels[1]
	}
	return c.labels[0]
}
