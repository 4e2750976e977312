package triage

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/priority"
)

// A rule signals a hand-off reason (or strong negative sentiment when reason is "") when one of Any matches, or
// when every group of All has a match, and none of Unless matches.
//
// Phrases are lower case. Latin phrases must start at a word boundary and end at one unless they end in "*".
// Han phrases match anywhere. A phrase right after a negation ("not", "no", "never", 不, 没, 别 …) does not count,
// so "no complaints, just a question" and "不用转人工" stay routine; phrases that are negative themselves
// ("not happy", 不满意) start with the negation and so still count.
type rule struct {
	reason string
	any    []string
	all    [][]string
	unless []string
}

// negativeSentiment marks strong anger; it is set alongside reasons and also on its own.
const negativeSentiment = ""

var rules = []rule{
	{reason: intent.HumanRequest, any: []string{
		"real person", "real human", "real agent", "real people", "actual person", "actual human", "human being",
		"a human", "the human", "to human", "human please", "human support", "human agent", "humans", "a person",
		"live agent", "live person", "live chat with", "agent", "agents", "representative", "rep", "operator",
		"manager", "supervisor", "speak to someone", "talk to someone", "speak with someone", "talk with someone",
		"speak to somebody", "talk to somebody", "someone real", "someone call me", "call me back", "on the phone",
		"staff member", "advisor", "someone from your team", "get me someone", "not a machine", "not a bot",
		"a bot?", "a bot ?", "are you a bot", "stop the bot", "bot isn't", "bot isnt", "bot is not", "escalate",
		"someone contact me", "someone to call", "person please", "transfer me", "connect me",
		"customer service please", "give me customer service", "give me support", "customer care", "speak with a",
		"talk with a", "speak to a", "talk to a", "chat with a", "chat to a", "live support", "live help",
		"call back", "callback", "phone me", "ring me", "can someone help", "someone help me", "need someone",
		"help from a", "robot", "bot", "chatbot", "automated", "not helping", "doesn't answer my question",
		"doesnt answer my question", "you don't understand", "you dont understand", "not understanding",
		"转人工", "人工", "真人", "活人", "机器人", "转接", "经理", "主管", "负责人", "店长", "客服出来",
		"小姐姐", "工作人员", "客服专员", "找个人", "换个人", "换真人", "找人", "打电话给我", "人来",
		"找个客服", "找客服", "跟我说话", "和我说话", "跟我聊", "和我聊", "客服来", "接通客服", "要客服",
		"客服呢", "请人工", "人工处理", "真人客服", "自动回复", "听不懂", "答非所问", "没用的回复",
	}, unless: []string{
		"联系客服呢", "找客服呢", "扫地机器人", "机器人玩具", "robot vacuum", "robot mop", "robotic", "怎么找客服", "怎么联系客服",
		"user agent", "shipping agent", "customs agent", "travel agent", "password manager", "account manager",
		"agents online", "agents available", "are your agents", "agents work",
		"人工智能", "人工客服什么时候", "人工客服几点", "人工几点", "人工客服上班", "人工客服的时间", "人工服务时间",
		"人工客服什么时间", "找人代付", "态度超好", "态度很好", "给你们点赞",
		// Praise of a person who helped is feedback, not a request for one.
		"was super helpful", "was really helpful", "was very helpful", "was so helpful", "was extremely helpful",
		"were super helpful", "were really helpful", "were very helpful", "were so helpful", "was lovely",
		"was so lovely", "was very kind", "was so kind", "was amazing", "was fantastic", "was brilliant",
		"pass on my thanks", "my thanks to", "thank the agent", "thanks to the agent", "thanks to your agent",
		"表扬", "很耐心", "服务很好", "小姐姐很好", "小姐姐人很好", "小姐姐态度", "小姐姐很耐心", "谢谢小姐姐",
		"agents are available", "agents are online", "agents available", "live chat is open", "live chat open",
		"is the live chat", "chat is open", "客服什么时候在线", "客服几点在线",
		// When agents are reachable, and whether one has to ask one, are questions about contacting the shop.
		"什么时间在线", "什么时候在线", "几点在线", "几点上班", "几点下班", "什么时候上班", "在线时间", "工作时间",
		"上班时间", "打电话找客服", "电话找客服", "能找客服吗", "要找客服吗", "需要找客服吗", "还是要找客服",
		"agents come online", "agents are in", "number for customer care", "phone number for customer",
		"customer care number", "customer care phone", "customer care email", "email for customer care",
		"customer care hours", "customer care open", "compliment", "compliments",
	}},
	{reason: intent.Complaint, any: []string{
		"complain*", "complaint*", "worst", "terrible", "awful", "horrible", "useless", "ridiculous", "unacceptable",
		"disappoint*", "not happy", "unhappy", "fed up", "frustrat*", "annoy*", "angry", "upset", "pissed",
		"disgust*", "pathetic", "this is a joke", "what a joke", "joke of a", "rip off", "ripoff", "rip-off",
		"garbage", "trash", "crap", "crappy", "rubbish", "hate", "never buying", "never order*", "never again",
		"never shop*", "poor quality", "bad quality", "low quality", "cheap quality", "1 star",
		"one star", "bad review", "negative review", "demand", "wtf", "the hell", "damn", "fuck*",
		"shit*", "bullshit", "liar", "lied", "lying", "rude", "runaround", "excuses", "nobody cares",
		"nobody replies", "nobody answers", "no one answers", "no answer", "no reply", "no response",
		"had enough", "sick of", "how many times", "third time", "fourth time", "second time", "again?",
		"arrived broken", "came broken", "broken when", "was broken", "arrived damaged", "came damaged",
		"damaged", "smashed", "shattered", "crushed", "cracked", "scratched", "dented", "torn", "ripped",
		"stained", "a stain", "stains", "hole in", "a hole", "dead on arrival", "came dead", "arrived dead",
		"doesn't turn on", "doesnt turn on", "won't turn on", "fell apart", "came apart", "falling apart",
		"wrong item", "wrong product", "used item", "second hand", "secondhand", "only had", "only 1 of",
		"only 2 of", "only two of", "only one of", "half empty", "half my order", "half of my order", "you forgot",
		"they forgot", "forgot to include", "forgot to send", "wasn't in the box", "not in the box",
		"problems with", "nothing but", "a problem with", "an issue with", "a mess",
		"my third", "my fourth", "times now", "no money back", "click a link", "click the link", "suspended",
		"not what i ordered", "different product", "different item", "someone else's order", "someone elses order",
		"missing", "only got", "only received", "only one", "empty box", "empty package", "never arrived",
		"marked delivered", "marked as delivered",
		"says delivered", "shows delivered", "delivered but", "stolen from", "items stolen", "spoiled",
		"rotten", "ruined", "soaked", "smells", "fake", "counterfeit", "misleading", "false advertising",
		"taking forever", "takes forever", "waiting forever", "been waiting", "so slow", "too slow", "slow as",
		"very slow", "painfully slow", "weeks late", "days late", "late again", "so late", "still not shipped",
		"still nothing", "still no ", "not shipped yet", "overcharged", "without telling", "rejected for no reason",
		"lost my package", "lost my parcel", "lost the package", "lost the parcel", "lost my return",
		"lost my order", "package lost", "parcel lost", "left my parcel", "left my package", "threw",
		"taking too long", "takes too long", "too long to", "way too long", "not okay", "not ok", "not acceptable", "unbelievable", "poor service",
		"bad service", "sucks", "suck", "lousy", "shoddy", "piece of junk", "is junk", "total junk", "waste of money", "waste of time",
		"cheated", "ripped off", "misled", "outrageous", "shocking", "appalling", "dreadful", "livid",
		"irritat*", "sick and tired", "enough is enough", "are you kidding", "seriously?", "unprofessional",
		"incompetent", "ignored", "ignoring", "no one helps", "nobody helps", "not helpful", "unhelpful",
		"not happy", "not satisfied", "dissatisfied", "poorly made", "cheaply made", "chipped", "leaking",
		"leaks", "mouldy", "moldy", "rusty", "bent", "peeling", "came off", "fell off", "stopped working after a day",
		"wrong size sent", "not as described", "nothing like the picture",
		"looks nothing like", "false advert*", "bait", "still hasn't been", "still not received",
		"still haven't received", "not received yet after", "where the hell", "why the hell",
		"fix my", "sort this out", "messed up", "screwed up", "mixed up my", "different from the photo",
		"different from the picture", "different from the pictures", "what kind of company", "so done with",
		"not impressed", "a scratch", "scratches", "nobody has helped", "no one has helped", "nobody helped",
		"hasn't anyone", "has anyone even", "called me back", "never showed up", "no show",
		"week late", "weeks late", "nobody tells", "no one tells", "nobody told", "no one told",
		"投诉", "差评", "太差", "很差", "真差", "极差", "差劲", "太慢", "好慢", "慢死", "慢得", "又慢", "垃圾",
		"破服务", "什么破", "气死", "生气", "愤怒", "失望", "不满意", "无语", "恶心", "坑", "骗", "假货", "过分",
		"受够", "搞什么", "搞笑吗", "什么情况", "烂", "敷衍", "态度差", "态度恶劣", "态度太差", "踢皮球", "没人理", "不回消息", "不回复",
		"催了", "曝光", "破损", "破了", "破洞", "碎了", "碎的", "压坏", "压扁", "摔坏", "裂", "划痕", "污渍",
		"漏发", "少发", "错发", "发错", "少了", "缺了", "最差", "最烂", "最坑", "太烂", "离谱", "不像话",
		"忍无可忍", "糟糕", "糟透", "不靠谱", "坑爹", "黑店", "骗钱", "忽悠", "不负责", "不专业", "没用的", "真没用", "一点用都没有",
		"废物", "烦死", "郁闷", "闹心", "崩溃", "心累", "醉了", "服了", "什么鬼", "搞毛", "有病", "太次",
		"次品", "残次", "瑕疵", "掉漆了", "开线了", "脱线了", "变形了", "发霉了", "生锈了", "漏液", "短路", "冒烟",
		"有虫", "异物", "拖了", "这么久", "太久", "等不了", "不耐烦", "失望", "差到", "很烂", "不合格",
		"三无", "劣质", "不值", "上当", "后悔买", "气人", "无法接受", "不能接受", "太离谱",
		"送错", "寄错", "根本没", "搞错", "弄错", "差别太大", "差别很大", "开胶", "脱胶", "缩水", "起球了",
		"褪色了", "掉色了", "串色", "没人回", "都没人", "没人帮", "没人处理", "说好", "怎么没人", "马上给我",
		"赶紧给我", "立刻给我", "马上处理", "赶紧处理", "彻底失望", "只收到", "只来了", "空盒", "二手", "色差",
		"货不对板", "不符", "质量问题", "质量太差", "质量差", "质量不行", "质量真不行", "这质量", "什么质量",
		"根本不能用", "就不能用", "就是坏的", "就坏了", "坏的", "怪味", "异味", "漏水", "泡了", "淋湿", "丢了", "弄丢",
		"延误", "延迟", "耽误", "被偷", "偷了", "丢件", "不通知", "凭什么", "莫名其妙", "他妈", "你妈", "尼玛", "妈的，", "妈的!", "妈的！", "tmd", "卧槽", "我靠", "靠！",
		"再也不", "什么态度", "不给解决", "不解决", "没解决", "太让人", "到底", "你们什么意思", ",什么意思", "乱签收",
		"骂人", "拖着", "被拒", "有色差", "根本没收到", "根本没有", "两只尺码", "尺码不一样", "赠品没有",
		"没给赠品", "第三次", "第四次", "好几次了", "多少次", "没人解决", "还是没人", "说好的", "承诺",
		"这么慢", "还这么", "怎么办吧", "你们说怎么办", "虚假", "你们怎么回事", "一直不发", "一直没", "明明",
		"还让我", "压碎", "摔碎", "湿了", "烂了", "坏了，你们", "质量有问题", "完全不一样", "图片不一样",
		"图片差", "是旧的", "disaster", "nightmare", "fiasco", "shambles", "nowhere to be found", "nowhere to be seen",
		"snapped", "says deliverd", "shows deliverd", "gave me a rash", "allergic reaction", "made me sick",
		"made me ill", "burned my skin", "irritated my skin", "乱收费", "多收钱", "收费不合理", "乱要钱", "吃出", "里面有头发", "一根头发", "有根头发", "直接扔", "扔驿站",
		"扔在", "不打电话", "有个洞", "有个小洞", "有一个洞", "破了个洞", "有好几个洞", "开了个洞",
		"big stain", "huge stain", "stain on", "bleeds onto", "bled onto", "color ran", "colour ran", "dye ran",
		"dye came off", "even though the listing", "even though it says",
		"even though the description", "the listing says", "doesn't fit my", "doesnt fit my", "does not fit my",
		"dishonest", "unfair", "censor*", "deleted my review", "removed my review", "review was deleted",
		"review was removed", "删了我的评价", "删我评价", "评价被删",
	}, all: [][]string{
		{"wrong", "instead of"},
		{"sent me", "you sent", "received", "i got", "got the", "delivered", "came", "arrived", "shipped me"},
	}, unless: []string{
		"没有问题", "what if", "如果", "what happens if", "什么情况下", "坏的话", "卡丢了", "这么久了还能", "邮件一直没来",
		"回购了", "i forgot to include", "i forgot to add", "会不会缩水", "会不会起球", "会不会掉色", "会不会褪色",
		"会不会变形", "会不会开胶", "会不会漏", "会不会坏", "容易坏吗", "容易起球吗", "容易掉色吗", "容易缩水吗",
		"instead of having", "instead of getting", "instead of home", "instead of delivery", "instead of shipping",
		"if i return only", "return only one", "returning only one", "keep only one", "buy only one", "order only one",
		"回购", "垃圾箱", "垃圾邮件", "垃圾桶", "垃圾袋", "垃圾分类", "spam folder", "junk folder",
		"有没有异味", "有异味吗", "会不会有异味", "有没有味道", "有味道吗", "说好吃", "说好看", "说好用", "说好喝",
		"都说好", "说好穿",
		// A detail missing from an address or a document sent is a correction or a request, not a complaint.
		"number is missing", "missing the building", "missing the flat", "missing the apartment", "missing the house",
		"missing the unit", "missing the postcode", "missing the zip", "missing from the address",
		"missing from my address", "invoice is missing", "receipt is missing", "missing invoice", "missing receipt",
		"its not shipped yet", "it's not shipped yet", "it is not shipped yet", "to a different product",
	}},
	// Compensation demanded for something that went wrong is a complaint; "any updates on my compensation" is a
	// refund's status in the public corpora's words.
	{reason: intent.Complaint, all: [][]string{
		{"compensat*"},
		{"want", "demand", "expect", "deserve", "owe", "damage*", "broken", "late", "delay*", "lost", "missing",
			"wrong", "trouble", "inconvenience", "for the", "for this", "for my time"},
	}, unless: []string{"status", "update", "updates", "track", "where is", "where's", "processed", "policy",
		"in which case*", "in what case*", "eligible"}},
	// A shopper who cannot sign up, register or log in reports something broken, whatever words they use
	// ("I have issues with registration", "where can i notify of a sign-up issue").
	{reason: intent.ProblemReport, all: [][]string{
		{"issue", "issues", "problem", "problems", "trouble", "troubles", "error", "errors", "difficulty",
			"difficulties", "bug", "glitch", "fails", "failed", "failing", "isn't working", "not working",
			"doesn't work", "won't let me", "unable to", "can't", "cannot", "can not", "couldn't"},
		{"registration", "register", "registering", "sign up", "signup", "sign-up", "signing up",
			"create an account", "creating an account", "create my account", "creating my account",
			"open an account", "opening an account", "注册"},
	}, unless: []string{"how do i sign up", "how to sign up", "how can i sign up", "how do i register",
		"how to register", "how can i register", "forgot", "password"}},
	// A label, link or page of the shop's that does not work is a problem report ("the return label you sent doesn't
	// work", "the reset link gives an error"). Coupons and promo codes are left to the matcher (promo.rules).
	{reason: intent.ProblemReport, all: [][]string{
		{"doesn't work", "doesnt work", "does not work", "not working", "isn't working", "isnt working", "won't work",
			"wont work", "is invalid", "says it's invalid", "says its invalid", "is broken", "gives an error",
			"shows an error", "gives me an error", "error 404", "404", "打不开", "用不了", "无效", "报错", "失效"},
		{"label", "link", "barcode", "qr code", "page", "website", "site", "app", "button", "标签", "链接", "二维码",
			"页面", "网页", "按钮", "面单"},
	}, unless: []string{"what if", "what happens if", "if the", "if my", "如果", "的话", "怎么办理", "coupon", "promo",
		"voucher", "discount", "优惠", "券", "红包", "password", "密码", "reset", "重置", "how long", "多久", "tracking",
		"物流"}},
	{reason: intent.Complaint, all: [][]string{
		{"签收", "送到了", "显示送达", "已送达"},
		{"没收到", "没有收到", "没看到", "没有", "东西呢", "没拿到", "不在", "找不到"},
	}, unless: []string{"签收了没有", "签收没有", "有没有签收", "签收了吗", "确认下", "确认一下"}},
	{reason: intent.Complaint, all: [][]string{
		{"两周", "一周", "几周", "星期", "个月", "半个月", "十天", "十几天", "二十天", "好久", "很久",
			"weeks", "a month", "10 days", "ten days"},
		{"还没", "还不", "没到", "没发", "不发", "没收到", "没动静", "没人", "还是没", "也没",
			"still", "nothing", "not arrived", "hasn't", "hasnt", "nobody", "no one"},
	}, unless: []string{"开票", "发票", "补开", "invoice", "wondering", "being processed", "just checking"}},
	{reason: intent.Complaint, all: [][]string{
		{"expired", "过期"},
		{"food", "arrived", "received", "milk", "product", "medicine", "item", "食品", "吃", "食物", "零食", "牛奶",
			"药", "收到", "到手", "商品"},
	}, unless: []string{"券", "coupon", "voucher", "link", "链接", "code", "码"}},
	{reason: intent.Complaint, all: [][]string{
		{"!!", "?!", "!?", "！！", "？！"},
		{"still", "been", "days", "weeks", "not", "no", "never", "why", "where", "还", "没", "不", "天", "怎么回事"},
	}, unless: []string{"thanks", "thank you", "thx", "谢谢", "感谢"}},
	{reason: intent.Complaint, all: [][]string{
		{"broken", "broke", "damage", "doesn't work", "doesnt work", "not working", "won't work", "dead", "scratch",
			"dent", "stain", "hole", "defective", "faulty"},
		{"arrived", "came", "received", "delivered", "opened", "out of the box", "brand new", "got it"},
	}, unless: []string{"what if", "if it"}},
	{reason: intent.Complaint, all: [][]string{
		{"stopped working", "broke", "坏了", "坏掉", "不能用了", "用不了了", "不充电了", "充不了电", "不工作了", "不转了",
			"不亮了", "没反应了", "开不了机", "开不了机了"},
		{"day", "days", "hours", "a week", "one week", "first time", "天", "小时", "一周", "一个星期", "第一次"},
	}, unless: []string{"month", "year", "个月", "年"}},
	{reason: intent.Complaint, all: [][]string{
		{"never came", "never showed", "never turned up", "never received", "never got"},
		{"package", "parcel", "order", "item", "delivery", "shipment", "stuff", "courier", "driver", "refund",
			"money"},
	}},
	{reason: intent.Complaint, all: [][]string{
		{"收到", "寄来", "发来", "到手", "送来"},
		{"不对", "不一样", "错"},
	}, unless: []string{"如果", "万一", "要是", "的话", "会不会"}},
	{reason: intent.Complaint, all: [][]string{
		{"坏了"},
		{"收到", "刚到", "到手", "拆开", "你们"},
	}},
	{reason: intent.Complaint, all: [][]string{
		{"买的", "要的", "订的", "拍的", "ordered"},
		{"给我发", "发了", "发成", "收到的是", "寄来", "sent me", "received", "got"},
	}, unless: []string{"什么时候", "多久", "when", "how long", "where"}},
	{reason: intent.PaymentProblem, all: [][]string{
		{"paid", "付了", "付款了", "已付款", "付过", "已经付", "付完款", "付完钱", "付完", "支付完"},
		{"but", "still", "unpaid", "again", "no order", "not", "但", "还", "没", "显示", "未", "又", "消失", "不见"},
	}, unless: []string{"can i", "how", "能", "可以", "吗"}},
	{reason: intent.PaymentProblem, all: [][]string{
		{"余额", "balance", "积分"},
		{"不见", "没了", "disappeared", "gone"},
	}},
	{reason: intent.Complaint, all: [][]string{
		{"lost"},
		{"package", "parcel", "order", "shipment", "return", "item"},
	}, unless: []string{"lost the email", "lost my email", "lost the confirmation", "lost my confirmation",
		"lost the tracking", "lost my tracking", "lost the link", "lost the receipt", "lost my receipt",
		"lost the invoice", "lost my invoice"}},
	{reason: intent.PaymentProblem, any: []string{
		"charged twice", "charged me twice", "double charged", "double-charged", "charged two times",
		"charged 2 times", "charged three times", "charged 3 times", "billed twice", "billed two times",
		"two charges", "2 charges", "charges for one", "charged me", "charged for", "charged full",
		"charged more", "charged the wrong", "still charged", "was charged", "got charged", "been charged",
		"payment went through but", "money was taken",
		"took my money", "take money", "money left", "deducted", "debited", "wrong amount", "declined",
		"payment failed", "payment fails", "payment error", "order failed", "order faield", "voucher is gone",
		"coupon is gone", "voucher was used up but", "coupon was used up but", "券没了", "券被用了", "payment not going through",
		"payment didn't go through", "payment did not go through", "payment is stuck", "payment stuck",
		"payment pending", "awaiting payment", "unpaid", "pay again", "billed for", "charge from you",
		"balance disappeared", "amount charged", "charged my card", "charge on my card", "2 payments",
		"two payments", "double payment", "paid twice", "pay twice", "charged 2x", "payments for the same",
		"two transactions", "2 transactions", "charged again", "went through twice", "paid 2 times",
		"charged me 2 times",
		"cannot pay", "can't pay", "cant pay", "can not pay", "unable to pay", "not able to pay", "couldn't pay",
		"could not pay", "won't let me pay", "can't make a payment", "can't make the payment", "cannot make a payment",
		"unable to make a payment", "can't complete the payment", "can't complete my payment",
		"trouble with payment*", "trouble with my payment", "trouble paying", "problem paying", "issue paying",
		"problems paying", "issues paying", "errors with online payment", "error with online payment",
		"扣了两次", "扣两次", "两次钱", "重复扣", "多扣", "两笔", "扣了三次", "扣了我", "被扣", "扣了钱",
		"钱扣了", "钱被扣", "扣款金额", "还在扣", "还被扣", "又扣", "未付款", "待付款", "付款失败",
		"支付失败", "提示失败", "付款一直", "付了钱", "已经付了", "付过钱", "钱付了", "没生成", "没有订单",
		"订单没显示", "钱没退", "原价扣", "扣的钱", "付款显示异常", "付款页面卡", "钱已经付了",
		"扣款了", "支付一直", "扣款比", "多收", "多付", "付了两次", "支付了两次", "两次扣款", "重复支付",
		"重复付款", "付两次", "扣两笔", "付了两遍", "付两遍", "扣了两遍", "两遍钱", "付款付了两",
		"支付被拒", "付款被拒", "卡被拒", "扣款失败", "付不了款", "付不了钱", "支付不了", "付款不成功", "支付不成功",
		"限额了", "超限额", "提示限额", "说限额", "刷了两次", "刷了两遍", "刷两次", "刷了我两次", "交了两次", "支付两次", "付不了", "付不上", "支付不上", "付款不了", "无法支付", "无法付款", "没法付款", "没法支付", "支付出错", "付款出错",
		"支付异常", "付款异常", "支付报错", "付款报错",
		"wont let me pay", "doesn't let me pay", "doesnt let me pay", "card not supported", "card is not supported",
		"card isn't supported", "card isnt supported", "won't accept my card", "wont accept my card",
		"doesn't accept my card", "not accepting my card",
	}, unless: []string{"两笔订单", "两笔单", "未付款的订单", "未付款订单", "待付款的订单", "待付款订单", "how much will", "will i be charged", "when will i be charged", "how much is", "how much are"}},
	{reason: intent.Dispute, any: []string{
		"lawyer", "attorney", "solicitor", "sue", "suing", "lawsuit", "court", "legal", "chargeback",
		"charge back", "dispute", "better business bureau", "bbb", "ftc", "consumer protection",
		"consumer affairs", "consumer law", "consumer centre", "consumer center", "consumer council", "consumer rights", "trading standards", "ombudsman", "authorities", "report you",
		"reporting you", "report your", "reversing the payment", "violat*", "illegal", "reverse this charge",
		"reverse the charge", "reverse the payment", "claim with my bank", "claim with the bank",
		"claim with my card issuer", "claim with my credit card",
		"律师", "起诉", "告你们", "12315", "消协", "消费者协会", "工商", "市场监管", "法院", "法律", "拒付",
		"争议", "仲裁", "黑猫投诉", "举报", "打官司", "权益保护", "违法", "撤销这笔", "撤销扣款", "银行撤销",
	}, unless: []string{"工商银行"}},
	// Going to the bank because the shop will not pay back is a dispute in the making.
	{reason: intent.Dispute, all: [][]string{
		{"contacting my bank", "contact my bank", "calling my bank", "call my bank", "going to my bank",
			"go to my bank", "ask my bank", "asking my bank"},
		{"since you", "because you", "you won't", "you refuse", "you didn't", "unless", "if you don't", "if you do not"},
	}},
	// The bank reversing a payment is a chargeback, in Chinese as "退单" or "拒付" through the bank.
	{reason: intent.Dispute, all: [][]string{
		{"银行", "信用卡", "发卡行", "bank"},
		{"退单", "拒付", "撤销交易", "追回", "reverse*", "reversal", "claw back"},
	}},
	// A link, text or call "about a refund" that the shopper asks us to vouch for is phishing until shown otherwise.
	{reason: intent.Fraud, all: [][]string{
		{"收到", "发来", "有人发", "接到", "got a", "received a", "someone sent"},
		{"链接", "短信", "电话", "邮件", "link", "text message", "sms", "call", "email"},
		{"是真的吗", "是你们", "可信吗", "是不是骗", "真的假的", "is this real", "is it real", "legit", "from you",
			"genuine"},
	}},
	// A password, email or phone changed that the shopper did not change is someone else in the account.
	{reason: intent.Fraud, all: [][]string{
		{"didn't change", "did not change", "didn't request", "did not request", "never requested", "never changed",
			"didn't ask for", "没改过", "没有改过", "没改", "没申请", "没有申请"},
		{"password", "email", "phone number", "密码", "邮箱", "手机号"},
	}},
	{reason: intent.Fraud, any: []string{
		"scam*", "fraud*", "phishing", "hacked", "hacker", "stolen", "stole", "unauthori*", "didn't make",
		"did not make", "didn't place", "did not place", "not mine", "aren't mine", "wasn't me",
		"identity theft", "in my name", "pretending", "impersonat*", "fake website", "fake seller", "fake site",
		"suspicious", "legit?", "legit ?", "is this real", "is that real", "from you real",
		"asked for my verification code", "asking for my verification code", "asks for my verification code",
		"give my verification code", "share my verification code",
		"outside the platform", "someone used", "someone logged", "someone changed", "someone ordered",
		"someone is using", "someone has", "unknown login", "logins from", "login from another", "logged in from",
		"sign-in from", "sign in from another", "signed in from", "unknown device", "unrecognised device",
		"unrecognized device", "someone signed up", "someone registered",
		"someone created an account", "someone opened an account", "using my email", "used my email",
		"using my card", "used my card", "用我的邮箱", "用我的手机号注册", "冒用", "gift card was used", "my points were",
		"redeemed by someone", "used by someone else", "someone else used", "someone else redeemed",
		"诈骗", "骗子", "被骗", "盗刷", "被盗", "盗用", "盗号", "冒充", "假冒", "钓鱼", "点链接", "链接是你们",
		"链接领", "填银行卡", "被黑", "异地登录", "别人登录", "有人登录", "问我要验证码", "跟我要验证码", "向我要验证码", "索要验证码", "要我的验证码", "问我要密码", "问我要银行卡", "让我转账",
		"要我转账", "叫我转账", "转账给",
		"扫码退款", "不是我买", "没下过", "不是我下", "假网站", "身份信息", "以你们名义", "密码被改",
		"有人用我", "不是我的订单", "加我微信", "正规", "奇怪的短信", "奇怪的电话", "奇怪的邮件", "可疑",
		"有人改了", "被人改了", "被改了", "盗了", "strange orders", "orders i don't recognise",
		"orders i don't recognize", "orders i dont recognize", "orders i dont recognise", "address i don't know",
		"address i dont know", "adress i dont know", "adress i don't know", "weird text", "weird email", "weird call", "strange text",
		"strange email", "strange call",
	}, unless: []string{"正规发票"}},
	// Questions about other shops and platforms are not ours to answer.
	{reason: intent.NoMatch, any: []string{
		"amazon", "ebay", "walmart", "costco", "aliexpress", "temu", "shein", "etsy", "best buy",
		"淘宝", "天猫", "拼多多", "唯品会", "抖音", "快手", "苏宁", "当当", "闲鱼",
		"京东", "优衣库", "宜家", "盒马", "山姆", "沃尔玛", "家乐福", "得物", "亚马逊", "屈臣氏", "丝芙兰", "无印良品",
		"星巴克", "麦当劳", "肯德基", "uniqlo", "ikea", "zara", "h&m", "sephora", "tesco", "muji", "starbucks",
		"mcdonald*", "kfc",
	}, unless: []string{"京东物流", "京东快递", "京东配送", "白条", "京东支付"}},
	// A shopper's review that finds fault, written as a statement ("衣服质量一般，穿了一次就起球了", "太小了，不合适",
	// "物流很快，但是东西不怎么样"): it goes to a person however the words lean. A question about the same attribute
	// ("会不会起球", "偏小吗", "太大了能换吗") is a product or return question and left to the matcher.
	{reason: intent.Complaint, all: [][]string{{
		"偏小", "偏大", "太小了", "太大了", "太短了", "太长了", "太薄", "很薄", "太厚了", "太硬", "很硬", "不舒服",
		"不好用", "不好穿", "不好看", "不好吃", "不好闻", "难用", "难吃", "难看", "难闻", "刺鼻", "味道大",
		"味道很大", "味道有点大", "有味道", "一股味", "一般般", "很一般", "质量一般", "效果一般", "做工一般",
		"不怎么样", "不值", "性价比不高", "性价比低", "性价比太低", "没想象中", "没有想象中", "不如图片",
		"和图片不", "跟图片不", "掉毛", "起球", "掉色", "褪色", "磨脚", "不透气", "不保暖", "质感差", "质感很差",
		"廉价感", "很卡", "卡顿", "发烫", "续航短", "续航差", "不耐用", "声音小", "充电慢", "不合适", "不合身",
		"有点失望", "不推荐", "不建议购买", "不建议买", "别买", "不会再买", "不会回购", "不回购", "没效果",
		"没什么效果", "不灵敏", "漏气", "起皮", "过敏", "长痘", "闷痘", "太甜", "太咸", "不新鲜", "变质",
		"有瑕疵", "线头", "异响", "噪音大", "很吵", "太吵", "掉皮", "不结实", "容易坏",
		"一股", "差评", "被坑", "坑了", "不满意", "一星", "太冲", "味道冲", "还有味", "散不掉", "散不去", "东西一般",
		"产品一般", "手感一般", "味道一般", "不是正品", "发热严重", "分量不足", "少多了", "差远了", "不出水",
		"听不清", "很慢", "太慢", "游戏卡", "严重", "不咋地", "不咋样", "不怎么地", "不太行", "不太好", "不好使",
		"拉胯", "辣鸡", "一言难尽", "踩雷", "翻车", "智商税", "劝退", "鸡肋", "没法用", "凑合",
		"不灵", "失灵", "死机", "漏光", "坏点", "烫手", "没电", "充不进", "充不满", "不亮了", "没声音",
		"杂音", "电流声", "断连", "粗糙", "扎人", "暗淡", "太腻", "发腻", "起疹子", "红肿", "刺痛", "不制冷",
		"不加热", "不保温", "不充电", "充不了电", "漏风", "发黄", "变黄", "开裂", "掉渣", "偏色", "像假的", "是假的", "假的吧",
		"跟专柜的不一样", "和专柜的不一样", "跟专柜不一样", "和专柜不一样", "跟化纤一样", "像化纤", "不适合我", "头皮痒", "皮肤痒", "很痒", "发痒",
	}}, unless: []string{
		"吗", "能么", "可以么", "有么", "行么", "好么", "是么", "对么", "嘛", "?", "？", "还是偏", "还是正", "大还是", "小还是", "还是要", "还是拍", "还是选", "还是买", "大不大", "小不小", "会不会", "是不是", "有没有", "能不能", "可不可以", "是否", "多少", "多久",
		"多大", "多重", "多长", "哪个", "哪种", "哪款", "什么码", "什么尺码", "怎么办", "怎么选", "怎么换",
		"怎么退", "的话", "如果", "要是", "万一", "建议拍", "要拍", "想换", "想退", "换一", "换个", "能换", "能退",
		"可以换", "可以退", "申请", "退货", "退换", "换货", "退款", "七天无理由", "评价怎么", "怎么评", "差评怎么",
		"怎么写", "修改评价", "追评",
	}},
	{reason: negativeSentiment, any: []string{
		"angry", "furious", "hate", "disgust*", "wtf", "the hell", "damn", "fuck*", "shit*",
		"bullshit", "pissed", "ridiculous", "unacceptable", "pathetic", "worst", "useless", "horrible",
		"气死", "愤怒", "生气", "他妈", "你妈", "尼玛", "妈的，", "妈的!", "妈的！", "tmd", "卧槽", "垃圾", "恶心", "受够", "太过分", "无语",
		"搞什么",
	}, unless: []string{"垃圾箱", "垃圾邮件", "垃圾桶", "垃圾袋", "垃圾分类"}},
}

