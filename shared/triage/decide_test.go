package triage_test

import (
	"slices"
	"strings"
	"testing"

	"breakwater/shared/answer"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

func TestDecide(t *testing.T) {
	tr := defaultTriage(t)
	amount := 80.0
	order := &contact.Context{Order: &contact.Order{ID: "A1", Carrier: "UPS", TrackingNumber: "1Z42",
		EstimatedDelivery: "2026-11-28", Amount: &amount, Currency: "USD"}}
	tests := []struct {
		name      string
		text      string
		locale    contact.Locale
		ctx       *contact.Context
		auto      bool
		decline   bool
		intent    string            // for auto
		answerHas string            // for auto
		reason    string            // for human
		atLeast   priority.Priority // for human
	}{
		{name: "routine", text: "what is your return policy", locale: contact.English, auto: true, intent: "return.policy", answerHas: "30 days"},
		{name: "tracking without the order asks for it", text: "where is my order", locale: contact.English, auto: true, intent: "order.track", answerHas: "order number"},
		{name: "tracking with the order", text: "我的快递到哪了", locale: contact.Chinese, ctx: order, auto: true, intent: "order.track", answerHas: "1Z42"},
		{name: "angry routine question goes to a person, raised", text: "wtf where is my package", locale: contact.English, reason: intent.Complaint, atLeast: priority.Urgent},
		{name: "person requested", text: "转人工", locale: contact.Chinese, reason: intent.HumanRequest, atLeast: priority.High},
		{name: "payment problem is urgent", text: "i was charged twice for one order", locale: contact.English, reason: intent.PaymentProblem, atLeast: priority.Urgent},
		{name: "off topic is declined", text: "what's the weather like in paris", locale: contact.English, decline: true},
		{name: "off topic in Chinese is declined", text: "一加一等于几", locale: contact.Chinese, decline: true},
		{name: "off topic with an order number goes to a person", text: "what's the weather like where order 55512345 is", locale: contact.English, reason: intent.NoMatch, atLeast: priority.Low},
		{name: "another company's service with a shop verb is not answered", text: "12306账号密码忘了怎么找回", locale: contact.Chinese, reason: intent.NoMatch, atLeast: priority.Low},
		{name: "another company's service off-topic is declined", text: "reset my netflix password", locale: contact.English, decline: true},
		{name: "a negative review goes to a person", text: "太小了，不合适", locale: contact.Chinese, reason: intent.Complaint, atLeast: priority.Normal},
		{name: "a review that finds fault with no shop word is not declined", text: "电脑预装系统很慢，开机要两分钟", locale: contact.Chinese, reason: intent.Complaint, atLeast: priority.Normal},
		{name: "a misspelt order question is answered, not declined", text: "how do i cncell my oder", locale: contact.English, auto: true, intent: "order.cancel"},
		{name: "a question about the same attribute is answered", text: "这个 size 偏大还是偏小", locale: contact.Chinese, auto: true, intent: "product.specs"},
		{name: "an invisible character does not hide a guard word", text: "someone committed fr\u200baud on my account", locale: contact.English, reason: intent.Fraud, atLeast: priority.Urgent},
		{name: "traditional characters read as simplified", text: "我要轉人工", locale: contact.Chinese, reason: intent.HumanRequest, atLeast: priority.High},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := devContact(labeled{ID: "c1", Text: tt.text, Locale: string(tt.locale)})
			c.Context = tt.ctx
			d := tr.Decide(c, evalNow)
			if got, want := d.Auto, tt.auto; got != want {
				t.Fatalf("auto = %v, want %v (intent %s %.2f, reasons %v)", got, want, d.Intent, d.Confidence, d.Reasons)
			}
			if got, want := d.Decline, tt.decline; got != want {
				t.Fatalf("decline = %v, want %v (others %v, reasons %v)", got, want, d.Others, d.Reasons)
			}
			if tt.decline {
				if d.Answer == "" || len(d.Reasons) != 0 {
					t.Errorf("a decline answers %q with reasons %v, want a reply and no hand-off", d.Answer, d.Reasons)
				}
				return
			}
			if tt.auto {
				if got, want := d.Intent, tt.intent; got != want {
					t.Errorf("intent = %q, want %q", got, want)
				}
				if !strings.Contains(d.Answer, tt.answerHas) {
					t.Errorf("answer %q lacks %q", d.Answer, tt.answerHas)
				}
				return
			}
			if !slices.Contains(d.Reasons, tt.reason) {
				t.Errorf("reasons = %v, want %q among them", d.Reasons, tt.reason)
			}
			if d.Priority < tt.atLeast {
				t.Errorf("priority = %s, want at least %s", d.Priority, tt.atLeast)
			}
		})
	}
}

// Two intents that share their examples make every match a close call; the topic the shopper picked settles it.
func TestDecideTopicSettlesACloseCall(t *testing.T) {
	examples := []string{"is there a guarantee on this", "what happens if it breaks", "can i get it fixed", "cover for faults"}
	ts := []answer.Template{
		{ID: "w", Intent: "warranty", Locale: "en", Merchant: answer.Platform, Examples: examples, Answer: "warranty answer"},
		{ID: "r", Intent: "return.policy", Locale: "en", Merchant: answer.Platform, Examples: examples, Answer: "return answer"},
	}
	tr, err := triage.Build(ts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := devContact(labeled{ID: "c1", Text: "is there a guarantee on this", Locale: "en"})
	d := tr.Decide(c, evalNow)
	if d.Auto {
		t.Fatalf("auto without a topic at %.2f: the candidates tie, want a person", d.Confidence)
	}
	// The precondition is the point of the test: two templates sure enough to answer, too close to choose.
	if len(d.Candidates) < 2 || d.Candidates[0].Score < triage.MinConfidence || d.Candidates[0].Score-d.Candidates[1].Score >= triage.MinMargin {
		t.Fatalf("no close call to settle: candidates %v", d.Candidates)
	}
	c.Topic = d.Candidates[0].Template.Intent
	if d := tr.Decide(c, evalNow); !d.Auto || d.Intent != c.Topic {
		t.Fatalf("with topic %s: auto %v intent %s, want the topic's template", c.Topic, d.Auto, d.Intent)
	}
}
