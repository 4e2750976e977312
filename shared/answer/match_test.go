package answer_test

import (
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func defaultIndex(t testing.TB, extra ...answer.Template) *answer.Index {
	t.Helper()
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	return answer.NewIndex(append(ts, extra...), offTopic())
}

func TestMatchDefaultPack(t *testing.T) {
	ix := defaultIndex(t)
	tests := []struct {
		text, locale, want string
	}{
		{"cancle my ordr pls", "en", "order.cancel"},
		{"wheres my pakage", "en", "order.track"},
		{"how do i cancel my subscription", "en", "subscription.manage"},
		{"do u take paypal", "en", "payment.methods"},
		{"怎么申请退款", "zh-CN", "refund.request"},
		{"退款什么时候到账啊", "zh-CN", "refund.status"},
		{"能开发票不", "zh-CN", "invoice.request"},
		{"收货地址写错了怎么改", "zh-CN", "shipping.address"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			cands := ix.Match(tt.text, tt.locale, "m1", now)
			if len(cands) == 0 {
				t.Fatal("no candidates")
			}
			if got, want := cands[0].Template.Intent, tt.want; got != want {
				t.Fatalf("best intent = %q (%.2f), want %q", got, cands[0].Score, want)
			}
			if got, want := cands[0].Template.Locale, tt.locale; got != want {
				t.Fatalf("locale = %q, want %q", got, want)
			}
			seen := map[string]bool{}
			for i, c := range cands {
				if c.Score < 0 || c.Score > 1 {
					t.Errorf("score %v out of [0,1]", c.Score)
				}
				if i > 0 && c.Score > cands[i-1].Score {
					t.Errorf("candidates not best first at %d", i)
				}
				if seen[c.Template.Intent] {
					t.Errorf("intent %s listed twice", c.Template.Intent)
				}
				seen[c.Template.Intent] = true
			}
		})
	}
}

func TestMatchOffTopicIsUnsure(t *testing.T) {
	ix := defaultIndex(t)
	for _, q := range []struct{ text, locale string }{
		{"what's the weather like in rome", "en"}, {"tell me a joke", "en"}, {"讲个笑话吧", "zh-CN"}, {"", "en"}, {"!!!", "en"},
	} {
		cands := ix.Match(q.text, q.locale, "m1", now)
		if len(cands) > 0 && cands[0].Score > 0.3 {
			t.Errorf("%q: best %s at %.2f, want no confident candidate", q.text, cands[0].Template.ID, cands[0].Score)
		}
	}
}

func TestMatchMerchantOverridesAndWindows(t *testing.T) {
	soon, later := now.Add(24*time.Hour), now.Add(48*time.Hour)
	earlier := now.Add(-24 * time.Hour)
	own := answer.Template{ID: "m1.returns", Intent: "return.policy", Locale: "en", Merchant: "m1",
		Examples: []string{"can i send it back", "what is your return policy"}, Answer: "m1 returns"}
	future := answer.Template{ID: "m2.returns.later", Intent: "return.policy", Locale: "en", Merchant: "m2",
		Examples: []string{"what is your return policy"}, Answer: "later", ActiveFrom: &soon, ActiveUntil: &later}
	ended := answer.Template{ID: "promo.ended", Intent: "promo.rules", Locale: "en", Merchant: answer.Platform,
		Examples: []string{"how do i use a coupon code"}, Answer: "ended", ActiveFrom: &earlier, ActiveUntil: &now}
	ix := defaultIndex(t, own, future, ended)
	tests := []struct {
		name, text, merchant, want string
	}{
		{"merchant template wins", "what is your return policy", "m1", "m1.returns"},
		{"other merchants get the platform's", "what is your return policy", "m3", "return.policy.en"},
		{"a merchant's inactive template hides nothing", "what is your return policy", "m2", "return.policy.en"},
		{"ended promotion skipped", "how do i use a coupon code", "m1", "promo.rules.en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cands := ix.Match(tt.text, "en", tt.merchant, now)
			if len(cands) == 0 {
				t.Fatal("no candidates")
			}
			if got, want := cands[0].Template.ID, tt.want; got != want {
				t.Fatalf("best = %q, want %q", got, want)
			}
			for _, c := range cands {
				if c.Template.ID == "return.policy.en" && tt.merchant == "m1" {
					t.Errorf("platform template listed although m1 overrides it")
				}
				if c.Template.ID == "promo.ended" || c.Template.ID == "m2.returns.later" {
					t.Errorf("inactive template %s listed", c.Template.ID)
				}
			}
		})
	}
	if got, want := len(ix.Templates()), 45; got != want {
		t.Errorf("Templates() = %d, want %d (the given ones only)", got, want)
	}
}

func TestActivePromotionCanAnswer(t *testing.T) {
	ix := defaultIndex(t)
	cands := ix.Match("is there a black friday sale this year", "en", "m1", now)
	if len(cands) == 0 || cands[0].Template.ID != "promo.blackfriday.en" {
		t.Fatalf("best = %v, want promo.blackfriday.en inside its window", cands)
	}
	after := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	cands = ix.Match("is there a black friday sale this year", "en", "m1", after)
	for _, c := range cands {
		if c.Template.ID == "promo.blackfriday.en" {
			t.Fatalf("promotion listed after its window")
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	ix := defaultIndex(b)
	texts := []struct{ text, locale string }{
		{"where is my order 12345, it's been a week", "en"}, {"我的快递到哪了", "zh-CN"},
		{"how do i return shoes that don't fit", "en"}, {"优惠券怎么用不了", "zh-CN"},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q := texts[i%len(texts)]
		ix.Match(q.text, q.locale, "m1", now)
	}
}

// offTopic is the training the answer tests give the index: the hand-written off-topic questions only, so they
// test the index on the pack's examples alone (triage adds the platform's phrasings).
func offTopic() answer.Training {
	t := answer.Training{}
	for locale, qs := range answer.OffTopicExamples() {
		t[locale] = map[string][]string{answer.OffTopic: qs}
	}
	return t
}
