package voice

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// What Mask puts in place of personal data. They are plain ASCII in brackets, so they read the same in both
// languages, survive a second Mask unchanged, and the text features skip them.
const (
	MaskEmail   = "[email]"
	MaskPhone   = "[phone]"
	MaskNumber  = "[number]"
	MaskName    = "[name]"
	MaskLink    = "[link]"
	MaskAddress = "[address]"
)

// maxMaskedRunes bounds what Mask keeps of one text: a voice is a short message, and the digest shows a line.
const maxMaskedRunes = 600

// Mask removes personal data from text before it is stored or shown: links, e-mail addresses, phone numbers,
// order, tracking and card numbers (any run of four or more digits, with or without separators, and any word
// holding four or more digits), numbers spelled in Chinese numerals, names introduced as names ("my name is",
// "我叫", a surname with 先生/女士) and addresses after an "address:" label. Full-width letters and digits are
// folded to ASCII first, so they cannot slip through. It is idempotent, and cuts text to maxMaskedRunes.
//
// It cannot know every name: a bare name in the middle of a sentence ("tell anna the parcel is late") stays.
func Mask(text string) string {
	rs := fold(text)
	if len(rs) > 4*maxMaskedRunes {
		// Only the first maxMaskedRunes are kept; the rest only gives context to what straddles the cut.
		rs = rs[:4*maxMaskedRunes]
	}
	rs = maskLinks(rs)
	rs = maskAddresses(rs)
	rs = maskEmails(rs)
	rs = maskDigits(rs, true)
	rs = maskCodes(rs)
	rs = maskDigits(rs, false)
	rs = maskHanNumerals(rs)
	rs = maskNames(rs)
	if len(rs) > maxMaskedRunes {
		rs = append(rs[:maxMaskedRunes-1], '…')
	}
	return string(rs)
}

// foldable are the ASCII characters whose full-width forms fold: letters, digits and what joins them in numbers
// and addresses. Full-width punctuation (，：！) is how Chinese is written and stays.
const foldable = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@+-./()#_"

// fold turns text into runes with full-width letters and digits folded to ASCII, the ideographic space to a space, control
// characters to spaces and invalid UTF-8 dropped.
func fold(text string) []rune {
	rs := make([]rune, 0, utf8.RuneCountInString(text))
	for i, w := 0, 0; i < len(text); i += w {
		r, size := utf8.DecodeRuneInString(text[i:])
		w = size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case r >= 0xFF01 && r <= 0xFF5E && strings.ContainsRune(foldable, r-0xFEE0):
			r -= 0xFEE0
		case r == 0x3000 || unicode.IsControl(r) || r == 0x2028 || r == 0x2029:
			r = ' '
		}
		rs = append(rs, r)
	}
	return rs
}

func replace(rs []rune, from, to int, with string) []rune {
	out := make([]rune, 0, len(rs)-(to-from)+len(with))
	out = append(out, rs[:from]...)
	out = append(out, []rune(with)...)
	return append(out, rs[to:]...)
}

func isASCIILetter(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }
func isASCIIAlnum(r rune) bool  { return isASCIILetter(r) || '0' <= r && r <= '9' }

// maskLinks replaces http(s) URLs and www. hosts, up to the next space, quote or bracket.
func maskLinks(rs []rune) []rune {
	for i := 0; i < len(rs); i++ {
		n := 0
		switch {
		case hasPrefixFold(rs[i:], "https://"):
			n = 8
		case hasPrefixFold(rs[i:], "http://"):
			n = 7
		case hasPrefixFold(rs[i:], "www.") && (i == 0 || !isASCIIAlnum(rs[i-1])):
			n = 4
		default:
			continue
		}
		j := i + n
		for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune(`"'<>()[]{}，。！？、；：“”‘’（）【】`, rs[j]) {
			j++
		}
		rs = replace(rs, i, j, MaskLink)
		i += len(MaskLink) - 1
	}
	return rs
}

// hasPrefixFold reports whether rs starts with prefix, which is in lower case, ignoring the case of rs.
func hasPrefixFold(rs []rune, prefix string) bool {
	i := 0
	for _, p := range prefix {
		if i >= len(rs) || unicode.ToLower(rs[i]) != p {
			return false
		}
		i++
	}
	return true
}

// maskAddresses replaces what follows an explicit address label, up to the end of the clause.
func maskAddresses(rs []rune) []rune {
	for _, label := range []string{"收货地址", "收件地址", "地址", "address", "addr", "ship to"} {
		for i := 0; i+len([]rune(label)) <= len(rs); i++ {
			lr := []rune(label)
			if !hasPrefixFold(rs[i:], label) || (isASCIILetter(lr[0]) && i > 0 && isASCIILetter(rs[i-1])) {
				continue
			}
			j := i + len(lr)
			k := j
			for k < len(rs) && rs[k] == ' ' {
				k++
			}
			if k >= len(rs) || (rs[k] != ':' && rs[k] != '：' && rs[k] != '是' && rs[k] != '=') {
				continue
			}
			k++
			start := k
			for k < len(rs) && !strings.ContainsRune("。！？!?\n;；", rs[k]) && !(rs[k] == ',' && k+1 < len(rs) && rs[k+1] == ' ' && k-start > 24) {
				k++
			}
			if k-start < 2 {
				continue
			}
			rs = replace(rs, start, k, " "+MaskAddress+" ")
			i = start + len(MaskAddress)
		}
	}
	return rs
}

