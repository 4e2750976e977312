package voice

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Weights of the kinds of feature of a message, keys of a sparse vector: "w:" a stemmed Latin word, "h:" a Han
// bigram, "u:" a Han character that is not a function word, "c:" a lexicon concept (the bridge between English
// and Chinese), "r:" the reason a person took the contact.
type Weights struct {
	Word, Bigram, Unigram, Concept, Reason float64
}

// DefaultWeights were chosen on testdata/fixture.jsonl (see EVAL.md).
var DefaultWeights = Weights{Word: 1, Bigram: 0.6, Unigram: 0.3, Concept: 3, Reason: 0.7}

// vec is a sparse vector of weighted features.
type vec map[string]float64

func (v vec) norm() float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// unit scales v to length 1 in place; the zero vector stays zero.
func (v vec) unit() vec {
	if n := v.norm(); n > 0 {
		for k, x := range v {
			v[k] = x / n
		}
	}
	return v
}

// dot is the dot product; for unit vectors, their cosine.
func dot(a, b vec) float64 {
	if len(b) < len(a) {
		a, b = b, a
	}
	var s float64
	for k, x := range a {
		s += x * b[k]
	}
	return s
}

// top keeps the n heaviest features of v (ties broken by key, so the result does not depend on map order).
func (v vec) top(n int) vec {
	if len(v) <= n {
		return v
	}
	keys := v.keys()
	sort.SliceStable(keys, func(i, j int) bool { return v[keys[i]] > v[keys[j]] })
	out := make(vec, n)
	for _, k := range keys[:n] {
		out[k] = v[k]
	}
	return out
}

