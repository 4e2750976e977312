package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"breakwater/shared/contact"
	"breakwater/shared/intent"
)

// Kind is what a generated contact is meant to be, so the outcome can be compared with the intent.
type Kind string

// Kinds of generated contacts.
const (
	Routine   Kind = "routine"
	Human     Kind = "human.request"
	Complaint Kind = "complaint"
	Payment   Kind = "payment.problem"
	OffTopic  Kind = "off.topic"
)

// Kinds lists every kind, routine first.
var Kinds = []Kind{Routine, Human, Complaint, Payment, OffTopic}

// Mix is the share of each kind and of Chinese among generated contacts.
type Mix struct {
	Kinds   map[Kind]float64
	Chinese float64
}

// DefaultMix is mostly routine questions, like a peak's traffic: AliMe answered about 95% on Double 11, and the
// rest is people asking for a person, complaints, payment problems and chatter.
func DefaultMix() Mix {
	return Mix{
		Kinds:   map[Kind]float64{Routine: 0.86, Human: 0.04, Complaint: 0.04, Payment: 0.02, OffTopic: 0.04},
		Chinese: 0.6,
	}
}

// Sample is one generated contact: the request body and what it was meant to be.
type Sample struct {
	Kind   Kind
	Intent string // the routine intent, empty otherwise
	Locale contact.Locale
	Req    contact.Request
	Body   []byte
}

// Generator makes varied contacts from phrase pieces; it is deterministic for a seed and not safe for concurrent use.
type Generator struct {
	rng      *rand.Rand
	mix      Mix
	shoppers int
	n        int
}

// NewGenerator returns a generator for about n contacts, so shoppers repeat now and then as they do in a peak.
func NewGenerator(seed uint64, n int, mix Mix) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), mix: mix, shoppers: max(50, 4*n)}
}

// Next makes the next contact.
func (g *Generator) Next() Sample {
	g.n++
	s := Sample{Kind: g.kind(), Locale: contact.English}
	zh := g.rng.Float64() < g.mix.Chinese
	if zh {
		s.Locale = contact.Chinese
	}
	var text string
	var ctx *contact.Context
	order := g.order(zh)
	switch s.Kind {
	case Routine:
		s.Intent = intent.Intents[g.rng.IntN(len(intent.Intents))]
		text, ctx = g.routine(s.Intent, zh, order)
	case OffTopic:
		text = g.pick(pieces(zh, offTopicEN, offTopicZH))
		if g.rng.Float64() < 0.15 {
			ctx = &contact.Context{Order: order}
		}
	default:
		text, ctx = g.handoff(s.Kind, zh, order)
	}
	tier := contact.Tiers[g.weighted([]float64{0.6, 0.25, 0.1, 0.05})]
	r := contact.Request{
		Merchant: fmt.Sprintf("shop-%03d", g.rng.IntN(40)+1),
		Shopper:  &contact.RequestShopper{ID: fmt.Sprintf("u%07d", g.rng.IntN(g.shoppers)), Tier: string(tier)},
		Channel:  []string{"web", "app", "mini_program"}[g.weighted([]float64{0.55, 0.4, 0.05})],
		Text:     &text,
		Context:  ctx,
	}
	if g.rng.Float64() < 0.7 {
		r.Locale = string(s.Locale)
	}
	if s.Kind == Routine && g.rng.Float64() < 0.05 {
		r.Topic = s.Intent // the shopper picked it from the menu
	}
	s.Req = r
	s.Body, _ = json.Marshal(r) // a Request of strings, numbers and maps always marshals
	return s
}

func (g *Generator) kind() Kind {
	w := make([]float64, len(Kinds))
	for i, k := range Kinds {
		w[i] = g.mix.Kinds[k]
	}
	return Kinds[g.weighted(w)]
}

// weighted picks an index with probability proportional to its weight.
func (g *Generator) weighted(w []float64) int {
	var total float64
	for _, x := range w {
		total += x
	}
	v := g.rng.Float64() * total
	for i, x := range w {
		if v < x {
			return i
		}
		v -= x
	}
	return len(w) - 1
}

