package answer

import (
	"slices"
	"unicode"
)

// speller corrects a Latin word no training text has to the commonest known word one edit away (a letter
// dropped, added, changed, or two letters swapped): "refnd" becomes "refund", "adress" "address". Trigrams
// already soften typos; a corrected word also brings back its word and word-pair features.
type speller struct {
	words []string // known words by id, most frequent first
	// byDelete maps the hash of a known word, and of each form of it with one letter deleted, to word ids.
	byDelete map[uint64][]int32
	// rank maps the hash of a known word to its id, its rank by frequency.
	rank map[uint64]int32
}

// minSpellLen: shorter words have too many neighbours one edit away to correct safely.
const minSpellLen = 4

// A known word ranked rareRank or lower by frequency is corrected to a word one edit away that ranks rareRatio
// times higher (by Zipf's law, about that many times commoner).
var (
	rareRank  int32 = 1500
	rareRatio int32 = 30
)

// newSpeller indexes words, given most frequent first.
func newSpeller(words []string) *speller {
	sp := &speller{words: words, byDelete: make(map[uint64][]int32, len(words)*8), rank: make(map[uint64]int32, len(words))}
	buf := make([]rune, 0, 32)
	for id, w := range words {
		rs := []rune(w)
		if len(rs) < minSpellLen {
			continue
		}
		sp.add(hashRunes(tagWord, rs), int32(id))
		sp.rank[hashRunes(tagWord, rs)] = int32(id)
		for i := range rs {
			buf = append(append(buf[:0], rs[:i]...), rs[i+1:]...)
			sp.add(hashRunes(tagWord, buf), int32(id))
		}
	}
	return sp
}

func (sp *speller) add(h uint64, id int32) {
	ids := sp.byDelete[h]
	if len(ids) > 0 && ids[len(ids)-1] == id {
		return // a doubled letter deletes to the same form twice
	}
	sp.byDelete[h] = append(ids, id)
}

// correct returns the known word one edit from w, or w when there is none (or w is short, or not a word).
// known reports whether a word is in the index already.
func (sp *speller) correct(w []rune, known func([]rune) bool) []rune {
	if sp == nil || len(w) < minSpellLen {
		return w
	}
	// A known word is corrected only when it is rare and a word one edit away is far commoner: the grammars'
	// own misspellings ("cupons", "warrenty") are known, but as weakly as the rare sentences that had them.
	limit := int32(-1)
	if known(w) {
		id, ok := sp.rank[hashRunes(tagWord, w)]
		if !ok {
			// Known, but seen once in all the texts (left out of the vocabulary as a likely typo, like the pack's
			// "warrenty"): rarer than any word of it.
			id = int32(len(sp.words))
		}
		if id < rareRank {
			return w
		}
		limit = id / rareRatio
	}
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return w
		}
	}
	best := int32(-1)
	consider := func(h uint64) {
		for _, id := range sp.byDelete[h] {
			if best < 0 || id < best { // ids are in order of frequency
				best = id
			}
		}
	}
	consider(hashRunes(tagWord, w)) // w lacks a letter of a known word
	var buf [64]rune
	for i := range w {
		if len(w) > len(buf) {
			break
		}
		d := append(append(buf[:0], w[:i]...), w[i+1:]...)
		consider(hashRunes(tagWord, d)) // w has a letter too many, one changed, or two swapped
	}
	if best < 0 || limit >= 0 && best > limit {
		return w
	}
	return []rune(sp.words[best])
}

// vocabulary lists the Latin words of texts of at least minSpellLen letters, most frequent first.
func vocabulary(texts [][]string) []string {
	count := map[string]int{}
	for _, ts := range texts {
		for _, t := range ts {
			var word []rune
			flush := func() {
				if len(word) >= minSpellLen {
					count[string(word)]++
				}
				word = word[:0]
			}
			for _, r := range t {
				r = normalizeRune(r)
				switch {
				case r == '\'' || r == '’':
				case r < 0x3000 && unicode.IsLetter(r):
					word = append(word, r)
				default:
					flush()
				}
			}
			flush()
		}
	}
	words := make([]string, 0, len(count))
	for w, n := range count {
		if n >= 2 { // a word seen once may be a typo the grammar made on purpose
			words = append(words, w)
		}
	}
	slices.SortFunc(words, func(a, b string) int {
		if count[a] != count[b] {
			return count[b] - count[a]
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return words
}
