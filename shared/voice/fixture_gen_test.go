package voice

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// The labelled fixture: short shopper messages in English and Chinese, each with the problem it is about.
// Problems are written as phrasings with slots; the generator fills the slots, wraps phrasings the way people
// write (greetings, closings, typos, shouting, emoji) and plants personal data (order numbers, phones, e-mails,
// names) that Mask must remove. Noise messages (chit-chat, one-off questions, gibberish) belong to no problem.
//
//	go test ./shared/voice -run TestFixtureFiles -update   # rewrite testdata/*.jsonl after editing below
//
// Two files: fixture.jsonl (the development set the thresholds were chosen on) and holdout.jsonl, written from
// separate phrasings and scored once, untouched, after the thresholds were fixed (see EVAL.md).

var update = flag.Bool("update", false, "rewrite the fixture files from the generator")

// problem is one known group: its phrasings with {slots}, and how many messages it has in the fixture.
type problem struct {
	name   string
	en, zh []string
	size   int
	// holdout phrasings, used only for holdout.jsonl.
	hen, hzh []string
}

var slots = map[string][2][]string{
	"code":    {{"SAVE20", "DOUBLE11", "WELCOME10", "VIP50", "FLASH30"}, {"SAVE20", "DOUBLE11", "满300减50的券", "新人券", "VIP50"}},
	"carrier": {{"SF Express", "ZTO", "SF", "the courier", "your carrier"}, {"顺丰", "中通", "快递", "物流", "顺丰快递"}},
	"days":    {{"3 days", "4 days", "five days", "a week", "2 days", "6 days"}, {"3天", "四天", "五天", "一个星期", "两天", "好几天"}},
	"item":    {{"jacket", "down jacket", "coat", "puffer jacket"}, {"羽绒服", "外套", "棉服", "羽绒外套"}},
	"n":       {{"10", "7", "14", "12", "20"}, {"10", "7", "14", "半个月", "20"}},
}

var slotNames = []string{"carrier", "code", "days", "item", "n"}