// phrase is one compiled phrase of a rule.
type phrase struct {
	text   string
	prefix bool // may continue into a longer word
	latin  bool // must start at a word boundary
	rule   int
	group  int // index in rule.all, -1 for any, -2 for unless
}

// guardIndex finds phrases by their first rune (Han) or first byte (Latin) in one pass over the text.
type guardIndex struct {
	byFirst map[rune][]int
	phrases []phrase
}

var guards = compile(rules)

func compile(rs []rule) guardIndex {
	g := guardIndex{byFirst: map[rune][]int{}}
	add := func(text string, ri, group int) {
		p := phrase{text: text, rule: ri, group: group}
		if strings.HasSuffix(text, "*") {
			p.text, p.prefix = strings.TrimSuffix(text, "*"), true
		}
		first, _ := utf8.DecodeRuneInString(p.text)
		p.latin = first < utf8.RuneSelf && (unicode.IsLetter(first) || unicode.IsDigit(first))
		g.byFirst[first] = append(g.byFirst[first], len(g.phrases))
		g.phrases = append(g.phrases, p)
	}
	for ri, r := range rs {
		for _, t := range r.any {
			add(t, ri, -1)
		}
		for gi, grp := range r.all {
			for _, t := range grp {
				add(t, ri, gi)
			}
		}
		for _, t := range r.unless {
			add(t, ri, -2)
		}
	}
	return g
}

