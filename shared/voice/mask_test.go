package voice

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"where is order 2026111048213?", "where is order [number]?"},
		{"order #48213 still not here", "order #[number] still not here"},
		{"tracking SF1234567890 stuck", "tracking [number] stuck"},
		{"UPS 1Z999AA10123456784 says delivered", "UPS [number] says delivered"},
		{"call me on 138 0013 8000 please", "call me on [phone] please"},
		{"call me on +86 138-0013-8000", "call me on [phone]"},
		{"my number is (555) 123-4567", "my number is [phone]"},
		{"电话13800138000，订单号A1001", "电话[phone]，订单号[number]"},
		{"订单号：２０２６１１１０４８", "订单号：[number]"},
		{"mail me at anna.lee+shop@example.co.uk.", "mail me at [email]."},
		{"邮箱是 zhangsan@qq.com 谢谢", "邮箱是 [email] 谢谢"},
		{"ANNA@EXAMPLE.COM", "[email]"},
		{"see https://shop.example.com/orders/123456?x=1 now", "see [link] now"},
		{"电话一三八零零一三八零零零", "电话[number]"},
		{"双十一的券三四天了还没到", "双十一的券三四天了还没到"},
		{"My name is Anna Lee and my coupon fails", "My name is [name] and my coupon fails"},
		{"my name is anna, order late", "my name is [name], order late"},
		{"Hi, I'm Zhang Wei. SAVE20 does not work", "Hi, I'm [name]. SAVE20 does not work"},
		{"i'm still waiting for my size M jacket", "i'm still waiting for my size M jacket"},
		{"I called UPS twice", "I called UPS twice"},
		{"Thanks, Maria", "Thanks, [name]"},
		{"我叫王小明，优惠券用不了", "我叫[name]，优惠券用不了"},
		{"我是李娜，快递三天没动", "我是[name]，快递三天没动"},
		{"我是高级会员，为什么不能用券", "我是高级会员，为什么不能用券"},
		{"请让王先生联系我", "请让[name]先生联系我"},
		{"收件人：陈大文 电话：13912345678", "收件人：[name] 电话：[phone]"},
		{"地址：北京市朝阳区建国路88号。快点", "地址： [address] 。快点"},
		{"size 38 or 40, 2 pairs, $12.5", "size 38 or 40, 2 pairs, $12.5"},
		{"price was $129.50 now $99", "price was $[number] now $99"},
		{"coupon SAVE20 says invalid", "coupon SAVE20 says invalid"},
		{"", ""},
	} {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskCutsLongText(t *testing.T) {
	got := Mask(strings.Repeat("很慢", 1000))
	if n := utf8.RuneCountInString(got); n != maxMaskedRunes {
		t.Fatalf("masked length = %d runes, want %d", n, maxMaskedRunes)
	}
}

// leaks reports what personal data survived in masked text, checked independently of how Mask finds it.
func leaks(masked string) []string {
	var out []string
	if m := emailRE.FindString(masked); m != "" {
		out = append(out, "email "+m)
	}
	rs := []rune(masked)
	// Four digits with at most three separators between each two.
	for i := 0; i < len(rs); i++ {
		if !unicode.IsDigit(rs[i]) {
			continue
		}
		n, gap := 1, 0
		for j := i + 1; j < len(rs) && gap <= 3; j++ {
			switch {
			case unicode.IsDigit(rs[j]):
				n, gap = n+1, 0
			case strings.ContainsRune(" -.()+/_#", rs[j]):
				gap++
			default:
				gap = 99
			}
			if n >= 4 {
				out = append(out, "digits "+string(rs[i:j+1]))
				break
			}
		}
	}
	// A word of letters and digits with four digits.
	for _, w := range strings.FieldsFunc(masked, func(r rune) bool { return !isCodeRune(r) }) {
		d := 0
		for _, r := range w {
			if unicode.IsDigit(r) {
				d++
			}
		}
		if d >= 4 {
			out = append(out, "code "+w)
		}
	}
	// Five Chinese numeral digits in a row.
	run := 0
	for _, r := range rs {
		if strings.ContainsRune(hanDigits, r) {
			if run++; run >= 5 {
				out = append(out, "han digits")
				break
			}
		} else if r != ' ' {
			run = 0
		}
	}
	return out
}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)

func checkMasked(t *testing.T, in string) {
	t.Helper()
	got := Mask(in)
	if l := leaks(got); len(l) > 0 {
		t.Fatalf("Mask(%q) = %q leaks %v", in, got, l)
	}
	if !utf8.ValidString(got) {
		t.Fatalf("Mask(%q) = %q is not valid UTF-8", in, got)
	}
	if again := Mask(got); again != got {
		t.Fatalf("Mask is not idempotent on %q: %q then %q", in, got, again)
	}
}

func TestMaskPlantedData(t *testing.T) {
	secrets := []string{"13800138000", "+1 (555) 010-9999", "4111 1111 1111 1111", "SF1234567890", "A-10-20-30",
		"a.b-c_d+e@mail.example.org", "x@y.io", "２０２６１１１０４８２１３", "１３８００１３８０００", "1 2 3 4", "12.34.56",
		"一三八零零一三八零零零", "身份证110101199003077777", "订单 2026/11/11/0001"}
	wraps := []string{"%s", "order %s late", "订单%s还没到", "(%s)", "[%s]", "%s%s", "电话：%s。", "x%sy", "SAVE20%s"}
	for _, s := range secrets {
		for _, w := range wraps {
			checkMasked(t, strings.ReplaceAll(w, "%s", s))
		}
	}
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"order 2026111048213", "call +86 138 0013 8000", "anna@example.com", "我叫王小明", "订单号：２０２６",
		"https://x.io/1234", "一三八零零一三八", "a1b2c3d4", "12 34", "地址：北京市朝阳区88号", "My name is Anna", "@@.", "[number]1234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkMasked(t, in)
	})
}

// Every planted order number, phone, e-mail and name in the fixture is gone once masked.
func TestMaskFixture(t *testing.T) {
	for _, file := range []string{"fixture.jsonl", "holdout.jsonl"} {
		rows := readFixture(t, file)
		planted := 0
		for _, r := range rows {
			checkMasked(t, r.Text)
			if r.Planted == "" {
				continue
			}
			planted++
			got := Mask(r.Text)
			secret := plantedSecret(r.Planted)
			if len([]rune(secret)) < 2 {
				t.Fatalf("%s: no secret found in %q", r.ID, r.Planted)
			}
			if strings.Contains(got, secret) {
				t.Errorf("%s: Mask(%q) = %q keeps %q", r.ID, r.Text, got, secret)
			}
		}
		if planted < 200 {
			t.Errorf("%s: only %d rows with planted data", file, planted)
		}
	}
}

// plantedSecret is the personal part of what the fixture planted: "order 2026…" -> "2026…", "我叫李娜" -> "李娜",
// "My name is Anna Lee" -> "Anna".
func plantedSecret(p string) string {
	if name, ok := strings.CutPrefix(p, "My name is "); ok {
		return strings.Fields(name)[0]
	}
	if name, ok := strings.CutPrefix(p, "我叫"); ok {
		return name
	}
	rs := []rune(p)
	i := len(rs)
	for i > 0 && (isASCIIAlnum(rs[i-1]) || strings.ContainsRune("@._+-", rs[i-1])) {
		i--
	}
	return string(rs[i:])
}
