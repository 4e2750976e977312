package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"breakwater/shared/catalog/builtin"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newClassifier(tb testing.TB, explain bool) classifier {
	tb.Helper()
	tr, err := builtin.Triage()
	if err != nil {
		tb.Fatal(err)
	}
	return classifier{triage: tr, merchant: "m1", now: testNow, explain: explain}
}

func TestClassify(t *testing.T) {
	c := newClassifier(t, false)
	tests := []struct {
		name, in                      string
		id, decision, intent, problem string
		reason                        string
	}{
		{name: "routine en", in: `{"id":"a","text":"what is your return policy","locale":"en"}`, id: "a", decision: "auto", intent: "return.policy"},
		{name: "routine zh without locale", in: `{"id":"b","text":"可以开发票吗"}`, id: "b", decision: "auto", intent: "invoice.request"},
		{name: "order tracking asks for the order", in: `{"id":"c","text":"where is my parcel"}`, id: "c", decision: "auto", intent: "order.track"},
		{name: "person requested", in: `{"id":"d","text":"转人工"}`, id: "d", decision: "human", reason: "human.request"},
		{name: "complaint mentioning shipping", in: `{"id":"e","text":"快递太慢了，差评！"}`, id: "e", decision: "human", reason: "complaint"},
		{name: "off topic is declined", in: `{"id":"f","text":"tell me a joke about cats"}`, id: "f", decision: "decline"},
		{name: "off topic about an order goes to a person", in: `{"id":"f2","text":"tell me a joke about my order"}`, id: "f2", decision: "human"},
		{name: "not json", in: `hello`, problem: "not a JSON object"},
		{name: "no text", in: `{"id":"g"}`, id: "g", problem: "text is missing"},
		{name: "empty text", in: `{"id":"h","text":"  "}`, id: "h", problem: "text is empty"},
		{name: "unknown locale", in: `{"id":"i","text":"bonjour","locale":"fr"}`, id: "i", problem: "locale"},
		{name: "wrong type", in: `{"id":"j","text":3}`, id: "j", problem: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := c.run(strings.NewReader(tt.in+"\n"), &out); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output %q: %v", out.String(), err)
			}
			if got, want := got["id"], tt.id; got != want {
				t.Errorf("id = %v, want %q", got, want)
			}
			if tt.problem != "" {
				if msg, _ := got["error"].(string); !strings.Contains(msg, tt.problem) {
					t.Fatalf("error = %q, want it to mention %q", msg, tt.problem)
				}
				return
			}
			if got, want := got["decision"], tt.decision; got != want {
				t.Errorf("decision = %v, want %q (%s)", got, want, out.String())
			}
			if tt.intent != "" {
				if got, want := got["intent"], tt.intent; got != want {
					t.Errorf("intent = %v, want %q", got, want)
				}
			}
			if tt.reason != "" {
				reasons, _ := got["reasons"].([]any)
				if len(reasons) == 0 || reasons[0] != tt.reason {
					t.Errorf("reasons = %v, want %q first", reasons, tt.reason)
				}
			}
			for _, key := range []string{"intent", "template", "confidence", "priority", "reasons"} {
				if _, ok := got[key]; !ok {
					t.Errorf("output lacks %q: %s", key, out.String())
				}
			}
		})
	}
}

func TestClassifyKeepsOrderAndGoesOnAfterBadLines(t *testing.T) {
	c := newClassifier(t, true)
	in := strings.Join([]string{
		`{"id":"1","text":"how do i reset my password"}`,
		`{broken`,
		``,
		`{"id":"3","text":"我要退款"}`,
	}, "\n")
	var out bytes.Buffer
	if err := c.run(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if got, want := len(lines), 3; got != want {
		t.Fatalf("lines = %d, want %d:\n%s", got, want, out.String())
	}
	for i, want := range []string{`"id":"1"`, `"error"`, `"id":"3"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %s, want it to contain %s", i+1, lines[i], want)
		}
	}
	if !strings.Contains(lines[0], `"candidates":[{`) || !strings.Contains(lines[0], `"answer":`) {
		t.Errorf("-explain line lacks candidates or answer: %s", lines[0])
	}
}

// BenchmarkClassify10k measures a whole 10,000-line run (decode, triage, encode) on the default pack.
func BenchmarkClassify10k(b *testing.B) {
	c := newClassifier(b, false)
	texts := []string{
		"where is my order 12345", "how long does shipping take", "i want to cancel my order", "do you accept paypal",
		"我的快递到哪了", "怎么申请退款", "可以开发票吗", "转人工", "charged twice!!", "what's the weather",
		"优惠券怎么用", "my package arrived damaged", "忘记密码了", "is there a warranty", "怎么改收货地址",
	}
	var in bytes.Buffer
	for i := range 10000 {
		fmt.Fprintf(&in, `{"id":"%d","text":%q}`+"\n", i, texts[i%len(texts)]+fmt.Sprint(" ", i%7))
	}
	data := in.Bytes()
	b.ResetTimer()
	for b.Loop() {
		if err := c.run(bytes.NewReader(data), discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
