package triage

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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
	"store", "shop", "cancel", "oder", "ordr", "cncel", "cancle", "pamnt", "paymnt", "pymnt", "paymet", "fail",
	"broke", "snapped", "crack", "defect", "faulty", "damag", "refund", "refud", "reufnd", "deliv", "shiping",
	"adress", "acount", "pasword", "invoce", "reciept",
	// Chinese, matched anywhere.
	"订单", "下单", "单号", "快递", "物流", "发货", "收货", "包裹", "配送", "运费", "退款", "退货", "换货", "售后",
	"发票", "付款", "支付", "扣款", "优惠", "满减", "红包", "客服", "人工", "商品", "宝贝", "尺码", "质量", "账号",
	"账户", "密码", "会员", "店", "买", "拍", "保修", "评价", "价格", "链接", "明细", "屏幕", "几寸", "定金",
	"尺寸", "颜色", "材质", "这款", "这件", "这个是", "型号", "现货", "吃出", "头发", "坏", "退单", "拒付",
	// A shopper's review that finds fault is never declined, whatever it is about.
	"严重", "很慢", "太慢", "好慢", "卡顿", "很卡", "游戏卡", "不足", "很差", "太差", "不好", "不行", "一般",
	"失望", "正品", "专柜", "分量", "做工", "手感", "味道", "包装", "发热", "耗电", "续航", "师傅", "安装",
	"能退", "可以退", "退吗", "退不退", "开封", "拆封", "能换吗", "可以换吗",
	// An invoice by its short names, and a product-page question by its measure word ("这台", "这双", "这瓶" …).
	"开票", "的票", "个票", "专票", "普票", "这台", "这双", "这套", "这瓶", "这盒", "这条", "这把", "这袋",
	// Delivery, price protection and ways to reach the shop.
	"保价", "价保", "运输", "运到", "寄到", "能寄", "邮寄", "自取", "自提", "到付", "contact", "reach you",
	"whatsapp", "social media", "your phone number", "your email", "微信客服", "联系你们",
	"emails", "marketing", "promotional",
	// A product's parameters: a question about one is never declined, however its product is spelt.
	"watt", "volt", "dimension", "capacity", "material", "fabric", "battery", "waterproof",
	"compatible", "ingredient", "do you sell", "do you carry", "do you stock", "in stock",
}

// foreignCues name other companies' services, asked about with the shop's own verbs ("reset my netflix password",
// "12306密码忘了", "酒店订单怎么取消"): a bag of words weighs the name too little against the verb. A text naming
// one is never answered with a template; it is declined when the matcher finds it off-topic (even with a shop
// word, which here belongs to the other service), and goes to a person otherwise. Payment brands (PayPal, Alipay,
// 花呗, banks' cards) and couriers are left out: shoppers name them about this shop.
var foreignCues = []string{
	"netflix", "spotify", "hulu", "disney+*", "disney plus*", "youtube premium*", "hbo max*", "prime video*", "uber",
	"lyft", "doordash", "grubhub", "deliveroo", "instacart", "airbnb", "booking.com*", "expedia", "tripadvisor",
	"gmail account*", "gmail password*", "hotmail account*", "hotmail password*", "yahoo mail*", "my facebook*",
	"facebook account*", "facebook password*", "my instagram*", "instagram account*", "instagram password*",
	"whatsapp account*", "my tiktok*", "tiktok account*", "twitter account*", "snapchat", "linkedin", "steam account*",
	"playstation", "psn", "xbox live*", "fortnite", "roblox", "icloud", "apple id*", "venmo", "zelle", "cash app*",
	"verizon", "at&t", "t-mobile", "vodafone", "comcast", "xfinity", "my flight*", "flight to*", "my airline*",
	"boarding pass*", "hotel room*", "hotel booking*", "hotel reservation*", "my hotel*", "car rental*", "rental car*",
	"train ticket*", "bus ticket*", "concert ticket*", "movie ticket*", "gym membership*", "my gym*", "phone bill*",
	"phone plan*", "mobile plan*", "data plan*", "cell plan*", "electric bill*", "electricity bill*", "water bill*",
	"gas bill*", "utility bill*", "credit score*", "car insurance*", "health insurance*", "life insurance*",
	"my mortgage*", "student loan*", "tax return*", "my taxes*", "my passport*", "passport renewal*",
	"visa application*", "driver's license*", "drivers license*", "driving license*", "my landlord*", "my doctor*",
	"my dentist*", "my paycheck*", "my salary*", "my pension*", "my 401k*", "library book*", "tax refund*",
	"order checks*", "more checks*", "new checks*", "checkbook*", "shopping list*", "grocery list*", "to-do list*",
	"todo list*", "vacation request*", "vacation days*", "pto", "direct deposit*", "routing number*", "credit limit*",
	"w2", "w-2", "ticketmaster", "stubhub", "eventbrite", "unlock my*", "iphone passcode*", "phone passcode*",
	"screen lock*", "lock screen*", "wifi password*", "wi-fi password*", "router password*", "laptop password*",
	"computer password*", "windows password*", "sim pin*", "voicemail*", "ship a dog*", "ship my dog*", "ship a cat*",
	"ship my cat*", "ship a pet*", "ship my pet*", "ship a car*", "ship my car*", "send a letter*", "post a letter*", "a letter to*",
	"send a postcard*", "a postcard*", "stamp", "stamps", "postage stamp*",
	"12306", "12123", "滴滴", "美团", "饿了么", "携程", "飞猪", "去哪儿", "同程", "爱奇艺", "腾讯视频", "优酷",
	"芒果tv", "网易云", "qq音乐*", "王者荣耀", "原神", "steam账号*", "steam游戏*", "微博", "b站*", "知乎",
	"百度网盘", "钉钉", "学信网", "社保", "公积金", "医保", "个税", "签证", "办护照", "护照办理", "护照续签",
	"护照丢", "驾照", "驾校", "健身房", "健身卡", "高铁", "火车票", "机票", "航班", "酒店订单", "订酒店",
	"酒店预订", "酒店房间", "住酒店", "酒店退", "酒店取消", "酒店前台", "民宿", "中国移动", "中国联通",
	"中国电信", "话费", "流量套餐", "宽带", "房贷", "车贷", "网贷", "股票", "房东", "物业费", "电费", "水费",
	"燃气费", "挂号", "wifi密码*", "qq密码*", "qq号*", "微信密码", "微信账号", "微信号被", "支付宝账号",
	"支付宝密码", "游戏账号", "游戏充值",
	"atm", "atms", "irs", "hmrc", "debit card pin*", "pin for my debit card", "pin number for my debit card",
	"school newsletter*", "pay off debt", "my debt", "debt", "a passport", "new passport*", "做账", "记账", "报税",
	"装修公司", "装修合同", "关闭花呗", "花呗怎么关", "花呗额度", "借呗", "白条额度", "信用卡额度", "信用卡账单",
	"外卖",
}

