package pack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
)

func TestDefaultCoversEveryIntentInBothLocales(t *testing.T) {
	ts, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ intent, locale string }
	examples := map[key]int{}
	for _, tp := range ts {
		if err := tp.Validate(); err != nil {
			t.Errorf("invalid template: %v", err)
		}
		if got, want := tp.Merchant, answer.Platform; got != want {
			t.Errorf("template %s merchant = %q, want %q", tp.ID, got, want)
		}
		if tp.ActiveFrom == nil && tp.ActiveUntil == nil {
			examples[key{tp.Intent, tp.Locale}] += len(tp.Examples)
		}
	}
	for _, in := range intent.Intents {
		for _, loc := range []contact.Locale{contact.English, contact.Chinese} {
			if got, want := examples[key{in, string(loc)}], 15; got < want {
				t.Errorf("%s %s: %d examples in permanent templates, want at least %d", in, loc, got, want)
			}
		}
	}
}

func TestDefaultHasAnActivePromotion(t *testing.T) {
	ts, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var windowed int
	for _, tp := range ts {
		if tp.ActiveFrom == nil || tp.ActiveUntil == nil {
			continue
		}
		windowed++
		if got, want := tp.Intent, "promo.rules"; got != want {
			t.Errorf("windowed template %s intent = %q, want %q", tp.ID, got, want)
		}
		mid := tp.ActiveFrom.Add(tp.ActiveUntil.Sub(*tp.ActiveFrom) / 2)
		if !tp.Active(mid) || tp.Active(tp.ActiveUntil.Add(time.Second)) || tp.Active(tp.ActiveFrom.Add(-time.Second)) {
			t.Errorf("template %s window %v..%v not honoured", tp.ID, tp.ActiveFrom, tp.ActiveUntil)
		}
	}
	if windowed == 0 {
		t.Fatal("no promotional template with an active window")
	}
}

func TestOrderTrackAsksForTheOrderNumber(t *testing.T) {
	ts, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	amount := 59.9
	full := contact.Contact{Context: &contact.Context{Order: &contact.Order{
		ID: "o1", Carrier: "UPS", TrackingNumber: "1Z999", EstimatedDelivery: "2026-11-28", Amount: &amount,
	}}}
	for _, tp := range ts {
		if tp.Intent != "order.track" {
			continue
		}
		asked, err := tp.Render(contact.Contact{})
		if err != nil || asked != tp.Ask {
			t.Errorf("%s without context = %q, %v; want the ask text", tp.ID, asked, err)
		}
		got, err := tp.Render(full)
		if err != nil {
			t.Fatalf("%s render: %v", tp.ID, err)
		}
		for _, want := range []string{"UPS", "1Z999", "2026-11-28"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s answer %q lacks %q", tp.ID, got, want)
			}
		}
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	one := `[{"id":"a","intent":"warranty","locale":"en","merchant":"m1","examples":["x"],"answer":"y"}]`
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(one), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`[{"id":"a","intnet":"x"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		want    int
		wantErr bool
	}{
		{"folder", dir, 1, false},
		{"file", filepath.Join(dir, "a.json"), 1, false},
		{"unknown field", bad, 0, true},
		{"missing", filepath.Join(dir, "nope.json"), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := Read(tt.path)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got, want := len(ts), tt.want; got != want {
				t.Fatalf("templates = %d, want %d", got, want)
			}
		})
	}
}