// keys returns v's keys sorted.
func (v vec) keys() []string {
	ks := make([]string, 0, len(v))
	for k := range v {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// enStop are English words that say nothing about the problem: function words, greetings, politeness.
var enStop = set("a an the and or but if so to of in on at by for from with about as into than then there here " +
	"i me my mine we us our you your yours he she it its they them their this that these those what which who whom " +
	"is am are was were be been being do does did have has had having will would shall should can could may might must " +
	"hi hello hey dear thanks thank thx pls plz please ok okay yes just also still really very too quite " +
	"guys team sir madam help question quick asap urgent now today yesterday tomorrow again any some all " +
	"good morning afternoon evening excuse dear regards cheers reply respond happy " +
	"how why when where whats wheres hows get got going go want wanted need would like im ive id youre")

// negations all become "not", so "doesn't work", "won't apply" and "cannot" meet.
var negations = set("not no never dont doesnt didnt isnt wasnt arent werent cant cannot couldnt wont wouldnt havent hasnt hadnt nothing")

// hanStop are Han characters too common to mean anything alone (they still count inside bigrams).
var hanStop = set("的 了 吗 呢 啊 呀 吧 哦 么 嘛 亲 你 我 他 她 是 在 有 一 下 个 好 请 问 谢 哈 嗯 们 这 那 就 都 也 还 又 和 与 到 说 要 会 能 可 以 为 什 怎 么 给 把 被 让 对 吧 呗 啦 哎 唉 喂 您")

// hanBigramStop are bigrams of greetings, politeness and grammar.
var hanBigramStop = set("你好 您好 请问 谢谢 麻烦 一下 可以 什么 怎么 为什 么办 我的 你们 我们 这个 那个 是不 不是 一个 的时 时候 现在 还是 就是 已经 帮我 给我 一直 问一 下我 能不 能帮 吗谢 了吗 的吗 呢谢 在吗 亲在 好的 " +
	"尽快 处理 烦尽 快处 回事 么回 说法 给个 个说 回复 客服 急急 着急")

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// words splits text into lower-case Latin words (with digits), apostrophes dropped, negations as "not" and the
// commonest inflections stemmed; stop words are kept (the lexicon's phrases need them), Han text is skipped.
func words(text string) []string {
	var out []string
	var w []rune
	flush := func() {
		if len(w) > 0 {
			s := string(w)
			if negations[s] {
				s = "not"
			}
			out = append(out, stem(s))
			w = w[:0]
		}
	}
	for _, r := range text {
		r = unicode.ToLower(r)
		switch {
		case r == '\'' || r == '’':
		case isHan(r):
			flush()
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			w = append(w, r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// stem strips the commonest English inflections so "orders", "ordered" and "ordering" meet "order".
func stem(w string) string {
	n := len(w)
	switch {
	case n > 5 && strings.HasSuffix(w, "ing"):
		return w[:n-3]
	case n > 4 && strings.HasSuffix(w, "ed"):
		return w[:n-2]
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u':
		return w[:n-1]
	}
	return w
}

// features turns a masked message into weighted features; surface collects, per feature, the words it came from
// (for labels), when not nil.
func features(text string, lx *lexicon, wt Weights, surface map[string]map[string]int) vec {
	v := vec{}
	see := func(key, form string) {
		if surface == nil {
			return
		}
		m := surface[key]
		if m == nil {
			m = map[string]int{}
			surface[key] = m
		}
		m[form]++
	}
	text = stripMasks(text)
	// Latin words: each content word, and concepts of word sequences up to four long.
	ws, forms := wordsWithForms(text)
	for i, w := range ws {
		if !enStop[w] && !enStop[forms[i]] && len(w) > 1 || w == "not" {
			v["w:"+w] += wt.Word
			see("w:"+w, forms[i])
		}
	}
	// Concepts of word sequences up to four long, the longest first; a matched sequence is not read again
	// ("verification code" is not also a coupon "code").
	for i := 0; i < len(ws); {
		n := min(4, len(ws)-i)
		for ; n >= 1; n-- {
			if ids, ok := lx.en[strings.Join(ws[i:i+n], " ")]; ok {
				for _, id := range ids {
					v["c:"+id] = wt.Concept
				}
				break
			}
		}
		i += max(1, n)
	}
	// Han runs: bigrams, characters that carry meaning, and concepts by longest match.
	var run []rune
	flush := func() {
		for i, r := range run {
			if !hanStop[string(r)] {
				v["u:"+string(r)] += wt.Unigram
				see("u:"+string(r), string(r))
			}
			if i+1 < len(run) {
				bg := string(run[i : i+2])
				if !hanBigramStop[bg] {
					v["h:"+bg] += wt.Bigram
					see("h:"+bg, bg)
				}
			}
		}
		for i := 0; i < len(run); {
			matched := 0
			for n := min(lx.zhLonger, len(run)-i); n >= 1; n-- {
				if ids, ok := lx.zh[string(run[i:i+n])]; ok {
					for _, id := range ids {
						v["c:"+id] = wt.Concept
					}
					matched = n
					break
				}
			}
			i += max(1, matched)
		}
		run = run[:0]
	}
	for _, r := range text {
		if isHan(r) {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
	// Latin terms inside Chinese text (APP, UPS, SF) are matched by the word pass; upper-case Chinese-lexicon
	// entries like UPS are matched here.
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !isASCIILetter(r) }) {
		if ids, ok := lx.zh[w]; ok {
			for _, id := range ids {
				v["c:"+id] = wt.Concept
			}
		}
	}
	return v
}

// wordsWithForms is words, with the original (lower-case) form of each word for labels.
func wordsWithForms(text string) ([]string, []string) {
	var ws, forms []string
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’') || isHan(r)
	}) {
		for _, w := range words(f) {
			ws = append(ws, w)
			forms = append(forms, strings.NewReplacer("'", "", "’", "").Replace(f))
		}
	}
	return ws, forms
}

// stripMasks blanks the placeholders Mask wrote, so they do not read as words.
func stripMasks(text string) string {
	if !strings.Contains(text, "[") {
		return text
	}
	return maskTokens.Replace(text)
}

var maskTokens = strings.NewReplacer(MaskEmail, " ", MaskPhone, " ", MaskNumber, " ", MaskName, " ", MaskLink, " ", MaskAddress, " ")

// StripMasks blanks the placeholders Mask wrote, for text that is not read by people (a draft's example questions).
func StripMasks(text string) string { return stripMasks(text) }

// Similarity is the cosine of two texts' words and Han bigrams (no weighting by rarity): how alike two replies are.
func Similarity(a, b string) float64 {
	w := Weights{Word: 1, Bigram: 1}
	return dot(features(a, defaultLexicon(), w, nil).unit(), features(b, defaultLexicon(), w, nil).unit())
}

// MaskIn returns the first placeholder Mask wrote in text, or "".
func MaskIn(text string) string {
	for _, m := range []string{MaskEmail, MaskPhone, MaskNumber, MaskName, MaskLink, MaskAddress} {
		if strings.Contains(text, m) {
			return m
		}
	}
	return ""
}