// foreignIndex finds foreignCues in one pass over a text (Decide asks it for every answer it is about to give).
var foreignIndex = compile([]rule{{any: foreignCues}})

// foreign reports whether text names another company's service (foreignCues).
func foreign(text string) bool { return foreignIndex.hasAny(fold(text)) }

// hasAny reports whether lower has one of g's phrases, read as the guards read them: a Latin one from the start of
// a word to the end of one (or on into a longer word when it ends in "*"), a Han one anywhere.
func (g guardIndex) hasAny(lower string) bool {
	for at, r := range lower {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) && !boundaryBefore(lower, at) {
			continue
		}
		for _, pi := range g.byFirst[r] {
			p := &g.phrases[pi]
			if strings.HasPrefix(lower[at:], p.text) && (!p.latin || p.prefix || boundaryAfter(lower, at+len(p.text))) {
				return true
			}
		}
	}
	return false
}

// serviceCues are the shop words another company's service has too (its account, password, subscription,
// orders and refunds); beyondService are the other shop cues, which a text naming another service may still not
// have to be declined ("an instagram account with your logo asks for a shipping fee" goes to a person).
var serviceCues = []string{"order", "refund", "charge", "payment", "paid", "account", "password", "login", "log in",
	"sign in", "subscription", "membership", "unsubscribe", "purchase", "receipt", "cancel", "账号", "账户", "密码", "会员",
	"退款", "订单", "下单", "付款", "支付", "扣款", "价格", "买"}

var beyondService = func() []string {
	var out []string
	for _, c := range shopCues {
		if !slices.Contains(serviceCues, c) {
			out = append(out, c)
		}
	}
	return out
}()

// declinable reports whether text may be declined as off-topic: it mentions nothing of a shop, not even misspelt,
// or it names another company's service and only the shop words such a service has too.
func declinable(text string) bool {
	if !shopCue(text) && !misspeltCue(fold(text)) {
		return true
	}
	return foreign(text) && !hasCue(fold(text), beyondService)
}

// typoCues are shop words long enough that one slip of the keyboard ("retrun", "refnd", "pakage") still names
// them; misspeltCue finds them so that a misspelt shop question is not declined.
var typoCues = []string{"return", "refund", "order", "package", "parcel", "deliver", "delivery", "shipping",
	"shipment", "invoice", "receipt", "payment", "account", "password", "cancel", "coupon", "voucher", "purchase",
	"tracking", "warranty", "exchange", "discount", "checkout"}

// misspeltCue reports whether a word of lower starts like one of typoCues and is one edit from it (a letter added,
// dropped, changed, or two swapped).
func misspeltCue(lower string) bool {
	for _, w := range strings.FieldsFunc(lower, func(r rune) bool { return r < 'a' || r > 'z' }) {
		if len(w) < 5 {
			continue
		}
		for _, c := range typoCues {
			if w[0] == c[0] && oneEdit(w, c) { // a slip rarely hits the first letter ("border" is not "order")
				return true
			}
		}
	}
	return false
}

// oneEdit reports whether a and b differ by at most one insertion, deletion, substitution or swap of neighbours.
func oneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case i == len(b):
		return true
	case len(a) > len(b):
		return a[i+1:] == b[i:]
	case i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i]:
		return a[i+2:] == b[i+2:]
	default:
		return a[i+1:] == b[i+1:]
	}
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
	return hasCue(lower, shopCues)
}

// hasCue reports whether lower has one of cues: a Latin cue at the start of a word, a Han one anywhere.
func hasCue(lower string, cues []string) bool {
	for _, cue := range cues {
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
