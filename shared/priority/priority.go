// Package priority decides how soon a person must see a handed-off contact.
package priority

import (
	"fmt"
	"slices"
	"strings"
)

// Priority orders the human queues; higher is served sooner. The zero value, None, means "not in a human queue".
type Priority int

// The four human queues, and None for a contact that is in none of them.
const (
	None Priority = iota
	Low
	Normal
	High
	Urgent
)

// All lists the priorities of the human queues from most to least urgent.
var All = []Priority{Urgent, High, Normal, Low}

var names = [...]string{"", "low", "normal", "high", "urgent"}

func (p Priority) String() string {
	if p < None || p > Urgent {
		return fmt.Sprintf("priority(%d)", int(p))
	}
	return names[p]
}

// Parse reads a priority name; the empty name is None.
func Parse(s string) (Priority, error) {
	for i, n := range names {
		if n == s {
			return Priority(i), nil
		}
	}
	return None, fmt.Errorf("unknown priority %q: want urgent, high, normal or low", s)
}

// ParseQueue reads the name of a human queue: like Parse, but the empty name is an error too.
func ParseQueue(s string) (Priority, error) {
	p, err := Parse(s)
	if err == nil && p == None {
		err = fmt.Errorf("a priority is required: want urgent, high, normal or low")
	}
	return p, err
}

// MarshalText writes the priority's name, so JSON carries "urgent", not 4.
func (p Priority) MarshalText() ([]byte, error) {
	if p < None || p > Urgent {
		return nil, fmt.Errorf("encode %s: out of range", p)
	}
	return []byte(names[p]), nil
}