// Words before an English phrase, and characters before a Chinese one, that negate it.
var negators = map[string]bool{
	"not": true, "no": true, "never": true, "dont": true, "don't": true, "didnt": true, "didn't": true,
	"without": true, "isnt": true, "isn't": true, "wasnt": true, "wasn't": true, "nothing": true, "none": true,
	"arent": true, "aren't": true, "doesnt": true, "doesn't": true, "wont": true, "won't": true,
}

var hanNegators = map[rune]bool{'不': true, '没': true, '别': true, '无': true, '非': true, '未': true}

func negated(text string, at int, latin bool) bool {
	before := text[:at]
	if latin {
		// The one or two words before the phrase.
		words := 0
		end := len(before)
		for i := len(before) - 1; i >= -1 && words < 2; i-- {
			if i >= 0 && isWordByte(before[i]) {
				continue
			}
			if w := before[i+1 : end]; w != "" {
				if negators[w] {
					return true
				}
				words++
			}
			if i >= 0 && before[i] != ' ' && before[i] != '\'' {
				return false // punctuation ends the clause
			}
			end = i
		}
		return false
	}
	for n := 0; n < 3 && before != ""; n++ {
		r, size := utf8.DecodeLastRuneInString(before)
		if hanNegators[r] {
			// 能不能, 有没有, 是不是 ask a question; they do not negate.
			prev, _ := utf8.DecodeLastRuneInString(before[:len(before)-size])
			next, _ := utf8.DecodeRuneInString(text[len(before):])
			return prev != next
		}
		if !isHanRune(r) {
			return false
		}
		before = before[:len(before)-size]
	}
	return false
}

