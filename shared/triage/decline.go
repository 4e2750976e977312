package triage

import (
	"strings"

	"breakwater/shared/contact"
)

// declineText is the bot's answer to a question no shop handles: what it can help with, and that a person is one
// message away. Nothing is queued; the shopper can still ask for a person.
func declineText(l contact.Locale) string {
	if l == contact.Chinese {
		return "亲，这个问题我帮不上忙哦。我可以解答订单和购物相关的问题：物流查询、配送时效、退换货和退款、支付方式、发票、优惠活动、商品参数和账户设置。需要人工客服的话，回复“转人工”就可以啦~"
	}
	return "Sorry, that's not something I can help with. I can answer questions about your orders and shopping here: tracking, delivery times, returns and refunds, payment methods, invoices, promotions, product details and your account. If you'd like a person, just say \"agent\" and I'll pass you on."
}

// shopCues are words that tie a text to a shop, its orders or the shopper's account: a text with one of them is
// never declined as off-topic (a person looks at it instead), so a decline cannot swallow a question about an
// order that the matcher did not recognise.
var shopCues = []string{
	// English, matched at the start of a word.
	"order", "package", "parcel", "deliver", "shipping", "shipment", "shipped", "courier", "tracking", "refund",
	"return", "exchange", "invoice", "receipt", "payment", "paid", "charge", "checkout", "cart", "coupon", "promo",
	"discount", "voucher", "purchase", "bought", "item", "product", "size", "warranty", "account", "password",
	"login", "log in", "sign in", "subscription", "membership", "unsubscribe", "newsletter", "your shop",
	"your store", "your site", "your website", "your app", "customer service", "agent", "complain", "seller",
	"store", "shop",
	// Chinese, matched anywhere.
	"订单", "下单", "单号", "快递", "物流", "发货", "收货", "包裹", "配送", "运费", "退款", "退货", "换货", "售后",
	"发票", "付款", "支付", "扣款", "优惠", "满减", "红包", "客服", "人工", "商品", "宝贝", "尺码", "质量", "账号",
	"账户", "密码", "会员", "店", "买", "拍", "保修", "评价", "价格", "链接",
}

// shopCue reports whether text mentions a shop matter, or carries a long number (an order or tracking number).
func shopCue(text string) bool {
	lower := fold(text)
	digits := 0
	for _, r := range lower {
		if r >= '0' && r <= '9' {
			if digits++; digits >= 5 {
				return true
			}
		} else {
			digits = 0
		}
	}
	for _, cue := range shopCues {
		i := strings.Index(lower, cue)
		for i >= 0 {
			if cue[0] >= 0x80 || boundaryBefore(lower, i) {
				return true
			}
			next := strings.Index(lower[i+1:], cue)
			if next < 0 {
				break
			}
			i += 1 + next
		}
	}
	return false
}