// UnmarshalText reads a priority's name.
func (p *Priority) UnmarshalText(b []byte) error {
	q, err := Parse(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

func clamp(p Priority) Priority { return max(Low, min(Urgent, p)) }

// AmountStep raises priority for orders of at least Min in Currency (an ISO 4217 code): 500 dollars and 500 yuan
// are not the same order.
type AmountStep struct {
	Min      float64 `json:"min"`
	Currency string  `json:"currency"`
	Raise    int     `json:"raise"`
}

// Rules is the data that decides a handed-off contact's priority; it is kept in DynamoDB per merchant.
type Rules struct {
	// Reasons maps a hand-off reason to the lowest priority a contact with that reason gets.
	Reasons map[string]string `json:"reasons"`
	// Base is the priority of a contact no rule raises (a person was asked for nothing specific).
	Base string `json:"base"`
	// TierRaise raises priority by member tier (see contact.Tier).
	TierRaise map[string]int `json:"tierRaise"`
	// Amounts raise priority by the attached order's amount; the largest matching step applies.
	Amounts []AmountStep `json:"amounts"`
	// RepeatRaise raises a shopper's contact when they wrote shortly before.
	RepeatRaise int `json:"repeatRaise"`
	// NegativeRaise raises a contact whose text carries strong negative sentiment.
	NegativeRaise int `json:"negativeRaise"`
	// Platform lists the hand-off reasons the platform's staff serve instead of the merchant's own agents.
	Platform []string `json:"platform"`
	// Skills names, per hand-off reason, the skill an agent needs to take such a contact (none when absent).
	Skills map[string]string `json:"skills,omitempty"`
	// Replies are the replies an agent is offered to start from, per hand-off reason and locale: what fits a
	// payment problem or a complaint, where the bot's own candidates would not (a merchant's rules replace the
	// platform's for the reasons they name).
	Replies map[string]map[string]string `json:"replies,omitempty"`
	// Shards spreads the merchant's human queues over this many partitions, for a merchant whose peak would
	// otherwise write more than a partition takes (0 means 1).
	Shards int `json:"shards,omitempty"`
	// PlatformShards is Shards for the platform team's queues; only the platform's default rules set it.
	PlatformShards int `json:"platformShards,omitempty"`
}

// DefaultRules: a request for a person or a complaint goes high; payment problems, disputes and fraud urgent;
// gold and platinum members, large orders, repeat contacts and angry messages are raised one step.
func DefaultRules() Rules {
	return Rules{
		Reasons: map[string]string{
			"human.request":   "high",
			"complaint":       "high",
			"payment.problem": "urgent",
			"dispute":         "urgent",
			"fraud":           "urgent",
			"problem.report":  "normal",
			"no.match":        "low",
			"bot.unhelpful":   "normal",
			"order.unknown":   "normal",
		},
		Base:      "normal",
		TierRaise: map[string]int{"gold": 1, "platinum": 1},
		Amounts: []AmountStep{{Min: 500, Currency: "USD", Raise: 1}, {Min: 500, Currency: "EUR", Raise: 1},
			{Min: 400, Currency: "GBP", Raise: 1}, {Min: 3500, Currency: "CNY", Raise: 1}},
		RepeatRaise:   1,
		NegativeRaise: 1,
		Platform:      []string{"fraud", "dispute"},
		Replies:       defaultReplies(),
		// At the Double 11 profile (scripts/plan/testdata/double11.json) the biggest merchant's normal queue takes
		// about 520 index writes a second and the platform's urgent queue, every merchant's fraud and disputes,
		// about 390: over the plan's budget of 500 a partition key value (half of DynamoDB's 1,000) with one shard
		// each. Two and four shards keep them near 260 and 100 (scripts/plan/model TestPartitionArithmetic).
		Shards:         2,
		PlatformShards: 4,
	}
}

// ReplyFor returns the reply an agent is offered for reason in locale, from r or else the platform's defaults.
func (r Rules) ReplyFor(reason, locale string) (string, bool) {
	if text, ok := r.Replies[reason][locale]; ok && text != "" {
		return text, true
	}
	text, ok := defaultReplies()[reason][locale]
	return text, ok && text != ""
}

func defaultReplies() map[string]map[string]string {
	return map[string]map[string]string{
		"payment.problem": {
			"en":    "I'm sorry about the trouble with your payment. I've checked your order and will sort this out now: could you tell me the amount and the time of the payment, and the last four digits of the card or the payment account you used?",
			"zh-CN": "亲，非常抱歉给您带来支付上的困扰。我马上为您核实处理，麻烦提供一下付款金额、付款时间，以及所用银行卡或支付账户的后四位哦。",
		},
		"complaint": {
			"en":    "I'm really sorry about this, and thank you for telling us. I'll make it right: could you send a photo of the item (and the packaging, if it was damaged), so I can arrange a replacement or a refund straight away?",
			"zh-CN": "亲，真的非常抱歉给您带来不好的体验，感谢您告诉我们。我这边马上为您处理，麻烦拍一下商品（如有破损请连同包装）的照片，我们立即为您安排补发或退款。",
		},
		"human.request": {
			"en":    "Hi, I'm here to help. What can I do for you?",
			"zh-CN": "亲，您好，我是人工客服，请问有什么可以帮您？",
		},
		"problem.report": {
			"en":    "Sorry that it isn't working for you. Could you tell me what you see on the screen (an error message or a screenshot helps), and on which device and app version?",
			"zh-CN": "亲，抱歉给您带来不便。麻烦描述一下您看到的情况（有报错提示或截图更好），以及使用的设备和App版本，我马上帮您排查。",
		},
		"dispute": {
			"en":    "I understand, and I'm sorry it has come to this. I'm reviewing your order and the conversation with the shop now; could you send any photos, messages or receipts that show what happened?",
			"zh-CN": "亲，理解您的心情，很抱歉出现这样的情况。平台客服正在核实您的订单及与商家的沟通记录，麻烦提供相关照片、聊天记录或凭证。",
		},
		"fraud": {
			"en":    "Thank you for reporting this right away. To protect your account, please change your password now; I'm reviewing the recent activity on your account and the orders in question.",
			"zh-CN": "感谢您第一时间反馈。为保护账户安全，请先立即修改密码，我们正在核查您账户近期的操作记录和相关订单。",
		},
		"bot.unhelpful": {
			"en":    "Sorry the automatic answer didn't help. I've read your question; let me look into it properly for you.",
			"zh-CN": "亲，抱歉智能助手的回答没能帮到您，我已经看到您的问题，这就为您仔细处理。",
		},
		"order.unknown": {
			"en":    "I couldn't find that order under your account yet. Could you check the number in your confirmation email, or tell me the date and the items you ordered?",
			"zh-CN": "亲，暂时没在您的账户下找到这个订单，麻烦核对一下确认短信里的订单号，或告诉我下单日期和商品名称哦。",
		},
		"no.match": {
			"en":    "Thanks for your message. Let me look into this for you.",
			"zh-CN": "亲，收到您的消息，我这就为您查看。",
		},
	}
}

// MaxShards bounds Rules.Shards: a claim reads every shard of its tenant's queues.
const MaxShards = 16

// Validate reports the first rule that names an unknown priority.
func (r Rules) Validate() error {
	if _, err := ParseQueue(r.Base); err != nil {
		return fmt.Errorf("rules base: %w", err)
	}
	for reason, p := range r.Reasons {
		if _, err := ParseQueue(p); err != nil {
			return fmt.Errorf("rules reason %s: %w", reason, err)
		}
	}
	for _, a := range r.Amounts {
		if len(a.Currency) != 3 {
			return fmt.Errorf("rules amount step %v: currency must be a 3-letter code", a.Min)
		}
	}
	if r.Shards < 0 || r.Shards > MaxShards || r.PlatformShards < 0 || r.PlatformShards > MaxShards {
		return fmt.Errorf("rules shards %d, platform shards %d: want 0 to %d", r.Shards, r.PlatformShards, MaxShards)
	}
	return nil
}

// Facts are what the rules read about the contact and its shopper.
type Facts struct {
	Tier     string  // the shopper's member tier
	Amount   float64 // the attached order's amount, 0 without one (or without the storefront's signature)
	Currency string  // the amount's currency
	Repeat   bool    // the shopper wrote shortly before
}

// Signals are what the triage found in a contact's text.
type Signals struct {
	Reasons  []string // hand-off reasons, see package intent
	Negative bool     // strong negative sentiment
}

// Decide returns the priority of a handed-off contact and why, in words an agent reads.
func (r Rules) Decide(f Facts, s Signals) (Priority, []string) {
	p, err := ParseQueue(r.Base)
	if err != nil {
		p = Normal
	}
	var why []string
	// The lowest floor among reasons is the base when the only reason is no.match.
	if len(s.Reasons) > 0 {
		floor := Low
		for _, reason := range s.Reasons {
			if name, ok := r.Reasons[reason]; ok {
				if q, err := ParseQueue(name); err == nil && q > floor {
					floor = q
				}
			}
		}
		if !slices.Contains(s.Reasons, "no.match") || len(s.Reasons) > 1 {
			p = max(p, floor)
		} else {
			p = floor
		}
		why = append(why, s.Reasons...)
	}
	raise := 0
	if n := r.TierRaise[f.Tier]; n != 0 {
		raise += n
		why = append(why, "tier."+f.Tier)
	}
	best := 0
	for _, step := range r.Amounts {
		if f.Amount >= step.Min && strings.EqualFold(f.Currency, step.Currency) && step.Raise > best {
			best = step.Raise
		}
	}
	if best > 0 {
		raise += best
		why = append(why, "order.amount")
	}
	if f.Repeat && r.RepeatRaise != 0 {
		raise += r.RepeatRaise
		why = append(why, "repeat.contact")
	}
	if s.Negative && r.NegativeRaise != 0 {
		raise += r.NegativeRaise
		why = append(why, "negative.sentiment")
	}
	return clamp(p + Priority(raise)), why
}
