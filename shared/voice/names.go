package voice

import (
	"strings"
	"unicode"
)

// nameCues introduce a name in English. Strong cues take the next one or two words whatever their case; weak ones
// ("I'm", "this is", a sign-off) only words that start with a capital, so "i'm still waiting" stays.
var nameCues = []struct {
	cue    string
	strong bool
}{
	{"my name is ", true}, {"my name's ", true}, {"name is ", true}, {"name: ", true}, {"name:", true},
	{"full name ", true}, {"recipient ", true}, {"recipient: ", true},
	{"i am ", false}, {"i'm ", false}, {"im ", false}, {"this is ", false}, {"it's ", false},
	{"regards, ", false}, {"regards ", false}, {"thanks, ", false}, {"thank you, ", false}, {"cheers, ", false},
	{"best, ", false}, {"sincerely, ", false}, {"- ", false}, {"hi ", false}, {"hello ", false}, {"hey ", false},
	{"dear ", false}, {"morning ", false}, {"mr ", true}, {"mr. ", true}, {"mrs ", true},
	{"mrs. ", true}, {"ms ", true}, {"ms. ", true}, {"miss ", true}, {"dr ", true}, {"dr. ", true},
}

// notNames are capitalized words that follow weak cues and are not names.
var notNames = map[string]bool{
	"i": true, "not": true, "so": true, "very": true, "still": true, "sorry": true, "the": true, "a": true, "an": true,
	"your": true, "my": true, "this": true, "that": true, "it": true, "is": true, "order": true, "from": true, "in": true,
	"really": true, "just": true, "waiting": true, "asking": true, "writing": true, "trying": true, "going": true,
	"again": true, "about": true, "here": true, "unhappy": true, "happy": true, "angry": true, "upset": true,
	"disappointed": true, "confused": true, "ridiculous": true, "unacceptable": true, "terrible": true, "please": true,
	"and": true, "but": true, "for": true, "to": true, "on": true, "at": true, "no": true, "yes": true, "ok": true,
	"hello": true, "hi": true, "thanks": true, "help": true, "urgent": true, "chinese": true, "english": true,
	"team": true, "there": true, "all": true, "everyone": true, "support": true, "customer": true, "service": true,
	"i'm": true, "im": true, "i've": true, "it's": true, "we": true, "we're": true, "you": true, "sorry,": true,
	"sir": true, "madam": true, "guys": true, "friend": true, "shop": true, "store": true,
}

// surnames are common Chinese family names; a name introduced by 我是 or titled 先生/女士/小姐 starts with one.
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常欧易乔"

// hanNameCues introduce a name in Chinese; the name is the two to four Han characters after them.
var hanNameCues = []string{"我叫", "我的名字是", "我的名字叫", "名字是", "名字叫", "姓名是", "姓名：", "姓名:", "姓名", "收件人是", "收件人：", "收件人:", "收件人", "收货人是", "收货人：", "收货人:", "收货人", "联系人：", "联系人:", "联系人", "本人"}

// maskNames replaces names that the text introduces as names.
func maskNames(rs []rune) []rune {
	rs = maskLatinNames(rs)
	rs = maskVocatives(rs)
	return maskHanNames(rs)
}

// maskVocatives replaces a Capitalized word after a comma that ends the sentence: "your order ships tomorrow,
// Anna." Words the lexicon knows (cities, carriers, brands) stay.
func maskVocatives(rs []rune) []rune {
	for i := 0; i+3 < len(rs); i++ {
		if rs[i] != ',' || rs[i+1] != ' ' || !unicode.IsUpper(rs[i+2]) {
			continue
		}
		j := i + 3
		for j < len(rs) && unicode.IsLower(rs[j]) && rs[j] < unicode.MaxLatin1 {
			j++
		}
		if j-(i+2) < 2 || (j < len(rs) && !strings.ContainsRune(".!?\n", rs[j])) {
			continue
		}
		word := strings.ToLower(string(rs[i+2 : j]))
		if notNames[word] || defaultLexicon().en[stem(word)] != nil {
			continue
		}
		rs = replace(rs, i+2, j, MaskName)
		i += 1 + len(MaskName)
	}
	return rs
}