func isLocalPart(r rune) bool {
	return isASCIIAlnum(r) || strings.ContainsRune("._%+-", r) || (unicode.IsLetter(r) && !isHan(r))
}

func isDomainPart(r rune) bool {
	return isASCIIAlnum(r) || r == '-' || r == '.' || (unicode.IsLetter(r) && !isHan(r))
}

// maskEmails replaces local@domain.tld. A domain without a dot is left alone ("@ me"), a local part may be empty.
func maskEmails(rs []rune) []rune {
	for i := 0; i < len(rs); i++ {
		if rs[i] != '@' {
			continue
		}
		j := i + 1
		for j < len(rs) && isDomainPart(rs[j]) {
			j++
		}
		domain := strings.Trim(string(rs[i+1:j]), ".-")
		dot := strings.LastIndexByte(domain, '.')
		if dot <= 0 || dot == len(domain)-1 {
			continue
		}
		k := i
		for k > 0 && isLocalPart(rs[k-1]) {
			k--
		}
		// Keep a trailing full stop that ends the sentence.
		for j > i+1 && (rs[j-1] == '.' || rs[j-1] == '-') {
			j--
		}
		rs = replace(rs, k, j, MaskEmail)
		i = k + len(MaskEmail) - 1
	}
	return rs
}

// isDigitSep are the characters people put between the digits of one number: "+86 138-0013 8000", "(555) 123.4567".
func isDigitSep(r rune) bool { return strings.ContainsRune(" -.()+/_#", r) }

// maxDigitGap is how many separators may stand between two digits of one number.
const maxDigitGap = 3

// maskDigits replaces every run of digits (any script) holding four or more digits, where the digits are
// separated by at most maxDigitGap separator characters: order numbers, phones, cards, ids, dates, amounts.
// A run that reads as a phone becomes [phone]; with phones, only those (a first pass, before maskCodes would
// take a phone's digit groups one by one).
func maskDigits(rs []rune, phones bool) []rune {
	for i := 0; i < len(rs); i++ {
		if !unicode.IsDigit(rs[i]) {
			continue
		}
		digits, end, j := 0, i, i
		for j < len(rs) {
			if unicode.IsDigit(rs[j]) {
				digits++
				j++
				end = j
				continue
			}
			k := j
			for k < len(rs) && k-j < maxDigitGap && isDigitSep(rs[k]) {
				k++
			}
			if k == j || k >= len(rs) || !unicode.IsDigit(rs[k]) {
				break
			}
			j = k
		}
		if digits < 4 {
			i = end - 1
			continue
		}
		start := i
		if start > 0 && (rs[start-1] == '+' || rs[start-1] == '(') {
			start--
		}
		with := MaskNumber
		if phoneLike(rs[start:end], digits) {
			with = MaskPhone
		} else if phones {
			i = end - 1
			continue
		}
		rs = replace(rs, start, end, with)
		i = start + len(with) - 1
	}
	return rs
}

func phoneLike(rs []rune, digits int) bool {
	if digits < 7 || digits > 15 {
		return false
	}
	if rs[0] == '+' {
		return true
	}
	var ds []rune
	for _, r := range rs {
		if unicode.IsDigit(r) {
			ds = append(ds, r)
		}
	}
	if len(ds) == 11 && ds[0] == '1' && ds[1] >= '3' && ds[1] <= '9' {
		return true // a mainland China mobile
	}
	return rs[0] == '(' || (digits == 10 && strings.ContainsAny(string(rs), "-. "))
}

// maskCodes replaces words of letters and digits that hold four or more digits in all (SF1234567890,
// 1Z999AA10123456784, A1B2C3D4), which maskDigits leaves when letters split the digits.
func maskCodes(rs []rune) []rune {
	for i := 0; i < len(rs); i++ {
		if !isCodeRune(rs[i]) || (i > 0 && isCodeRune(rs[i-1])) {
			continue
		}
		j, digits := i, 0
		for j < len(rs) && isCodeRune(rs[j]) {
			if unicode.IsDigit(rs[j]) {
				digits++
			}
			j++
		}
		if digits < 4 {
			i = j - 1
			continue
		}
		rs = replace(rs, i, j, MaskNumber)
		i += len(MaskNumber) - 1
	}
	return rs
}

// isCodeRune is a character of an order or tracking code: a digit, a dash or underscore, or a letter of an
// alphabet (Han, kana and Hangul write words, not codes).
func isCodeRune(r rune) bool {
	if isASCIIAlnum(r) || r == '-' || r == '_' || unicode.IsDigit(r) {
		return true
	}
	return unicode.IsLetter(r) && !isHan(r) && !unicode.In(r, unicode.Hangul, unicode.Hiragana, unicode.Katakana)
}

var hanDigits = "〇零一二三四五六七八九两幺"

// maskHanNumerals replaces five or more Chinese numeral digits in a row ("一三八〇〇一三八〇〇〇"), the way a phone
// or an order number is spelled out to get past a filter. Words like 十一 or 三四天 are shorter.
func maskHanNumerals(rs []rune) []rune {
	for i := 0; i < len(rs); i++ {
		j := i
		for j < len(rs) && (strings.ContainsRune(hanDigits, rs[j]) || (j > i && rs[j] == ' ')) {
			j++
		}
		for j > i && rs[j-1] == ' ' {
			j--
		}
		n := 0
		for _, r := range rs[i:j] {
			if r != ' ' {
				n++
			}
		}
		if n < 5 {
			continue
		}
		rs = replace(rs, i, j, MaskNumber)
		i += len(MaskNumber) - 1
	}
	return rs
}
