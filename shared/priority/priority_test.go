package priority

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestParseAndText(t *testing.T) {
	for _, p := range []Priority{None, Low, Normal, High, Urgent} {
		got, err := Parse(p.String())
		if err != nil || got != p {
			t.Errorf("Parse(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
		b, err := json.Marshal(struct {
			P Priority `json:"p,omitempty"`
		}{p})
		if err != nil {
			t.Fatal(err)
		}
		var back struct{ P Priority }
		if err := json.Unmarshal(b, &back); err != nil || back.P != p {
			t.Errorf("%s through JSON %s = %v, %v", p, b, back.P, err)
		}
	}
	if _, err := Parse("critical"); err == nil {
		t.Error("Parse accepted an unknown name")
	}
	if _, err := ParseQueue(""); err == nil {
		t.Error("ParseQueue accepted no priority")
	}
	if b, _ := json.Marshal(Urgent); string(b) != `"urgent"` {
		t.Errorf("JSON of Urgent = %s", b)
	}
}

func TestDecide(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		name    string
		facts   Facts
		signals Signals
		want    Priority
		why     []string
	}{
		{"person asked for nothing specific", Facts{Tier: "standard"}, Signals{Reasons: []string{"human.request"}}, High, []string{"human.request"}},
		{"no match alone is low", Facts{Tier: "standard"}, Signals{Reasons: []string{"no.match"}}, Low, []string{"no.match"}},
		{"no match with a complaint takes the complaint's floor", Facts{}, Signals{Reasons: []string{"no.match", "complaint"}}, High, []string{"no.match", "complaint"}},
		{"fraud is urgent", Facts{}, Signals{Reasons: []string{"fraud"}}, Urgent, []string{"fraud"}},
		{"gold raises one step", Facts{Tier: "gold"}, Signals{Reasons: []string{"no.match"}}, Normal, []string{"no.match", "tier.gold"}},
		{"a large order raises one step", Facts{Amount: 500, Currency: "USD"}, Signals{Reasons: []string{"no.match"}}, Normal, []string{"no.match", "order.amount"}},
		{"just below the step does not", Facts{Amount: 499.99, Currency: "USD"}, Signals{Reasons: []string{"no.match"}}, Low, []string{"no.match"}},
		{"500 yuan is not 500 dollars", Facts{Amount: 500, Currency: "CNY"}, Signals{Reasons: []string{"no.match"}}, Low, []string{"no.match"}},
		{"3,500 yuan is", Facts{Amount: 3500, Currency: "cny"}, Signals{Reasons: []string{"no.match"}}, Normal, []string{"no.match", "order.amount"}},
		{"an amount without a currency raises nothing", Facts{Amount: 1e6}, Signals{Reasons: []string{"no.match"}}, Low, []string{"no.match"}},
		{"repeat and anger raise, capped at urgent", Facts{Tier: "platinum", Amount: 900, Currency: "USD", Repeat: true}, Signals{Reasons: []string{"complaint"}, Negative: true}, Urgent,
			[]string{"complaint", "tier.platinum", "order.amount", "repeat.contact", "negative.sentiment"}},
		{"no reason at all is the base", Facts{}, Signals{}, Normal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := r.Decide(tt.facts, tt.signals)
			if got != tt.want || !slices.Equal(why, tt.why) {
				t.Errorf("Decide = %s %v, want %s %v", got, why, tt.want, tt.why)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Rules)
		valid bool
	}{
		{"defaults", func(*Rules) {}, true},
		{"unknown base", func(r *Rules) { r.Base = "asap" }, false},
		{"empty base", func(r *Rules) { r.Base = "" }, false},
		{"unknown reason priority", func(r *Rules) { r.Reasons["fraud"] = "now" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRules()
			tt.edit(&r)
			if err := r.Validate(); (err == nil) != tt.valid {
				t.Errorf("Validate = %v, want valid %v", err, tt.valid)
			}
		})
	}
}

func TestReplyForEveryHandOffReasonInBothLanguages(t *testing.T) {
	r := DefaultRules()
	for _, reason := range []string{"payment.problem", "complaint", "human.request", "problem.report", "dispute", "fraud", "bot.unhelpful", "order.unknown", "no.match"} {
		for _, locale := range []string{"en", "zh-CN"} {
			if text, ok := r.ReplyFor(reason, locale); !ok || text == "" {
				t.Errorf("no %s reply for %s", locale, reason)
			}
		}
	}
	// A merchant's own reply wins for its reason; the platform's fills the rest.
	m := Rules{Replies: map[string]map[string]string{"complaint": {"en": "Our own words."}}}
	if got, _ := m.ReplyFor("complaint", "en"); got != "Our own words." {
		t.Errorf("merchant's complaint reply = %q", got)
	}
	if got, ok := m.ReplyFor("fraud", "en"); !ok || got == "" {
		t.Error("no platform reply behind a merchant's rules")
	}
	if _, ok := m.ReplyFor("escalated.by.alice", "en"); ok {
		t.Error("a reply for a reason nobody wrote one for")
	}
}
