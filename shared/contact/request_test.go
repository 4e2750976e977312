package contact

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every refusal names the field at fault, so a storefront developer can fix the request from the 400 alone.
func TestRequestValidationNamesTheField(t *testing.T) {
	long := strings.Repeat("x", 129)
	tests := []struct {
		name, body, field string
	}{
		{"empty body", ``, "body"},
		{"not JSON", `hello`, "body"},
		{"an array", `[]`, "body"},
		{"two objects", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi"} {}`, "body"},
		{"invalid UTF-8", "{\"merchant\":\"m1\",\"shopper\":{\"id\":\"s1\"},\"text\":\"\xff\"}", "body"},
		{"unknown field", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","isAdmin":true}`, "isAdmin"},
		{"unknown nested field", `{"merchant":"m1","shopper":{"id":"s1","role":"admin"},"text":"hi"}`, "role"},
		{"unknown empty field name", `{"":"","merchant":"m1"}`, "body"},
		{"text of the wrong type", `{"merchant":"m1","shopper":{"id":"s1"},"text":7}`, "text"},
		{"text of invisible characters", `{"merchant":"m1","shopper":{"id":"s1"},"text":" \u200b\u200d\u2060\ufeff\u200e "}`, "text"},
		{"missing merchant", `{"shopper":{"id":"s1"},"text":"hi"}`, "merchant"},
		{"merchant with a space", `{"merchant":"m 1","shopper":{"id":"s1"},"text":"hi"}`, "merchant"},
		{"merchant too long", `{"merchant":"` + long + `","shopper":{"id":"s1"},"text":"hi"}`, "merchant"},
		{"missing shopper", `{"merchant":"m1","text":"hi"}`, "shopper"},
		{"shopper id with markup", `{"merchant":"m1","shopper":{"id":"<b>"},"text":"hi"}`, "shopper.id"},
		{"unknown tier", `{"merchant":"m1","shopper":{"id":"s1","tier":"diamond"},"text":"hi"}`, "shopper.tier"},
		{"missing text", `{"merchant":"m1","shopper":{"id":"s1"}}`, "text"},
		{"blank text", `{"merchant":"m1","shopper":{"id":"s1"},"text":" \n\t "}`, "text"},
		{"NUL in text", `{"merchant":"m1","shopper":{"id":"s1"},"text":"a\u0000b"}`, "text"},
		{"escape sequence in text", `{"merchant":"m1","shopper":{"id":"s1"},"text":"a\u001b[31mb"}`, "text"},
		{"text too long", `{"merchant":"m1","shopper":{"id":"s1"},"text":"` + strings.Repeat("好", MaxTextRunes+1) + `"}`, "text"},
		{"unknown locale", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","locale":"fr"}`, "locale"},
		{"channel with capitals", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","channel":"Web"}`, "channel"},
		{"unknown topic", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","topic":"admin.delete"}`, "topic"},
		{"order id too long", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","context":{"order":{"id":"` + long + `"}}}`, "context.order.id"},
		{"control character in carrier", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","context":{"order":{"carrier":"S\nF"}}}`, "context.order.carrier"},
		{"negative amount", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","context":{"order":{"amount":-1}}}`, "context.order.amount"},
		{"amount as a string", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","context":{"order":{"amount":"59"}}}`, "context.order.amount"},
		{"attribute key with markup", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","context":{"product":{"attributes":{"<k>":"v"}}}}`, "context.product.attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode([]byte(tt.body))
			if err == nil {
				_, err = New(r, time.Now())
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want a *FieldError", err)
			}
			if got, want := fe.Field, tt.field; got != want {
				t.Errorf("field = %q, want %q (%v)", got, want, fe)
			}
		})
	}
	if _, err := Decode([]byte(`{"text":"` + strings.Repeat("a", MaxBodyBytes) + `"}`)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized body: %v, want ErrTooLarge", err)
	}
}

func TestValidRequestsAreCleaned(t *testing.T) {
	r, err := Decode([]byte(`{"merchant":"m1","shopper":{"id":"s1","tier":"GOLD"},"text":"  我的快递到哪了  ","context":{"product":{"attributes":{"颜色":"红"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(r, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.Text != "我的快递到哪了" || c.Locale != Chinese || c.Shopper.Tier != Gold || c.Channel != "web" {
		t.Errorf("contact = %+v, want trimmed text, detected zh-CN, tier gold, channel web", c)
	}
}

func TestValidAttrKeyAgreesWithItsPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[\p{L}\p{N}_-]{1,64}$`)
	keys := []string{"", "a", "color", "颜色", "size_EU-2", "٣", "Ⅻ", "a b", "a.b", "a/b", "emoji😀", "\xff", "é",
		strings.Repeat("x", 64), strings.Repeat("x", 65), strings.Repeat("颜", 64), strings.Repeat("颜", 65), "tab\t", "_", "-"}
	for _, k := range keys {
		if got, want := validAttrKey(k), pattern.MatchString(k); got != want {
			t.Errorf("validAttrKey(%q) = %v, the pattern says %v", k, got, want)
		}
	}
}

func TestDuplicateKeysAreRejected(t *testing.T) {
	tests := []struct {
		body, field string
	}{
		{`{"merchant":"m1","merchant":"m2"}`, "merchant"},
		{`{"shopper":{"id":"s1","tier":"standard","tier":"platinum"}}`, "shopper.tier"},
		{`{"context":{"order":{"amount":1,"amount":100000}}}`, "context.order.amount"},
		{`{"a":[{"x":1,"x":2}]}`, "a.x"},
		// encoding/json fills a struct field from any key that folds to its name: the last one would win.
		{`{"merchant":"m1","Merchant":"m2"}`, "Merchant"},
		{`{"shopper":{"id":"s1","tier":"gold","TIER":"platinum"}}`, "shopper.TIER"},
		{`{"shopper":{"id":"s1"},"ſhopper":{"id":"s2"}}`, "ſhopper"},
		{`{"identity":"x","IDENTITY":"y"}`, "IDENTITY"},
	}
	for _, tt := range tests {
		err := DecodeJSON([]byte(tt.body), &map[string]any{})
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Problem, "twice") {
			t.Errorf("%s: err = %v, want %s named twice", tt.body, err, tt.field)
		}
	}
	for _, ok := range []string{`{"a":{"x":1},"b":{"x":1}}`, `{"a":[1,2,{"y":1}],"y":2}`, `{"t":"x","u":"x"}`} {
		if err := DecodeJSON([]byte(ok), &map[string]any{}); err != nil {
			t.Errorf("%s: %v, want no error", ok, err)
		}
	}
}