func maskLatinNames(rs []rune) []rune {
	for i := 0; i < len(rs); i++ {
		if i > 0 && unicode.IsLetter(rs[i-1]) {
			continue
		}
		for _, c := range nameCues {
			if !hasPrefixFold(rs[i:], c.cue) {
				continue
			}
			start := i + len([]rune(c.cue))
			for start < len(rs) && rs[start] == ' ' {
				start++
			}
			end := start
			for w := 0; w < 3; w++ {
				j := end
				if w > 0 {
					if j >= len(rs) || rs[j] != ' ' {
						break
					}
					j++
				}
				k := j
				for k < len(rs) && (unicode.IsLetter(rs[k]) && !isHan(rs[k]) || rs[k] == '-' || rs[k] == '\'') {
					k++
				}
				if k == j {
					break
				}
				word := string(rs[j:k])
				// After a weak cue a name is Capitalized: "UPS" or "SF" are carriers, "still" is not a name.
				upper := unicode.IsUpper(rs[j]) && (k-j == 1 || !unicode.IsUpper(rs[j+1]))
				if notNames[strings.ToLower(word)] || (!c.strong && !upper) || (w > 0 && !upper && !c.strong) {
					break
				}
				end = k
				if c.strong && w == 1 {
					break
				}
			}
			if end == start {
				continue
			}
			rs = replace(rs, start, end, MaskName)
			i = start + len(MaskName) - 1
			break
		}
	}
	return rs
}

func maskHanNames(rs []rune) []rune {
	for i := 0; i < len(rs); i++ {
		// A cue, then the name.
		for _, cue := range hanNameCues {
			if !hasPrefixFold(rs[i:], cue) {
				continue
			}
			start := i + len([]rune(cue))
			for start < len(rs) && (rs[start] == ' ' || rs[start] == ':' || rs[start] == '：') {
				start++
			}
			n := 0
			for start+n < len(rs) && n < 4 && isHan(rs[start+n]) && !strings.ContainsRune("的是在了，。要想", rs[start+n]) {
				n++
			}
			if n >= 2 && (cue != "本人" || strings.ContainsRune(surnames, rs[start])) {
				rs = replace(rs, start, start+n, MaskName)
				i = start + len(MaskName) - 1
			}
			break
		}
		if i >= len(rs) {
			break
		}
		// 我是 + a surname-led name that ends the clause: 我是王小明，… (but not 我是高级会员).
		if hasPrefixFold(rs[i:], "我是") && i+3 < len(rs) && strings.ContainsRune(surnames, rs[i+2]) {
			for n := 3; n >= 2; n-- {
				end := i + 2 + n
				if end > len(rs) {
					continue
				}
				allHan := true
				for _, r := range rs[i+2 : end] {
					allHan = allHan && isHan(r)
				}
				if allHan && (end == len(rs) || !isHan(rs[end])) {
					rs = replace(rs, i+2, end, MaskName)
					i += 1 + len(MaskName)
					break
				}
			}
		}
		// A surname with a title: 王先生, 李女士, 陈小姐.
		if i+2 < len(rs) && strings.ContainsRune(surnames, rs[i]) && (i == 0 || !isHan(rs[i-1]) || strings.ContainsRune("是叫找给和跟让请位", rs[i-1])) {
			for _, title := range []string{"先生", "女士", "小姐"} {
				if hasPrefixFold(rs[i+1:], title) {
					rs = replace(rs, i, i+1, MaskName)
					i += len(MaskName) - 1
					break
				}
			}
		}
	}
	return rs
}

func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || unicode.Is(unicode.Han, r)
}
