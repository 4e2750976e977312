package contact

import (
	"errors"
	"regexp"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

var merchantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)

// FuzzDecodeNew feeds arbitrary bodies to the POST /contacts path: Decode then New. Nothing panics, every refusal
// names a field, and every contact accepted is within the limits.
func FuzzDecodeNew(f *testing.F) {
	for _, seed := range []string{
		`{"merchant":"m1","shopper":{"id":"s1","tier":"gold"},"text":"where is my order"}`,
		`{"merchant":"m1","shopper":{"id":"s1"},"locale":"zh-CN","text":"我的快递到哪了","context":{"order":{"id":"A1","amount":59}}}`,
		`{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","context":{"product":{"sku":"X","attributes":{"颜色":"红"}}}}`,
		`{"merchant":"m1","shopper":{"id":"s1"},"text":"{{order.id}}","topic":"order.track"}`,
		`{"merchant":"m1","shopper":{"id":"s1"},"text":"a\u0000b"}`,
		`{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","admin":true}`,
		`{"merchant":"m1","shopper":{"id":"s1"},"text":"hi"} {}`,
		`[]`, `null`, `{"text":7}`, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Decode(body)
		if err == nil {
			var c Contact
			c, err = New(r, now)
			if err == nil {
				checkContact(t, c)
				return
			}
		}
		var fe *FieldError
		switch {
		case errors.Is(err, ErrTooLarge):
			if len(body) <= MaxBodyBytes {
				t.Fatalf("%d bytes refused as too large", len(body))
			}
		case errors.As(err, &fe):
			if fe.Field == "" || fe.Problem == "" {
				t.Fatalf("field error %+v names no field or problem", fe)
			}
		default:
			t.Fatalf("error %v is neither ErrTooLarge nor a *FieldError", err)
		}
	})
}

func checkContact(t *testing.T, c Contact) {
	t.Helper()
	if !merchantPattern.MatchString(c.Merchant) || !merchantPattern.MatchString(c.Shopper.ID) {
		t.Fatalf("merchant %q or shopper %q accepted", c.Merchant, c.Shopper.ID)
	}
	if !validTier(c.Shopper.Tier) || (c.Locale != Chinese && c.Locale != English) {
		t.Fatalf("tier %q or locale %q accepted", c.Shopper.Tier, c.Locale)
	}
	if c.Text == "" || !utf8.ValidString(c.Text) || utf8.RuneCountInString(c.Text) > MaxTextRunes {
		t.Fatalf("text %q accepted", c.Text)
	}
	for _, r := range c.Text {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			t.Fatalf("text with control character %U accepted", r)
		}
	}
	if c.Context != nil && c.Context.Product != nil && len(c.Context.Product.Attributes) > maxAttrs {
		t.Fatalf("%d attributes accepted", len(c.Context.Product.Attributes))
	}
}