var problems = []problem{
	{name: "coupon.invalid", size: 190,
		en: []string{"my coupon code {code} says invalid at checkout", "the {code} code doesn't work", "coupon {code} won't apply to my cart",
			"promo code {code} keeps getting rejected", "why is {code} not valid? it's on your homepage", "discount code {code} not working!!",
			"it says the voucher {code} is expired but the sale is still on", "checkout refuses my coupon {code}", "I can't use the coupon {code}, error every time",
			"entered {code} and nothing happens, no discount", "{code} code invalid???", "your promo code is broken, {code} gives an error"},
		zh: []string{"优惠券{code}用不了", "结算的时候优惠码{code}显示无效", "{code}这个券怎么不能用", "领的优惠券结算时不生效",
			"优惠码输进去提示已失效", "为什么我的{code}一直报错", "券用不了，页面说不符合条件", "下单时优惠券无法使用",
			"{code}无效，活动不是还没结束吗", "领了券结账不抵扣", "优惠券一直提示错误", "满减券用不上，怎么回事"},
		hen: []string{"tried {code} three times, cart total never changes", "the discount code from your email is rejected", "{code} isn't being accepted, says not applicable",
			"got a coupon but the checkout page won't take it", "promo {code} fails every time I pay"},
		hzh: []string{"券显示不可用，明明在有效期内", "输入{code}后价格没变", "结账页面用不了我领的优惠券", "优惠码提示不存在", "{code}用不上，是不是活动有问题"}},
	{name: "carrier.stuck.chengdu", size: 170,
		en: []string{"my parcel has been stuck in Chengdu for {days}", "tracking shows Chengdu hub for {days}, no update", "{carrier} package not moving since it reached Chengdu",
			"why is my order sitting in Chengdu sorting center", "stuck at the Chengdu warehouse for {days} now", "Chengdu transit, no movement for {days}",
			"the package arrived in Chengdu {days} ago and hasn't moved", "is there a problem with {carrier} in Chengdu? my parcel is frozen there",
			"tracking stuck on 'arrived at Chengdu' forever", "order stuck in chengdu, any news?"},
		zh: []string{"快递在成都卡了{days}了", "物流一直显示在成都转运中心", "包裹到成都就不动了", "{carrier}在成都停了{days}没更新",
			"成都中转站卡住了，什么时候能发出", "我的件一直在成都，{days}没动", "物流停在成都分拨中心", "为什么包裹一直滞留成都",
			"成都那边是不是爆仓了，快递不动", "到了成都就没有物流信息了"},
		hen: []string{"parcel reached Chengdu and the tracking froze", "been at the Chengdu depot for {days}, what's going on", "no scans since Chengdu, {days} ago"},
		hzh: []string{"成都仓{days}没有新的物流", "快递卡在成都转运了", "包裹在成都停滞不前", "物流信息一直是到达成都"}},
	{name: "size.small.jacket", size: 150,
		en: []string{"the {item} runs really small, I followed the size chart", "ordered L {item} but it fits like an S", "{item} is way too small compared to the size guide",
			"your size chart is wrong, the {item} is tiny", "the {item} is one size smaller than listed", "sleeves too short, the {item} runs small",
			"I'm normally M and the M {item} is super tight", "sizing is off on the {item}, need a bigger one", "the measurements on the page don't match the {item}",
			"{item} too small, is the chart correct?"},
		zh: []string{"{item}尺码偏小，按尺码表买的", "买的L码{item}穿着像S", "{item}小了一码", "尺码表不准，{item}太小了",
			"平时穿M，这件{item}M码紧得不行", "{item}袖子太短，偏小", "详情页的尺寸和实物不一样，{item}偏小", "{item}码数偏小，要换大一码",
			"尺码推荐有问题，穿不上", "这款{item}尺码严重偏小"},
		hen: []string{"the {item} measures much smaller than your chart says", "had to size up twice, the {item} is small", "chest width on the {item} is smaller than listed"},
		hzh: []string{"{item}比尺码表小很多", "按推荐买的码{item}还是小", "这件{item}版型偏小，建议拍大一号"}},
	{name: "app.crash.checkout", size: 140,
		en: []string{"app crashes when I tap pay", "the app keeps closing at checkout", "checkout page freezes and the app crashes",
			"every time I try to place the order the app closes", "app crash on the payment screen", "stuck on a blank page after checkout",
			"can't check out, app just spins and crashes", "app bug: checkout button crashes the app", "iPhone app crashes when submitting the order"},
		zh: []string{"一点支付APP就闪退", "结算页面闪退", "提交订单的时候APP崩溃了", "付款页面一直转圈然后闪退",
			"下单就闪退，付不了款", "APP结算时卡死", "点结算白屏", "小程序提交订单崩溃", "一到付款页就打不开"},
		hen: []string{"the app dies right when I confirm payment", "checkout screen goes white and the app quits"},
		hzh: []string{"确认付款时APP直接退出", "结算按钮一点就崩", "下单页面卡死闪退"}},
	{name: "charged.twice", size: 120,
		en: []string{"I was charged twice for the same order", "double charged on my card", "two charges for one order, please refund one",
			"my bank shows the payment twice", "you billed me twice", "duplicate charge on my credit card", "payment went through two times",
			"charged two times but only one order"},
		zh: []string{"同一个订单扣了两次钱", "重复扣款了", "银行卡被扣了两次", "付了一次却扣了两笔", "支付宝显示扣了两遍",
			"一个订单多扣了一次款", "我被重复扣费了", "钱扣了两次，订单只有一个"},
		hen: []string{"see two identical payments on my statement for one order", "the card got debited twice"},
		hzh: []string{"账单里有两笔一样的扣款", "信用卡扣了两次钱"}},
	{name: "damaged.kettle", size: 110,
		en: []string{"the kettle arrived cracked", "kettle came broken in the box", "my electric kettle is damaged, the lid is smashed",
			"kettle arrived with a crack and it leaks", "received the kettle dented and broken", "the glass kettle was shattered when I opened it",
			"kettle damaged in delivery", "broken kettle, the handle snapped off"},
		zh: []string{"电水壶收到就是裂的", "水壶到手摔坏了", "烧水壶破损，盖子碎了", "收到的电水壶有裂缝还漏水",
			"水壶外壳压坏了", "玻璃水壶碎了", "电热水壶运输途中坏了", "水壶把手断了"},
		hen: []string{"opened the box and the kettle's base is broken", "kettle leaks from a crack along the side"},
		hzh: []string{"水壶底座摔裂了", "拆开快递电水壶已经破了"}},
	{name: "missing.item", size: 120,
		en: []string{"my package is missing an item", "ordered 3 things, only got 2", "one item was not in the box", "the parcel came with something missing",
			"you forgot to include one of my items", "half my order is missing", "only one of the two pairs arrived", "box arrived but an item is missing"},
		zh: []string{"包裹少了一件", "买了三件只收到两件", "少发了一个", "箱子里少东西", "漏发了一件商品", "订单里的东西没发全",
			"两件只到了一件", "收到的包裹缺了一样"},
		hen: []string{"the delivery didn't have all my items", "package short one item"},
		hzh: []string{"少发货了", "东西没收齐，少了一件"}},
	{name: "wrong.color", size: 110,
		en: []string{"I ordered black but got white", "wrong colour sent", "received the wrong color", "the color is different from what I ordered",
			"you sent red instead of navy", "color doesn't match my order", "got a pink one, I chose grey", "wrong color item arrived"},
		zh: []string{"买的黑色发来白色", "颜色发错了", "收到的颜色不对", "和我选的颜色不一样", "我要的藏青色给我发了红色",
			"颜色和订单不符", "选的灰色收到粉色", "发错颜色了"},
		hen: []string{"the shade I received isn't the one I picked", "asked for green, box has blue"},
		hzh: []string{"颜色跟下单的不一样", "给我发成别的颜色了"}},
	{name: "refund.not.received", size: 130,
		en: []string{"returned the item {days} ago and still no refund", "you received my return but I haven't been refunded",
			"where is my refund? return delivered {days} ago", "refund not received after return", "still waiting for my money back after returning",
			"return was accepted but no refund yet", "it's been {n} days since my return, no refund", "refund for my returned order hasn't arrived"},
		zh: []string{"退货{days}了还没退款", "商家签收退货了钱还没退", "退货后迟迟没收到退款", "退款一直没到账",
			"退回去的东西{days}了钱没退", "退货已经签收，退款呢", "寄回{n}天了还没退钱", "退货成功但是没收到退款"},
		hen: []string{"my return shows delivered to you, refund missing", "no refund even though you have my return"},
		hzh: []string{"退货到了仓库钱还没给我", "退了货却一直不退款"}},
	{name: "sms.code", size: 100,
		en: []string{"I'm not receiving the verification code", "no SMS code when I try to log in", "verification code never arrives",
			"can't log in, the OTP text doesn't come", "login code not received", "the text message with the code never shows up",
			"didn't get the sms to verify my account", "no verification sms, can't sign in"},
		zh: []string{"收不到验证码", "登录的时候没有短信验证码", "验证码一直不来", "短信验证码收不到登不上",
			"获取验证码没反应", "验证码发不过来", "没收到登录短信", "收不到短信没法登录"},
		hen: []string{"the login text with the code isn't coming through", "OTP never delivered to my phone"},
		hzh: []string{"手机一直收不到验证短信", "点了发送验证码还是没收到"}},
	{name: "invoice.wrong.title", size: 90,
		en: []string{"the invoice has the wrong company name", "my invoice title is wrong", "fapiao shows the wrong tax ID",
			"invoice issued with wrong company details", "need the invoice reissued, company name is incorrect", "wrong tax number on my invoice"},
		zh:  []string{"发票抬头开错了", "发票公司名称不对", "税号开错了", "发票信息错误需要重开", "专票抬头写错了", "开的发票抬头和公司名不一样"},
		hen: []string{"you put someone else's company on my invoice", "invoice needs correcting, the tax id is off"},
		hzh: []string{"发票抬头不对要重新开", "发票上的税号错了"}},
	{name: "price.drop", size: 110,
		en: []string{"the price dropped a day after I bought it", "can I get the difference? it's cheaper now", "I paid more, now it's on sale",
			"price protection please, the price went down", "bought yesterday, today it's 50 off", "it's cheaper now than when I ordered, refund the difference"},
		zh:  []string{"刚买就降价了", "能退差价吗，现在便宜了", "申请价保", "昨天买的今天降了50", "买完就打折，差价能补吗", "降价了，退差价"},
		hen: []string{"same item is cheaper today, I'd like a price adjustment", "the price fell after my purchase"},
		hzh: []string{"买贵了，现在价格低了", "保价怎么申请，降价了"}},
	{name: "courier.rude", size: 90,
		en: []string{"the delivery guy was rude to me", "courier left my parcel outside without calling", "driver threw the box at my door",
			"your courier yelled at me", "the delivery man was very impolite", "parcel left at the door, no knock, it got wet"},
		zh:  []string{"快递员态度很差", "快递小哥没打电话直接放门口", "送货员把包裹扔在门口", "快递员骂人", "配送员态度恶劣", "没通知就放快递柜了"},
		hen: []string{"the driver was aggressive and swore", "courier dumped the parcel on the porch"},
		hzh: []string{"快递员很凶", "快递直接扔门口没人通知"}},
	{name: "gift.missing", size: 90,
		en: []string{"the free gift wasn't in my order", "where is my free gift?", "promised a gift with purchase but didn't get it",
			"gift missing from the package", "no freebie included", "the bonus item from the promotion never came"},
		zh:  []string{"赠品没收到", "说好的赠品呢", "买满送的礼品没有", "包裹里没有赠品", "小样没送", "活动赠品漏发了"},
		hen: []string{"the gift that came with the deal wasn't there", "no free sample in my parcel"},
		hzh: []string{"满赠的东西没给", "送的小礼物没有"}},
	{name: "presale.balance", size: 80,
		en: []string{"can't pay the balance for my pre-sale order", "deposit paid but the final payment button doesn't work",
			"pre-order balance payment fails", "how do I pay the rest of the pre-sale, it errors", "final payment for the presale won't go through"},
		zh:  []string{"预售尾款付不了", "定金付了尾款付不进去", "付尾款一直失败", "预售的尾款按钮点不了", "尾款支付报错"},
		hen: []string{"the pre-sale remaining amount can't be paid", "deposit done, balance page errors out"},
		hzh: []string{"尾款怎么付不了", "预售付尾款提示失败"}},
	{name: "fake.product", size: 80,
		en: []string{"I think this is a fake", "the product looks counterfeit", "this isn't genuine, the logo is wrong",
			"received a knockoff, not the real brand", "is this authentic? looks like a replica"},
		zh:  []string{"这是假货吧", "收到的不是正品", "怀疑是高仿", "logo都不对，是假的", "你们卖山寨货"},
		hen: []string{"pretty sure the item is not original", "this looks like a copy, not the brand"},
		hzh: []string{"东西是仿冒的", "不是正品吧，做工很差"}},
	{name: "headphones.battery", size: 90,
		en: []string{"the earbuds won't charge", "headphones battery dies in 10 minutes", "bluetooth headphones not charging",
			"left earbud doesn't charge in the case", "headphones won't turn on even after charging", "earphones stopped charging after a day"},
		zh:  []string{"耳机充不进电", "蓝牙耳机续航只有十分钟", "耳机不充电", "左耳机放盒子里不充电", "耳机充了电也开不了机", "耳机用一天就充不了电了"},
		hen: []string{"my headphones lose charge super fast", "the earbuds will not power on"},
		hzh: []string{"耳机电池不行", "耳机没电充不上"}},
	{name: "install.noshow", size: 70,
		en: []string{"the installation technician never showed up", "installer didn't come at the booked time", "waiting all day for the installation, nobody came",
			"my appointment for installing the AC was missed", "no one came to set up the washing machine"},
		zh:  []string{"安装师傅没来", "预约了安装没人上门", "等了一天安装的人也没来", "空调安装约好了没来", "洗衣机安装师傅放鸽子"},
		hen: []string{"technician missed the install slot", "the install visit didn't happen"},
		hzh: []string{"上门安装一直没人来", "约的安装时间到了没人"}},
	{name: "human.request", size: 120,
		en: []string{"I want to talk to a real person", "human please", "let me speak to an agent", "get me a representative",
			"transfer me to customer service", "is there a person I can talk to"},
		zh:  []string{"转人工", "我要人工客服", "人工服务", "找真人客服", "请帮我转人工", "有没有人工"},
		hen: []string{"connect me to someone who works there", "stop the bot, real agent please"},
		hzh: []string{"人工客服在哪", "我要和真人说"}},
	{name: "description.mismatch", size: 90,
		en: []string{"the page says waterproof but it's not", "product description says 100% cotton, it's polyester",
			"item doesn't match the photos", "the listing is misleading", "looks nothing like the pictures", "description says leather, it's plastic"},
		zh:  []string{"详情页写防水，结果不防水", "描述说纯棉，实际是涤纶", "实物和图片不一样", "宣传和实物不符", "跟描述完全不一样", "说是真皮，其实是塑料"},
		hen: []string{"what I got is nothing like the product page", "the photos online are misleading"},
		hzh: []string{"东西和详情页描述不符", "图片跟收到的差太多了"}},
	{name: "points.missing", size: 70,
		en: []string{"my reward points weren't added", "didn't get points for my last order", "membership points missing",
			"points not credited after purchase", "where are my loyalty points"},
		zh:  []string{"积分没到账", "上次买东西没给积分", "会员积分少了", "购物积分没有加上", "积分怎么没有了"},
		hen: []string{"the points from my order never showed up", "loyalty points not in my account"},
		hzh: []string{"买了东西积分没增加", "会员积分没给"}},
	{name: "expired.food", size: 70,
		en: []string{"the snacks I got are expired", "baby formula is close to expiry", "food arrived past its best before date",
			"the milk powder expires next week", "received expired products"},
		zh:  []string{"零食过期了", "奶粉快过期了", "收到的食品是临期的", "保质期只剩一个月", "东西已经过期了"},
		hen: []string{"the food in my order is out of date", "expiry date on the formula already passed"},
		hzh: []string{"发来的是临期食品", "奶粉生产日期太早了"}},
	{name: "address.change.shipped", size: 80,
		en: []string{"need to change my address but it says shipped", "can you redirect my parcel, I moved", "wrong address and it's already shipped",
			"how do I update the delivery address after shipping", "order shipped to my old address"},
		zh:  []string{"已经发货了还能改地址吗", "地址写错了但已经发出", "快递能改派吗，我搬家了", "发货后怎么修改收货地址", "寄到旧地址了能改吗"},
		hen: []string{"can the courier deliver to a different address, it's on the way", "shipped already, I need a new delivery address"},
		hzh: []string{"在路上了想改地址", "发出了还可以改收货地址吗"}},
	{name: "oos.after.paid", size: 70,
		en: []string{"I paid and now you say it's out of stock", "order cancelled because out of stock after payment",
			"why sell it if it's sold out? I already paid", "paid yesterday, today told no stock"},
		zh:  []string{"付完款说没货了", "已经付款了又说缺货", "买了说断货给我取消了", "都付钱了还说没库存"},
		hen: []string{"you took my money then said the item is unavailable", "payment done but item sold out"},
		hzh: []string{"付了钱告诉我没货", "下单成功后说缺货"}},
}

