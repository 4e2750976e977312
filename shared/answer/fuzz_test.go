package answer_test

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/contact"
)

var fuzzIndex = sync.OnceValues(func() (*answer.Index, error) {
	ts, err := pack.Default()
	if err != nil {
		return nil, err
	}
	return answer.NewIndex(ts, offTopic()), nil
})

// FuzzRender renders arbitrary templates with arbitrary storefront values: nothing panics, and a value is inserted
// as it is, never read as template syntax, whatever braces it holds.
func FuzzRender(f *testing.F) {
	f.Add("Your order {{order.id}} ships with {{order.carrier}}.", "A100", "SF Express", "red")
	f.Add("{{order.id}}", "{{order.carrier}}", "{{order.id}}", "{{")
	f.Add("{{ product.attributes.colour }} {{product.name}}", "}}{{", "", "{{order.trackingNumber}}")
	f.Add("{{unknown}}", "x", "y", "z")
	f.Add("unclosed {{order.id", "x", "y", "z")
	f.Add("订单{{order.id}}已由{{order.carrier}}发出", "订单", "顺丰", "红色")
	f.Fuzz(func(t *testing.T, tmpl, orderID, carrier, colour string) {
		c := contact.Contact{ID: "c_x", Merchant: "m1", Context: &contact.Context{
			Order:   &contact.Order{ID: orderID, Carrier: carrier},
			Product: &contact.Product{Name: "Shoe", Attributes: map[string]string{"colour": colour}},
		}}
		tpl := answer.Template{ID: "t", Intent: "order.track", Locale: "en", Merchant: answer.Platform, Answer: tmpl}
		out, err := tpl.Render(c)
		if err != nil {
			return
		}
		if !strings.Contains(tmpl, "{{") && out != tmpl {
			t.Fatalf("a template without placeholders rendered as %q, want %q", out, tmpl)
		}
		// The same template with the values swapped for markers renders to the same text once the markers are
		// replaced by the values: values were inserted verbatim and never expanded. The markers hold NUL, which no
		// template does; a fuzzed template holding one would be rewritten by the replacer itself.
		if strings.ContainsRune(tmpl, 0) {
			return
		}
		marked := c
		marked.Context = &contact.Context{
			Order:   &contact.Order{ID: "\x00O\x00", Carrier: "\x00C\x00"},
			Product: &contact.Product{Name: "Shoe", Attributes: map[string]string{"colour": "\x00K\x00"}},
		}
		skeleton, err := tpl.Render(marked)
		if err != nil {
			t.Fatalf("template rendered with the values (%q) but not with markers: %v", out, err)
		}
		want := strings.NewReplacer("\x00O\x00", orderID, "\x00C\x00", carrier, "\x00K\x00", colour).Replace(skeleton)
		if out != want {
			t.Fatalf("render = %q, want %q: a value was not inserted verbatim", out, want)
		}
	})
}

// FuzzMatch runs arbitrary questions through the default templates' index: nothing panics, scores are
// probabilities, best first, at most one candidate per intent.
func FuzzMatch(f *testing.F) {
	ix, err := fuzzIndex()
	if err != nil {
		f.Fatal(err)
	}
	for _, q := range []string{"where is my order", "我的快递到哪了", "", "   ", "{{order.id}}", "<script>alert(1)</script>", "a\u0000b", "\xff\xfe", strings.Repeat("退货", 1000)} {
		f.Add(q, "en", "m1")
		f.Add(q, "zh-CN", answer.Platform)
	}
	now := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text, locale, merchant string) {
		cands := ix.Match(text, locale, merchant, now)
		seen := map[string]bool{}
		for i, c := range cands {
			if c.Template == nil || math.IsNaN(c.Score) || c.Score < 0 || c.Score > 1.0000001 {
				t.Fatalf("candidate %d = %+v: not a probability", i, c)
			}
			if i > 0 && c.Score > cands[i-1].Score {
				t.Fatalf("candidates not best first: %g after %g", c.Score, cands[i-1].Score)
			}
			if seen[c.Template.Intent] {
				t.Fatalf("intent %s offered twice", c.Template.Intent)
			}
			seen[c.Template.Intent] = true
		}
	})
}

// Nothing a shopper or storefront writes is evaluated as a template: placeholders in the text and in context
// values come out exactly as written.
func TestShopperTextIsNeverATemplate(t *testing.T) {
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	var track answer.Template
	for _, tpl := range ts {
		if tpl.Intent == "order.track" && tpl.Locale == "en" && strings.Contains(tpl.Answer, "{{order.trackingNumber}}") {
			track = tpl
			break
		}
	}
	if track.ID == "" {
		t.Fatal("no English order.track template using {{order.trackingNumber}} in the default pack")
	}
	for _, tt := range []struct{ name, text, tracking string }{
		{"placeholder in the text", "where is {{order.id}} {{contact.id}}", "SF123"},
		{"placeholder in a context value", "where is my order", "{{order.id}}{{shopper.id}}"},
		{"markup in a context value", "where is my order", "<img src=x onerror=alert(1)>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := contact.Contact{ID: "c_secret", Merchant: "m1", Shopper: contact.Shopper{ID: "s-secret"}, Text: tt.text,
				Context: &contact.Context{Order: &contact.Order{ID: "A100", TrackingNumber: tt.tracking, Carrier: "SF", EstimatedDelivery: "2026-11-25"}}}
			out, err := track.Render(c)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tt.tracking) {
				t.Errorf("answer %q does not hold the tracking value %q as written", out, tt.tracking)
			}
			if strings.Contains(out, "c_secret") || strings.Contains(out, "s-secret") {
				t.Errorf("answer %q expanded a placeholder the shopper wrote", out)
			}
		})
	}
}
