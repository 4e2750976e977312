package intakequeue

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"breakwater/shared/contact"
)

// FuzzDecode feeds arbitrary message bodies to the responder's decoder: nothing panics, every refusal wraps
// ErrMalformed (so the responder rejects the contact or leaves the message for the DLQ), and whatever it accepts
// survives Encode and Decode unchanged.
func FuzzDecode(f *testing.F) {
	amount := 59.0
	good, err := Encode(contact.Contact{ID: "c_aaaaaaaaaaaaaaaaaaaaaaaaaa", Merchant: "m1", Shopper: contact.Shopper{ID: "s1", Tier: contact.Gold},
		Locale: contact.Chinese, Channel: "web", Text: "我的快递到哪了", TokenHash: contact.HashSecret("t"),
		ReceivedAt: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC), Context: &contact.Context{Order: &contact.Order{ID: "A1", Amount: &amount}}})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, `{"v":1}`, `{"v":2,"contact":{}}`, `{"v":1,"contact":{"id":"c_x"}}`, `{"hello":"world"}`, `not json`, ``, `{"v":1,"contact":null}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if c.ID == "" || c.Merchant == "" || c.Shopper.ID == "" || c.TokenHash == "" || c.Text == "" || c.ReceivedAt.IsZero() {
			t.Fatalf("accepted an incomplete contact %+v", c)
		}
		again, err := Encode(c)
		if err != nil {
			t.Fatalf("encode accepted contact: %v", err)
		}
		back, err := Decode(again)
		if err != nil {
			t.Fatalf("decode of re-encoded contact: %v", err)
		}
		if !reflect.DeepEqual(normalize(back), normalize(c)) {
			t.Fatalf("round trip changed the contact:\n%+v\n%+v", c, back)
		}
	})
}

// normalize drops what JSON cannot round-trip exactly (monotonic clock readings, time zone pointers).
func normalize(c contact.Contact) contact.Contact {
	c.ReceivedAt = c.ReceivedAt.UTC().Round(0)
	return c
}