// noise belongs to no problem: greetings, chit-chat, one-off questions and gibberish.
var noiseEN = []string{"hello?", "??", "hi", "anyone there", "asdfgh", "ok thanks", "test", "lol", "can I bring my dog to your store",
	"what's your CEO's name", "do you ship to Mars", "is it going to rain tomorrow", "tell me a joke", "good night",
	"my cat likes the box more than the toy", "who won the game", "I love your brand", "are you a robot", "nvm", "never mind, found it",
	"do you have a physical shop in Paris", "what time is it in Shanghai", "recommend a movie", "hmm", "thank you so much!",
	"how tall is Mount Everest", "can I pay in bitcoin", "do you sponsor students", "what is 2+2", "😀😀", "k",
	"I'd like to work for you", "where are your headquarters", "is this site safe", "sorry wrong chat", "bye"}
var noiseZH = []string{"在吗", "你好", "？？", "哈哈", "嗯嗯", "谢谢", "测试", "今天天气怎么样", "给我讲个笑话", "晚安",
	"你们老板是谁", "推荐一部电影", "你是机器人吗", "好的", "没事了", "我自己找到了", "你们招人吗", "可以寄到火星吗",
	"珠穆朗玛峰有多高", "晚饭吃什么", "我家猫喜欢这个箱子", "随便问问", "你们总部在哪", "支持比特币吗", "阿斯顿发生",
	"哦", "拜拜", "好评", "加油", "1+1等于几", "你们店名好听", "能便宜点吗", "在不在", "睡了吗", "收到"}

