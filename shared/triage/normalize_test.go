package triage

import "testing"

func TestNormalize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"where is my order", "where is my order"},
		{"ＡＧＥＮＴ！", "AGENT!"},
		{"fr\u200baud", "fraud"},
		{"訂單什麼時候出貨", "订单什么时候发货"},           // Traditional, and Taiwan's word for shipping
		{"這支手機保固多久", "这支手机保修多久"},           // Taiwan's word for a warranty
		{"退款多久會入帳", "退款多久会到账"},             // … for money arriving
		{"我的定单到哪了", "我的订单到哪了"},             // a pinyin keyboard's slip
		{"发漂怎么开，收获地址也要改", "发票怎么开,收货地址也要改"}, // NFKC makes the full-width comma plain,
		{"不付尾款退定金吗", "不付尾款退定金吗"},           // a deposit, not a slip for unsubscribing (退订)
		{"怎么退定短信", "怎么退订短信"},
		{"很有收获", "很有收获"}, // a harvest, left alone
	} {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