func isWordByte(b byte) bool {
	return b == '\'' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
}

func isHanRune(r rune) bool { return unicode.Is(unicode.Han, r) }

func boundaryBefore(text string, at int) bool {
	if at == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(text[:at])
	return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
}

func boundaryAfter(text string, end int) bool {
	if end >= len(text) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(text[end:])
	return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
}

// fold lower-cases text and folds full-width ASCII, so "ＡＧＥＮＴ！！" reads as "agent!!".
func fold(text string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if r == '’' {
			return '\''
		}
		return unicode.ToLower(r)
	}, text)
}

// Inspect finds the hand-off reasons and strong negative sentiment in text.
func Inspect(text string, _ contact.Locale) priority.Signals {
	lower := fold(text)
	// hits[rule] has bit 0 for any, bit 1+g for all-group g, and bit 63 for unless.
	var hits [64]uint64
	for at, r := range lower {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) && !boundaryBefore(lower, at) {
			continue // Latin phrases start at word boundaries
		}
		for _, pi := range guards.byFirst[r] {
			p := &guards.phrases[pi]
			if !strings.HasPrefix(lower[at:], p.text) {
				continue
			}
			end := at + len(p.text)
			if p.latin && (!boundaryBefore(lower, at) || (!p.prefix && !boundaryAfter(lower, end))) {
				continue
			}
			switch {
			case p.group == -2:
				hits[p.rule] |= 1 << 63
			case (p.latin || isHanRune(r)) && negated(lower, at, p.latin):
			case p.group == -1:
				hits[p.rule] |= 1
			default:
				hits[p.rule] |= 1 << (1 + p.group)
			}
		}
	}
	var s priority.Signals
	for ri, r := range rules {
		h := hits[ri]
		if h == 0 || h&(1<<63) != 0 {
			continue
		}
		fired := h&1 != 0
		if !fired && len(r.all) > 0 {
			want := uint64(1)<<(1+len(r.all)) - 2
			fired = h&want == want
		}
		if !fired {
			continue
		}
		if r.reason == negativeSentiment {
			s.Negative = true
		} else if !contains(s.Reasons, r.reason) {
			s.Reasons = append(s.Reasons, r.reason)
		}
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
