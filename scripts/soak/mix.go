package main

import (
	"encoding/json"
	"fmt"
)

// routine and human are the kinds of contacts a peak brings: mostly questions a template answers, some that need a person.
var routine = []struct{ locale, text string }{
	{"en", "where is my order"}, {"en", "when will my package arrive?"}, {"en", "what payment methods do you accept"},
	{"en", "how do i return an item"}, {"en", "can I get an invoice for my order"}, {"en", "what are your customer service hours"},
	{"zh-CN", "我的快递到哪了"}, {"zh-CN", "支持哪些付款方式"}, {"zh-CN", "怎么退货"}, {"zh-CN", "可以开发票吗"},
	{"zh-CN", "几天能到货"}, {"zh-CN", "客服几点上班"},
}

var human = []struct{ locale, text string }{
	{"en", "I was charged twice, fix this now"}, {"en", "I want to speak to a real person"}, {"en", "this is a scam, you stole my money"},
	{"zh-CN", "转人工"}, {"zh-CN", "快递太慢了，差评！"}, {"zh-CN", "付款了但是显示未付款"},
	{"en", "what is the capital of France"},
}

var tiers = []string{"standard", "silver", "gold", "platinum"}

// request is contact i of the run: its body and the Idempotency-Key its storefront retries with.
func request(i int, seed uint64) ([]byte, string) {
	m := routine[i%len(routine)]
	if i%5 == 4 {
		m = human[(i/5)%len(human)]
	}
	req := map[string]any{
		"merchant": fmt.Sprintf("m%d", i%7),
		"shopper":  map[string]any{"id": fmt.Sprintf("shopper-%d", i), "tier": tiers[i%len(tiers)]},
		"locale":   m.locale, "text": m.text, "channel": "web",
	}
	if i%2 == 0 {
		req["context"] = map[string]any{"order": map[string]any{"id": fmt.Sprintf("A%d", i), "carrier": "SF Express",
			"trackingNumber": fmt.Sprintf("SF%08d", i), "estimatedDelivery": "2026-11-25", "amount": 59.0, "currency": "CNY"}}
	}
	b, _ := json.Marshal(req)
	return b, fmt.Sprintf("soak-%d-%d", seed, i)
}
