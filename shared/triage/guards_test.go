package triage

import (
	"slices"
	"testing"

	"breakwater/shared/contact"
	"breakwater/shared/intent"
)

func TestInspect(t *testing.T) {
	tests := []struct {
		text     string
		locale   contact.Locale
		want     []string // reasons, in intent.Reasons order; nil for none
		negative bool
	}{
		// Routine questions that carry scary words stay routine.
		{"how do i request a refund", contact.English, nil, false},
		{"what is your return policy for sale items", contact.English, nil, false},
		{"can i cancel an order that is already paid", contact.English, nil, false},
		{"no complaints, just wondering when it ships", contact.English, nil, false},
		{"i don't need a human, just tell me the hours", contact.English, nil, false},
		{"does this work as a user agent switcher", contact.English, nil, false},
		{"the reset link expired", contact.English, nil, false},
		{"优惠券过期了还能用吗", contact.Chinese, nil, false},
		{"人工客服什么时候在", contact.Chinese, nil, false},
		{"不用转人工，告诉我怎么退货就行", contact.Chinese, nil, false},
		{"可以对公转账吗", contact.Chinese, nil, false},
		{"自动扣费怎么关", contact.Chinese, nil, false},
		{"用了两个月坏了能保修吗", contact.Chinese, nil, false},
		// A person, asked for many ways.
		{"can i talk to a real person", contact.English, []string{intent.HumanRequest}, false},
		{"AGENT please", contact.English, []string{intent.HumanRequest}, false},
		{"let me speak to your supervisor", contact.English, []string{intent.HumanRequest}, false},
		{"转人工", contact.Chinese, []string{intent.HumanRequest}, false},
		{"能不能转人工啊", contact.Chinese, []string{intent.HumanRequest}, false},
		{"有没有活人", contact.Chinese, []string{intent.HumanRequest}, false},
		// Complaints, including ones that mention routine topics.
		{"refund still not received after 2 weeks, this is ridiculous", contact.English, []string{intent.Complaint}, true},
		{"the item arrived broken", contact.English, []string{intent.Complaint}, false},
		{"you sent me the wrong item", contact.English, []string{intent.Complaint}, false},
		{"my order is missing an item", contact.English, []string{intent.Complaint}, false},
		{"快递太慢了，差评！", contact.Chinese, []string{intent.Complaint}, false},
		{"发错货了", contact.Chinese, []string{intent.Complaint}, false},
		{"少发了一件", contact.Chinese, []string{intent.Complaint}, false},
		{"显示签收了但是我根本没收到", contact.Chinese, []string{intent.Complaint}, false},
		{"垃圾店铺", contact.Chinese, []string{intent.Complaint}, true},
		// A review that finds fault, as a statement; a question about the same attribute stays routine.
		{"衣服质量一般，穿了一次就起球了", contact.Chinese, []string{intent.Complaint}, false},
		{"物流很快，但是东西不怎么样", contact.Chinese, []string{intent.Complaint}, false},
		{"鞋子有点磨脚，穿着不舒服", contact.Chinese, []string{intent.Complaint}, false},
		{"物流还是一如既往的快，但是东西一般", contact.Chinese, []string{intent.Complaint}, false},
		{"这个 size 偏大还是偏小", contact.Chinese, nil, false},
		{"会不会缩水", contact.Chinese, nil, false},
		{"会不会起球", contact.Chinese, nil, false},
		{"尺码偏小吗", contact.Chinese, nil, false},
		{"太大了，能换小一码吗", contact.Chinese, nil, false},
		{"质量很好，不掉色", contact.Chinese, nil, false},
		// Money, law and fraud.
		{"i was charged twice for one order", contact.English, []string{intent.PaymentProblem}, false},
		{"i paid but the order still says unpaid", contact.English, []string{intent.PaymentProblem}, false},
		{"付款了显示未付款", contact.Chinese, []string{intent.PaymentProblem}, false},
		{"扣了两次钱", contact.Chinese, []string{intent.PaymentProblem}, false},
		{"i'm filing a chargeback", contact.English, []string{intent.Dispute}, false},
		{"打12315投诉你们", contact.Chinese, []string{intent.Complaint, intent.Dispute}, false},
		{"someone used my credit card on your site", contact.English, []string{intent.Fraud}, false},
		{"有人冒充你们客服给我打电话", contact.Chinese, []string{intent.Fraud}, false},
		// Anger alone.
		{"wtf where is my package", contact.English, []string{intent.Complaint}, true},
		{"气死了，到底什么时候发货", contact.Chinese, []string{intent.Complaint}, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			s := Inspect(tt.text, tt.locale)
			got := slices.Clone(s.Reasons)
			slices.SortFunc(got, func(a, b string) int { return slices.Index(intent.Reasons, a) - slices.Index(intent.Reasons, b) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("reasons = %q, want %q", got, tt.want)
			}
			if got, want := s.Negative, tt.negative; got != want {
				t.Errorf("negative = %v, want %v", got, want)
			}
		})
	}
}

func BenchmarkInspect(b *testing.B) {
	texts := []string{"where is my order 12345, it's been a week", "我的快递到哪了", "I was charged twice!!", "快递太慢了，差评！"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Inspect(texts[i%len(texts)], contact.English)
	}
}

func TestForeign(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"reset my netflix password", true},
		{"12306账号密码忘了怎么找回", true},
		{"How do I track my flight to Paris?", true},
		{"does this steamer work on silk", false},
		{"can i pay with paypal", false},
		{"do you ship with ups", false},
		{"酒店同款枕头是什么材质", false},
	} {
		if got := foreign(Normalize(tt.text)); got != tt.want {
			t.Errorf("foreign(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestMisspeltCue(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"how long is the retrun window", true},
		{"where is my pakage", true},
		{"refnd please", true},
		{"cancell my oder", true},
		{"what is the capital of france", false},
		{"orders", true},
		{"border crossing times", false},
	} {
		if got := misspeltCue(fold(tt.text)); got != tt.want {
			t.Errorf("misspeltCue(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