var (
	openEN  = []string{"", "", "", "", "Hi, ", "Hello, ", "hey ", "Good morning, ", "Excuse me, ", "URGENT: ", "Dear team, ", "hi there - "}
	closeEN = []string{"", "", "", "", " thanks", " Thank you!", " please help", " ??", "!!!", " asap", " 😡", " 🙏", ". Not happy.", " pls reply"}
	openZH  = []string{"", "", "", "", "你好，", "您好，", "亲，", "在吗？", "请问", "客服，", "急！", "喂，"}
	closeZH = []string{"", "", "", "", "，谢谢", "，谢谢！", "，麻烦尽快处理", "，急", "？？", "！！！", "😡", "🙏", "，怎么回事", "，给个说法"}
	namesEN = []string{"Anna Lee", "John Smith", "Maria Garcia", "Wei Zhang", "Olivia Brown", "David Kim"}
	namesZH = []string{"王小明", "李娜", "张伟", "陈静", "刘洋", "赵敏"}
)

// personal plants one kind of personal data; the fixture keeps the clean text too, so the test can check the
// masked text against it.
func personal(r *rand.Rand, zh bool) string {
	order := fmt.Sprintf("%d%08d", 2026111, r.IntN(1e8))
	phone := fmt.Sprintf("1%d%d%08d", 3+r.IntN(7), r.IntN(10), r.IntN(1e8))
	email := []string{"anna.lee", "jsmith88", "maria_g", "wei.zhang", "buyer2026", "happyshopper"}[r.IntN(6)] + "@" +
		[]string{"example.com", "qq.com", "163.com", "gmail.com", "mail.example.org"}[r.IntN(5)]
	if zh {
		switch r.IntN(6) {
		case 0:
			return "订单号" + order
		case 1:
			return "订单" + order
		case 2:
			return "电话" + phone
		case 3:
			return "我的邮箱" + email
		case 4:
			return "我叫" + namesZH[r.IntN(len(namesZH))]
		default:
			return "单号SF" + order[3:]
		}
	}
	switch r.IntN(6) {
	case 0:
		return "order " + order
	case 1:
		return "order #" + order[5:]
	case 2:
		return "call me at +86 " + phone[:3] + " " + phone[3:7] + " " + phone[7:]
	case 3:
		return "email " + email
	case 4:
		return "My name is " + namesEN[r.IntN(len(namesEN))]
	default:
		return "tracking SF" + order[2:]
	}
}

