package pack

import (
	"slices"
	"testing"
)

// The embedded TaughtFile must be what the shoppers' sets teach: otherwise a set changed and the matcher (and the
// snapshot) would learn from the old one.
func TestTaughtFileIsCurrent(t *testing.T) {
	sets, err := ReadShoppers("shoppers")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := Shoppers()
	if err != nil {
		t.Fatal(err)
	}
	want := Teach(sets)
	if len(want) < 10000 {
		t.Fatalf("the sets teach %d lines, want the whole of them (over 10,000)", len(want))
	}
	if !slices.Equal(embedded, want) {
		t.Fatalf("%s teaches %d lines, the sets in shoppers/ %d (or other ones): run go run ./scripts/templates snapshot", TaughtFile, len(embedded), len(want))
	}
}

func TestTeach(t *testing.T) {
	sets := map[string][]Line{
		"b": {{Text: "where is my parcel", Locale: "en", Expect: "auto", Intent: "order.track"}},
		"a": {
			{Text: "weather in paris", Locale: "en", Expect: "human", Reason: "no.match"},
			{Text: "charged twice", Locale: "en", Expect: "human", Reason: "payment.problem"},
			{Text: "my order is late", Locale: "en", Expect: "either", Intent: "order.track", Reason: "complaint"},
		},
	}
	want := []Taught{
		{Set: "a", Locale: "en", Class: "offtopic", Text: "weather in paris"},
		{Set: "a", Locale: "en", Class: "payment.problem", Text: "charged twice"},
		{Set: "b", Locale: "en", Class: "order.track", Text: "where is my parcel"},
	}
	got := Teach(sets)
	if !slices.Equal(got, want) {
		t.Fatalf("Teach = %+v, want %+v", got, want)
	}
	b, err := EncodeTaught(got)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeTaught(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, want) {
		t.Fatalf("decoded %+v, want %+v", back, want)
	}
	if _, err := EncodeTaught([]Taught{{Set: "a", Locale: "en", Class: "x", Text: "a\tb"}}); err == nil {
		t.Error("a text with a tab encoded, want an error")
	}
	if _, err := DecodeTaught([]byte("not gzip")); err == nil {
		t.Error("decoding garbage succeeded, want an error")
	}
}
