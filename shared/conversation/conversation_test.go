package conversation

import (
	"testing"

	"breakwater/shared/contact"
)

func TestRead(t *testing.T) {
	tests := []struct {
		text       string
		askedOrder bool
		want       Move
		order      string
	}{
		{"Thanks!", false, Thanks, ""},
		{"ok thank you so much 🙏", false, Thanks, ""},
		{"Got it, cheers", false, Thanks, ""},
		{"谢谢！", false, Thanks, ""},
		{"好的，谢谢亲~", false, Thanks, ""},
		{"收到了", false, Thanks, ""},
		{"that didn't help", false, Unhelpful, ""},
		{"That didn’t help at all", false, Unhelpful, ""},
		{"not what I asked", false, Unhelpful, ""},
		{"没用", false, Unhelpful, ""},
		{"还是没解决啊", false, Unhelpful, ""},
		{"答非所问", false, Unhelpful, ""},
		{"SO123456", true, OrderNumber, "SO123456"},
		{"my order number is 2024-88812", true, OrderNumber, "2024-88812"},
		{"订单号：880011223344", true, OrderNumber, "880011223344"},
		{"#558812", true, OrderNumber, "558812"},
		{"SO123456", false, Ask, ""}, // no question asked for it
		{"1234", true, OrderNumber, "1234"},
		{"12", true, Ask, ""},                               // too short for an order number
		{"thanks, but where is my refund?", false, Ask, ""}, // more than a thank-you
		{"ok but the size is wrong", false, Ask, ""},
		{"谢谢，但是我的退款什么时候到账？", false, Ask, ""},
		{"How do I return a jacket?", false, Ask, ""},
		{"this product is useless and I want my money back, it broke after one day and nobody answers my emails at all", false, Ask, ""},
	}
	for _, tt := range tests {
		got := Read(tt.text, tt.askedOrder)
		if got.Move != tt.want || got.Order != tt.order {
			t.Errorf("Read(%q, asked %v) = %+v, want move %d order %q", tt.text, tt.askedOrder, got, tt.want, tt.order)
		}
	}
}

func TestPendingJoinsTheShoppersLatestMessages(t *testing.T) {
	thread := []contact.Message{
		{ID: "1", From: contact.FromShopper, Text: "where is my order"},
		{ID: "2", From: contact.FromBot, Text: "which order?", Ask: true},
		{ID: "3", From: contact.FromShopper, Text: "one sec"},
		{ID: "4", From: contact.FromSystem, Event: contact.EventUnhelpful},
		{ID: "5", From: contact.FromShopper, Text: "SO123456"},
	}
	if got := Pending(thread); got != "one sec\nSO123456" {
		t.Errorf("Pending = %q", got)
	}
	if m, ok := LastBot(thread); !ok || m.ID != "2" {
		t.Errorf("LastBot = %+v, %v", m, ok)
	}
	if _, ok := LastBot(append(thread, contact.Message{From: contact.FromAgent, Text: "hi"})); ok {
		t.Error("LastBot found the bot's message behind an agent's")
	}
}