func fill(r *rand.Rand, s string, zh bool) string {
	lang := 0
	if zh {
		lang = 1
	}
	for _, name := range slotNames {
		vals := slots[name]
		for strings.Contains(s, "{"+name+"}") {
			vs := vals[lang]
			s = strings.Replace(s, "{"+name+"}", vs[r.IntN(len(vs))], 1)
		}
	}
	return s
}

// typo swaps, drops or doubles a letter of one word longer than four letters.
func typo(r *rand.Rand, s string) string {
	ws := strings.Fields(s)
	for tries := 0; tries < 5 && len(ws) > 0; tries++ {
		i := r.IntN(len(ws))
		w := []rune(ws[i])
		if len(w) < 5 || !unicode.IsLetter(w[1]) || !unicode.IsLetter(w[2]) {
			continue
		}
		j := 1 + r.IntN(len(w)-3)
		switch r.IntN(3) {
		case 0:
			w[j], w[j+1] = w[j+1], w[j]
		case 1:
			w = append(w[:j], w[j+1:]...)
		default:
			w = append(w[:j+1], w[j:]...)
		}
		ws[i] = string(w)
		return strings.Join(ws, " ")
	}
	return s
}

// fixtureRow is one message of the fixture.
type fixtureRow struct {
	ID     string `json:"id"`
	Group  string `json:"group"` // the problem, or "noise"
	Locale string `json:"locale"`
	Text   string `json:"text"`
	// Planted is the personal data planted in Text, which Mask must remove.
	Planted string `json:"planted,omitempty"`
	// Noise is the chit-chat a noise message says: the same chit-chat twice is a fair group, two different ones not.
	Noise string `json:"noise,omitempty"`
}

