package phrasing

import (
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// keyboard holds each letter's neighbours on a QWERTY keyboard, for slips of the finger.
var keyboard = map[rune]string{
	'q': "wa", 'w': "qes", 'e': "wrd", 'r': "etf", 't': "ryg", 'y': "tuh", 'u': "yij", 'i': "uok", 'o': "ipl",
	'p': "ol", 'a': "qsz", 's': "adwx", 'd': "sfe", 'f': "dgr", 'g': "fht", 'h': "gjy", 'j': "hku", 'k': "jli",
	'l': "ko", 'z': "xa", 'x': "zcs", 'c': "xvd", 'v': "cbf", 'b': "vng", 'n': "bmh", 'm': "nj",
}

// Typos returns English noise: about one sentence in rate gets a misspelt word (a letter dropped, doubled,
// swapped with the next or struck next to it), the way shoppers type on phones.
func Typos(rate float64) func(*rand.Rand, string) string {
	return func(rng *rand.Rand, s string) string {
		if rng.Float64() >= rate {
			return s
		}
		words := strings.Fields(s)
		var long []int
		for i, w := range words {
			if utf8.RuneCountInString(w) >= 4 && isLetters(w) {
				long = append(long, i)
			}
		}
		if len(long) == 0 {
			return s
		}
		edits := 1
		if rng.IntN(4) == 0 {
			edits = 2
		}
		for range edits {
			i := long[rng.IntN(len(long))]
			words[i] = misspell(rng, words[i])
		}
		return strings.Join(words, " ")
	}
}

func isLetters(w string) bool {
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func misspell(rng *rand.Rand, w string) string {
	r := []rune(w)
	i := 1 + rng.IntN(len(r)-1) // keep the first letter, as most typos do
	switch rng.IntN(4) {
	case 0: // dropped
		return string(append(r[:i:i], r[i+1:]...))
	case 1: // doubled
		return string(append(r[:i+1:i+1], r[i:]...))
	case 2: // swapped with the next
		if i+1 < len(r) {
			r[i], r[i+1] = r[i+1], r[i]
		}
		return string(r)
	default: // a neighbouring key
		if n := keyboard[r[i]]; n != "" {
			r[i] = rune(n[rng.IntN(len(n))])
		}
		return string(r)
	}
}

// Chinese returns Chinese noise: the spaces a grammar puts between its parts go (shoppers write Chinese without
// them), and some sentences get a greeting in front or a particle at the end.
func Chinese(rng *rand.Rand, s string) string {
	s = joinHan(s)
	if rng.IntN(6) == 0 {
		s = openers[rng.IntN(len(openers))] + s
	}
	if rng.IntN(6) == 0 {
		s += closers[rng.IntN(len(closers))]
	}
	return s
}

var (
	openers = []string{"亲，", "亲 ", "在吗？", "在吗 ", "你好，", "您好，", "请问", "客服，", "hello，", "老板，", "掌柜的，", "那个，"}
	closers = []string{"？", "呢", "呀", "啊", "哈", "～", "??", "。", "谢谢", "急", "在线等"}
)

// joinHan drops spaces that have a Han character on either side; spaces between Latin words stay.
func joinHan(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && (unicode.Is(unicode.Han, rs[i-1]) || unicode.Is(unicode.Han, rs[i+1]) ||
			unicode.IsPunct(rs[i-1]) || unicode.IsPunct(rs[i+1])) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
