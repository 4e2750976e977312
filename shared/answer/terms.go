package answer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A feature is one hashed term of a text (a Latin word, a character trigram of a Latin word, a Han character or
// a Han bigram) with the weight its kind carries. Hashes instead of strings keep matching free of allocations.
type feature struct {
	hash   uint64
	weight float32
}

// Relative weights of the kinds of feature; tuned on the dev set (shared/answer/pack/shoppers/dev.jsonl).
const (
	wordWeight    = 1.0
	trigramWeight = 0.35
	hanBigram     = 1.0
	hanUnigram    = 0.3
	numberWeight  = 0.5
	pairWeight    = 0.5
	// oovFactor scales the weight of query terms no example has; they lower the query's similarity to everything.
	oovFactor = 0.5
)

// Tags keep features of different kinds apart when hashed.
const (
	tagWord byte = iota + 1
	tagTrigram
	tagHan1
	tagHan2
	tagNumber
	tagPair
)

const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func hashRunes(tag byte, rs []rune) uint64 {
	h := fnvOffset
	h ^= uint64(tag)
	h *= fnvPrime
	for _, r := range rs {
		for r != 0 {
			h ^= uint64(r & 0xff)
			h *= fnvPrime
			r >>= 8
		}
		h ^= 0xff
		h *= fnvPrime
	}
	return h
}

// stopWords carry no meaning for matching: greetings and politeness, articles, filler.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "hi": true, "hello": true, "hey": true, "thanks": true, "thank": true,
	"thx": true, "please": true, "pls": true, "plz": true, "just": true, "um": true, "uh": true, "ok": true,
	"okay": true, "guys": true, "there": true, "quick": true, "question": true, "dear": true, "team": true,
}

// hanStop are Han characters too common to mean anything alone (they still count inside bigrams).
var hanStop = map[rune]bool{
	'的': true, '了': true, '吗': true, '呢': true, '啊': true, '呀': true, '吧': true, '哦': true, '么': true,
	'嘛': true, '亲': true, '你': true, '我': true, '是': true, '在': true, '有': true, '一': true, '下': true,
	'个': true, '好': true, '请': true, '问': true, '谢': true, '哈': true, '嗯': true, '们': true,
}

// hanBigramStop are bigrams of greetings and politeness.
var hanBigramStop = map[[2]rune]bool{
	{'你', '好'}: true, {'请', '问'}: true, {'谢', '谢'}: true, {'麻', '烦'}: true, {'您', '好'}: true,
}

// normalizeRune folds full-width ASCII to ASCII, letters to lower case and Traditional Chinese to Simplified.
func normalizeRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	if s, ok := t2s[r]; ok {
		return s
	}
	return unicode.ToLower(r)
}

func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || unicode.Is(unicode.Han, r)
}

// featurizer turns text into features. word is scratch space for the current Latin word; fix, when set,
// may replace a word before it becomes features (the index's spelling correction); pairs keeps word pairs.
type featurizer struct {
	word []rune
	fix  func(word []rune) []rune
	prev uint64 // hash of the previous Latin word in the same run of words, 0 at a boundary
}

// appendFeatures appends the features of text to dst.
func (z *featurizer) appendFeatures(dst []feature, text string) []feature {
	z.word, z.prev = z.word[:0], 0
	var prevHan, last rune
	for _, r := range text {
		r = normalizeRune(r)
		switch {
		case isHan(r):
			if len(z.word) > 0 {
				dst = z.appendWord(dst)
			}
			z.prev = 0
			if !hanStop[r] {
				dst = append(dst, feature{hashRunes(tagHan1, []rune{r}), hanUnigram})
			}
			if prevHan != 0 && !hanBigramStop[[2]rune{prevHan, r}] {
				dst = append(dst, feature{hashRunes(tagHan2, []rune{prevHan, r}), hanBigram})
			}
			prevHan, last = r, r
			continue
		case r == '\'' || r == '’':
			// don't -> dont, what's -> whats
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			z.word = append(z.word, r)
		default:
			if len(z.word) > 0 {
				dst = z.appendWord(dst)
			}
			if r == '{' && last == '{' {
				// A {{placeholder}} a storefront or a macro left in the text stands for an id, like an order number.
				dst = append(dst, feature{hashRunes(tagNumber, nil), numberWeight})
			}
			if r != ' ' {
				z.prev = 0 // word pairs do not span punctuation
			}
		}
		prevHan, last = 0, r
	}
	if len(z.word) > 0 {
		dst = z.appendWord(dst)
	}
	return dst
}

func (z *featurizer) appendWord(dst []feature) []feature {
	word := z.word
	z.word = z.word[:0]
	digits := 0
	for _, r := range word {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits >= 4 {
		// Order, tracking and phone numbers: that there is one matters, not which.
		z.prev = 0
		return append(dst, feature{hashRunes(tagNumber, nil), numberWeight})
	}
	if len(word) <= 8 && stopWords[string(word)] {
		return dst
	}
	if z.fix != nil {
		word = z.fix(word)
	}
	word = stem(word)
	h := hashRunes(tagWord, word)
	dst = append(dst, feature{h, wordWeight})
	if z.prev != 0 {
		dst = append(dst, feature{pairHash(z.prev, h), pairWeight})
	}
	z.prev = h
	if len(word) < 3 {
		return dst
	}
	// Trigrams of #word# tolerate typos: "cancle" shares #ca, can with "cancel".
	var tri [3]rune
	padded := len(word) + 2
	at := func(i int) rune {
		if i == 0 || i == padded-1 {
			return '#'
		}
		return word[i-1]
	}
	for i := 0; i+3 <= padded; i++ {
		tri[0], tri[1], tri[2] = at(i), at(i+1), at(i+2)
		dst = append(dst, feature{hashRunes(tagTrigram, tri[:]), trigramWeight})
	}
	return dst
}

// pairHash is the feature of two words in a row ("money back", "sign up", "how long").
func pairHash(a, b uint64) uint64 {
	h := fnvOffset
	h ^= uint64(tagPair)
	h *= fnvPrime
	h ^= a
	h *= fnvPrime
	h ^= b
	h *= fnvPrime
	return h
}

// stem strips the commonest English inflections so "orders", "ordered" and "ordering" meet "order".
func stem(w []rune) []rune {
	n := len(w)
	switch {
	case n > 5 && string(w[n-3:]) == "ing":
		return w[:n-3]
	case n > 4 && string(w[n-2:]) == "ed":
		return w[:n-2]
	case n > 4 && string(w[n-3:]) == "ies":
		return append(w[:n-3], 'y')
	case n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u':
		return w[:n-1]
	}
	return w
}

// Normalize folds text for comparing example sentences: lower case, full-width to ASCII, punctuation and spaces dropped.
func Normalize(text string) string {
	var b strings.Builder
	for _, r := range text {
		r = normalizeRune(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Simplify writes Traditional Chinese characters of text in their Simplified form, and leaves the rest as it is.
func Simplify(text string) string {
	for _, r := range text {
		if _, ok := t2s[r]; ok {
			return strings.Map(func(r rune) rune {
				if s, ok := t2s[r]; ok {
					return s
				}
				return r
			}, text)
		}
	}
	return text
}