func message(r *rand.Rand, core string, zh bool) (string, string) {
	text := fill(r, core, zh)
	planted := ""
	if r.Float64() < 0.3 {
		planted = personal(r, zh)
		if zh {
			if r.IntN(2) == 0 {
				text = planted + "，" + text
			} else {
				text = text + "，" + planted
			}
		} else if r.IntN(2) == 0 {
			text = planted + ", " + text
		} else {
			text = text + ". " + planted
		}
	}
	if zh {
		return openZH[r.IntN(len(openZH))] + text + closeZH[r.IntN(len(closeZH))], planted
	}
	if r.Float64() < 0.15 {
		text = typo(r, text)
	}
	switch x := r.Float64(); {
	case x < 0.2:
		text = strings.ToLower(text)
	case x < 0.25:
		text = strings.ToUpper(text)
	}
	return openEN[r.IntN(len(openEN))] + text + closeEN[r.IntN(len(closeEN))], planted
}

func generate(seed uint64, holdout bool) []fixtureRow {
	r := rand.New(rand.NewPCG(seed, seed*31+7))
	var rows []fixtureRow
	add := func(group, locale, text, planted string) {
		rows = append(rows, fixtureRow{ID: fmt.Sprintf("v%05d", len(rows)+1), Group: group, Locale: locale, Text: text, Planted: planted})
	}
	noisy := func(locale, core, text string) {
		add("noise", locale, text, "")
		rows[len(rows)-1].Noise = core
	}
	for _, p := range problems {
		en, zh, n := p.en, p.zh, p.size
		if holdout {
			en, zh, n = p.hen, p.hzh, p.size/3
		}
		for range n {
			isZH := r.Float64() < 0.55
			core, locale := en[r.IntN(len(en))], "en"
			if isZH {
				core, locale = zh[r.IntN(len(zh))], "zh-CN"
			}
			text, planted := message(r, core, isZH)
			add(p.name, locale, text, planted)
		}
	}
	noise := 320
	if holdout {
		noise = 100
	}
	for range noise {
		if r.Float64() < 0.5 {
			core := noiseZH[r.IntN(len(noiseZH))]
			noisy("zh-CN", core, core+closeZH[r.IntN(len(closeZH))])
		} else {
			core := noiseEN[r.IntN(len(noiseEN))]
			noisy("en", core, openEN[r.IntN(len(openEN))]+core)
		}
	}
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows
}

func encodeRows(rows []fixtureRow) []byte {
	var b bytes.Buffer
	for _, row := range rows {
		line, _ := json.Marshal(row)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TestFixtureFiles keeps testdata/*.jsonl equal to what the generator makes (-update rewrites them).
func TestFixtureFiles(t *testing.T) {
	for name, rows := range map[string][]fixtureRow{"fixture.jsonl": generate(15, false), "holdout.jsonl": generate(1515, true)} {
		path := filepath.Join("testdata", name)
		want := encodeRows(rows)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to write it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output; run go test ./shared/voice -run TestFixtureFiles -update", path)
		}
	}
}
