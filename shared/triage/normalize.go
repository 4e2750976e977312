package triage

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"breakwater/shared/answer"
)

// Normalize is the text the guards and the matcher read: Unicode NFKC (full-width letters, ligatures and the like
// become plain ones), invisible format characters removed (a zero-width space inside "fr\u200baud" must not hide
// the word), Traditional Chinese written in Simplified characters, and Chinese shop words in their mainland form
// (zhWords).
func Normalize(text string) string {
	if isPlainASCII(text) {
		return text
	}
	text = norm.NFKC.String(text)
	if strings.IndexFunc(text, invisible) >= 0 {
		text = strings.Map(func(r rune) rune {
			if invisible(r) {
				return -1
			}
			return r
		}, text)
	}
	text = answer.Simplify(text)
	if hasHan(text) {
		text = zhWords.Replace(text)
	}
	return text
}

// zhWords writes the shop words of Taiwan and Hong Kong (出貨, 保固, 入帳, 推播 …), and the slips of a pinyin
// keyboard that shoppers make in them (定单, 发漂, 保休, 注测, 优惠卷 …), the way the phrasing grammars and the
// guards spell them. Character by character they are already Simplified; these are other words for the same
// thing. A slip is listed only where the mistyped word means nothing else a shopper would write to a shop; where
// it does ("退定金"), that word is listed first as itself, which wins over the shorter slip.
var zhWords = newWordMap(
	// Words of Taiwan and Hong Kong.
	"出货", "发货", "宅配", "快递", "超商取货", "自提", "取货付款", "货到付款", "鉴赏期", "七天无理由",
	"入帐", "到账", "入账", "到账", "帐号", "账号", "帐户", "账户", "帐单", "账单", "登入", "登录", "登陆", "登录",
	"信箱", "邮箱", "电邮", "邮箱", "简讯", "短信", "讯息", "消息", "推播", "推送", "折价券", "优惠券",
	"折价码", "优惠码", "积点", "积分", "保固", "保修", "萤幕", "屏幕", "记忆体", "内存", "硬碟", "硬盘",
	"行动电源", "充电宝", "笔电", "笔记本", "滑鼠", "鼠标", "影片", "视频", "网路", "网络", "客服专线", "客服电话",
	// Slips of a pinyin keyboard in shop words.
	"退定金", "退定金", "定单", "订单", "好平", "好评", "差平", "差评", "发漂", "发票", "发飘", "发票", "保休", "保修",
	"注测", "注册", "住册", "注册", "壮态", "状态", "状太", "状态", "时侯", "时候", "退定", "退订", "优惠卷", "优惠券",
	"代金卷", "代金券", "领卷", "领券", "用卷", "用券", "快第", "快递", "物留", "物流", "运废", "运费", "发获", "发货",
	"收获地址", "收货地址", "确认收获", "确认收货", "尺马", "尺码", "包由", "包邮",
)

// wordMap replaces words by others, found by their first rune in one pass; the first listed of two words that
// start at the same place wins. Text without any of its words is returned as it is, without allocating.
type wordMap map[rune][][2]string

func newWordMap(oldNew ...string) wordMap {
	m := wordMap{}
	for i := 0; i+1 < len(oldNew); i += 2 {
		first, _ := utf8.DecodeRuneInString(oldNew[i])
		m[first] = append(m[first], [2]string{oldNew[i], oldNew[i+1]})
	}
	return m
}

// Replace returns text with m's words replaced.
func (m wordMap) Replace(text string) string {
	var b strings.Builder
	done := 0 // text[:done] is in b
	for at := 0; at < len(text); {
		r, size := utf8.DecodeRuneInString(text[at:])
		matched := false
		for _, w := range m[r] {
			if strings.HasPrefix(text[at:], w[0]) {
				if b.Len() == 0 && done == 0 {
					b.Grow(len(text))
				}
				b.WriteString(text[done:at])
				b.WriteString(w[1])
				at += len(w[0])
				done, matched = at, true
				break
			}
		}
		if !matched {
			at += size
		}
	}
	if done == 0 {
		return text
	}
	b.WriteString(text[done:])
	return b.String()
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x2E80 && unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// invisible reports format characters (zero-width spaces and joiners, direction marks, soft hyphens, the BOM).
func invisible(r rune) bool { return unicode.Is(unicode.Cf, r) }

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