func (g *Generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func pieces(zh bool, en, cn []string) []string {
	if zh {
		return cn
	}
	return en
}

func (g *Generator) routine(name string, zh bool, order *contact.Order) (string, *contact.Context) {
	p := phrases[name]
	core := g.pick(pieces(zh, p.en, p.zh))
	ref := ""
	if strings.Contains(core, "{ord}") && g.rng.Float64() < 0.5 {
		if zh {
			ref = order.ID
		} else {
			ref = []string{" " + order.ID, " #" + order.ID, " no. " + order.ID}[g.rng.IntN(3)]
		}
	}
	prod := g.rng.IntN(len(productsEN))
	name2 := productsEN[prod]
	if zh {
		name2 = productsZH[prod]
	}
	core = strings.NewReplacer("{ord}", ref, "{prod}", name2).Replace(core)
	text := g.wrap(core, zh)
	var ctx *contact.Context
	switch {
	case p.order && g.rng.Float64() < 0.8, !p.order && !p.product && g.rng.Float64() < 0.15:
		ctx = &contact.Context{Order: order}
	case p.product && g.rng.Float64() < 0.8:
		ctx = &contact.Context{Product: &contact.Product{
			SKU: fmt.Sprintf("SKU-%05d", g.rng.IntN(100000)), Name: name2,
			Attributes: map[string]string{"color": g.pick([]string{"black", "white", "red", "navy"}), "size": g.pick([]string{"S", "M", "L", "XL", "42"})},
		}}
	}
	return text, ctx
}

func (g *Generator) handoff(k Kind, zh bool, order *contact.Order) (string, *contact.Context) {
	var core string
	switch k {
	case Human:
		core = g.pick(pieces(zh, humanEN, humanZH))
	case Complaint:
		core = g.pick(pieces(zh, complaintEN, complaintZH))
		if g.rng.Float64() < 0.3 {
			core += g.pick(pieces(zh, []string{"!!!", " I'm furious."}, []string{"！！！", "，气死我了"}))
		}
	case Payment:
		core = g.pick(pieces(zh, paymentEN, paymentZH))
	}
	core = strings.ReplaceAll(core, "{ord}", order.ID)
	var ctx *contact.Context
	if g.rng.Float64() < 0.6 {
		ctx = &contact.Context{Order: order}
	}
	return g.wrap(core, zh), ctx
}

// wrap adds an opener and a closer, the way people write.
func (g *Generator) wrap(core string, zh bool) string {
	if zh {
		return g.pick(openZH) + core + g.pick(closeZH)
	}
	open := g.pick(openEN)
	if open != "" {
		core = strings.ToLower(core[:1]) + core[1:]
	}
	if g.rng.Float64() < 0.1 {
		core = strings.ToLower(core)
	}
	return open + core + g.pick(closeEN)
}

func (g *Generator) order(zh bool) *contact.Order {
	amount := math.Round(math.Exp(3+g.rng.NormFloat64()*1.1)*100) / 100 // median about 20, a tail past 500
	o := &contact.Order{
		ID:                fmt.Sprintf("%d%08d", 2026111, g.rng.IntN(1e8)),
		Status:            g.pick([]string{"paid", "processing", "shipped", "in_transit", "delivered"}),
		Carrier:           g.pick([]string{"SF Express", "ZTO", "YTO", "JD Logistics", "UPS", "FedEx"}),
		TrackingNumber:    fmt.Sprintf("SF%012d", g.rng.Int64N(1e12)),
		EstimatedDelivery: fmt.Sprintf("2026-11-%02d", 12+g.rng.IntN(8)),
		Amount:            &amount,
		Currency:          "USD",
	}
	if zh {
		o.Currency = "CNY"
	}
	return o
}

var (
	openEN  = []string{"", "", "", "Hi, ", "Hello, ", "Hey, ", "Good morning, ", "Excuse me, ", "Quick question: "}
	closeEN = []string{"", "", " Thanks.", " Thank you!", " Please help.", " Thanks in advance.", " Cheers"}
	openZH  = []string{"", "", "", "你好，", "您好，", "亲，", "在吗？", "请问"}
	closeZH = []string{"", "", "，谢谢", "，谢谢！", "，麻烦尽快回复", "，急", "？"}

	productsEN = []string{"running shoes", "rice cooker", "phone case", "down jacket", "bluetooth headphones", "yoga mat", "air fryer", "kettle"}
	productsZH = []string{"跑鞋", "电饭煲", "手机壳", "羽绒服", "蓝牙耳机", "瑜伽垫", "空气炸锅", "电水壶"}

	humanEN = []string{
		"I want to talk to a real person", "Can I speak to someone about order {ord}?", "Please connect me to an agent",
		"Give me a human please", "I need a representative, the bot is not helping", "Let me talk to someone",
	}
	humanZH = []string{"转人工", "我要人工客服", "请帮我转人工", "能找个真人吗", "人工客服在吗", "订单{ord}的问题我要找人工"}

	complaintEN = []string{
		"This is unacceptable, my parcel is a week late", "Worst delivery experience ever", "I want to file a complaint about the courier",
		"Terrible service, the box arrived crushed", "Ridiculous, order {ord} was sent to the wrong city", "I complain about the quality of this item",
	}
	complaintZH = []string{"我要投诉快递员", "服务太差了", "发货太慢了，等了一个星期", "给差评，东西是坏的", "这是什么垃圾质量", "订单{ord}我要投诉"}

	paymentEN = []string{
		"I was charged twice for order {ord}", "My card was double charged", "Payment failed but the money left my account",
		"I paid but order {ord} still says unpaid",
	}
	paymentZH = []string{"同一个订单扣了两次钱", "重复扣款了，请处理", "钱已经付了但订单{ord}显示待付款", "付了钱订单却被取消了"}

	offTopicEN = []string{
		"What's the weather like tomorrow?", "Tell me a joke", "Who won the football game last night?", "Can you recommend a movie?",
		"What is the meaning of life?", "Do you like cats or dogs?", "How tall is Mount Everest?",
	}
	offTopicZH = []string{"今天天气怎么样", "给我讲个笑话", "推荐一部电影", "晚饭吃什么好", "你喜欢猫还是狗", "珠穆朗玛峰有多高"}
)

// phrase holds a routine intent's question cores; {ord} takes an order number and {prod} a product name.
type phrase struct {
	en, zh         []string
	order, product bool // whether the storefront usually attaches an order or a product
}

var phrases = map[string]phrase{
	"order.track": {order: true,
		en: []string{"Where is my order{ord}?", "When will my package{ord} arrive?", "Can you tell me the tracking status of my parcel{ord}?", "My order{ord} has not arrived yet, where is it?"},
		zh: []string{"我的订单{ord}到哪里了？", "快递什么时候到？", "帮我查一下物流{ord}", "包裹{ord}现在在哪"}},
	"order.cancel": {order: true,
		en: []string{"I want to cancel my order{ord}", "How do I cancel order{ord}?", "Please cancel the order I just placed{ord}"},
		zh: []string{"我想取消订单{ord}", "怎么取消刚下的单", "订单{ord}能取消吗"}},
	"order.change": {order: true,
		en: []string{"Can I change the size on my order{ord}?", "I need to change the color of the item I ordered", "How do I modify my order{ord}?"},
		zh: []string{"订单{ord}能改尺码吗", "我想修改订单的颜色", "下单后还能修改吗"}},
	"order.place": {
		en: []string{"How do I place an order?", "Can I order more than one of these?", "How do I buy the {prod} with my account?"},
		zh: []string{"怎么下单", "这个可以买两件吗", "如何购买这个{prod}"}},
	"shipping.time": {order: true,
		en: []string{"How long does shipping take?", "When will you ship my order{ord}?", "How many days until delivery to Shanghai?"},
		zh: []string{"多久发货", "几天能到", "发货时间是多久", "订单{ord}什么时候发货"}},
	"shipping.options": {
		en: []string{"What shipping options do you have?", "Do you offer express delivery?", "Can I get next day delivery?"},
		zh: []string{"有哪些快递可以选", "可以发顺丰吗", "支持次日达吗"}},
	"shipping.address": {order: true,
		en: []string{"How do I change my delivery address{ord}?", "I entered the wrong address, can I update it?", "Can you ship to a different address?"},
		zh: []string{"怎么修改收货地址", "地址填错了能改吗", "订单{ord}的地址写错了"}},
	"return.policy": {
		en: []string{"What is your return policy?", "Can I return an item after 7 days?", "How do I return something I bought?"},
		zh: []string{"退货政策是什么", "支持七天无理由退货吗", "怎么退货"}},
	"refund.status": {order: true,
		en: []string{"Where is my refund{ord}?", "When will I get my money back?", "My refund{ord} has not shown up yet"},
		zh: []string{"退款什么时候到账", "我的退款{ord}到哪了", "退款进度怎么查"}},
	"refund.request": {order: true,
		en: []string{"I want a refund for order{ord}", "How do I request a refund?", "Can I get a refund for a broken item?"},
		zh: []string{"我要申请退款", "怎么申请退款", "订单{ord}可以退款吗"}},
	"payment.methods": {
		en: []string{"What payment methods do you accept?", "Can I pay with PayPal?", "Do you take Alipay or credit cards?"},
		zh: []string{"可以用花呗吗", "支持哪些付款方式", "能用信用卡支付吗"}},
	"invoice.request": {order: true,
		en: []string{"Can I get an invoice for order{ord}?", "How do I download my receipt?", "I need a VAT invoice"},
		zh: []string{"怎么开发票", "订单{ord}能开发票吗", "我需要增值税专用发票"}},
	"promo.rules": {
		en: []string{"How does the Double 11 discount work?", "Can I use two coupons on one order?", "What are the rules of the sale?"},
		zh: []string{"满减规则是什么", "优惠券怎么用", "双十一活动怎么算", "红包可以叠加吗"}},
	"product.specs": {product: true,
		en: []string{"What size is this {prod}?", "Is the {prod} waterproof?", "What material is the {prod} made of?"},
		zh: []string{"这款{prod}是什么材质", "{prod}的尺寸是多少", "{prod}防水吗"}},
	"warranty": {product: true,
		en: []string{"How long is the warranty on the {prod}?", "Is the {prod} covered by warranty?", "How do I claim a warranty repair?"},
		zh: []string{"保修多久", "{prod}有保修吗", "怎么申请保修"}},
	"account.password": {
		en: []string{"I forgot my password", "How do I reset my password?", "I can't log in to my account"},
		zh: []string{"忘记密码了", "怎么重置密码", "登录不上账号"}},
	"account.manage": {
		en: []string{"How do I change the phone number on my account?", "How do I delete my account?", "Where can I update my email?"},
		zh: []string{"怎么换绑手机号", "如何注销账号", "怎么修改个人信息"}},
	"contact.hours": {
		en: []string{"What are your customer service hours?", "When are you open?", "Are you open on weekends?"},
		zh: []string{"客服几点上班", "你们周末上班吗", "客服工作时间是什么时候"}},
	"subscription.manage": {
		en: []string{"How do I cancel my membership subscription?", "How do I stop auto renewal?", "Can I pause my subscription?"},
		zh: []string{"怎么取消自动续费", "会员怎么退订", "如何关闭连续包月"}},
	"feedback.review": {
		en: []string{"How do I leave a review?", "Where can I write feedback about the {prod}?", "Can I edit my review?"},
		zh: []string{"怎么写评价", "在哪里追加评论", "评价可以修改吗"}},
}
