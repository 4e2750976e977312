// Package conversation reads a shopper's follow-up in the light of the conversation so far: a thanks that needs
// no person, "that didn't help", or the order number the bot asked for. Everything else is a new question for
// the matcher.
package conversation

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"breakwater/shared/contact"
)

// Move is what the bot does with a shopper's turn.
type Move int

// Moves.
const (
	// Ask: a question like any other; the matcher and its guards decide.
	Ask Move = iota
	// Thanks: a thank-you or an "OK" that closes the matter; the bot says you're welcome.
	Thanks
	// Unhelpful: the shopper says the bot's answer did not help; a person takes over, seeing that answer.
	Unhelpful
	// OrderNumber: a bare order number right after the bot asked for one.
	OrderNumber
)

// Turn is a shopper's turn as the bot reads it.
type Turn struct {
	Move Move
	// Order is the order number given, for OrderNumber.
	Order string
}

// maxShortRunes bounds the messages read as a thanks or a "didn't help": a longer one says more, and the
// matcher reads it (its guards send complaints and requests for a person on).
const maxShortRunes = 60

// Read reads text, the shopper's turn, given whether the bot's last message asked for an order number.
func Read(text string, askedOrder bool) Turn {
	norm := normalize(text)
	if askedOrder {
		if id, ok := orderNumber(norm); ok {
			return Turn{Move: OrderNumber, Order: id}
		}
	}
	if utf8.RuneCountInString(norm) > maxShortRunes {
		return Turn{Move: Ask}
	}
	for _, p := range unhelpful {
		if strings.Contains(norm, p) {
			return Turn{Move: Unhelpful}
		}
	}
	if isThanks(norm) {
		return Turn{Move: Thanks}
	}
	return Turn{Move: Ask}
}

// normalize lower-cases text, folds curly apostrophes and full-width forms, and drops punctuation, symbols and
// emoji at the edges and between words.
func normalize(text string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(text) {
		switch {
		case r == '’' || r == '\'' || r == '`':
			b.WriteRune('\'')
			space = false
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(unicode.ToLower(r))
				space = false
			} else if !space {
				b.WriteByte(' ')
				space = true
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-':
			b.WriteRune(r)
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// unhelpful are phrases that, in a short message, say the answer did not help.
var unhelpful = []string{
	"didn't help", "didnt help", "did not help", "doesn't help", "doesnt help", "does not help", "not helpful",
	"unhelpful", "no help", "useless", "not what i asked", "not my question", "not what i meant", "wrong answer",
	"didn't answer", "did not answer", "doesn't answer", "does not answer", "not answer my", "still need help",
	"that's not it", "thats not it", "didn't work", "did not work", "doesn't work for me",
	"没用", "没有用", "沒用", "没帮助", "没有帮助", "没帮上", "不是我问的", "不是我要的", "答非所问", "不是这个",
	"没解决", "没有解决", "没能解决", "还是不行", "不管用", "没什么用", "看不懂",
}

// thanksWords may make up a thank-you; at least one of thanksCore must be among them.
var (
	thanksWords = set("thanks", "thank", "you", "thx", "ty", "tks", "ok", "okay", "k", "great", "perfect", "cool",
		"got", "it", "so", "much", "a", "lot", "very", "many", "awesome", "alright", "all", "right", "that", "helps",
		"helped", "cheers", "nice", "good", "fine", "understood", "i", "see", "sure", "will", "do", "wonderful",
		"super", "brilliant", "excellent", "appreciate", "appreciated", "again", "for", "the", "help", "your", "yes",
		"bye", "have", "day", "solved", "works", "now", "mate", "noted", "no", "more", "questions", "problem", "sorted")
	thanksCore = set("thanks", "thank", "thx", "ty", "tks", "ok", "okay", "cheers", "perfect", "great", "got",
		"alright", "understood", "appreciate", "appreciated", "solved", "sorted", "noted", "awesome", "helped")
	// zhThanks are Chinese thank-yous and acknowledgements once particles are dropped.
	zhThanks = []string{"谢谢", "多谢", "感谢", "谢啦", "谢了", "好的", "好滴", "好哒", "收到", "明白", "知道", "懂了",
		"了解", "可以了", "解决了", "没问题", "行", "嗯", "哦", "ok", "好"}
	zhFiller = strings.NewReplacer("亲", "", "了", "", "啊", "", "呀", "", "哈", "", "啦", "", "呢", "", "哦", "",
		"嗯", "", "您", "", "你", "", "非常", "", "太", "", "好的", "", "的", "", "客服", "", "小二", "", " ", "", "吧", "", "噢", "")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// isThanks reports a message made only of thanks and acknowledgements.
func isThanks(norm string) bool {
	if norm == "" {
		return false
	}
	if hasHan(norm) {
		rest := norm
		found := false
		for _, p := range zhThanks {
			if strings.Contains(rest, p) {
				found = true
				rest = strings.ReplaceAll(rest, p, "")
			}
		}
		return found && zhFiller.Replace(rest) == ""
	}
	core := false
	for _, w := range strings.Fields(norm) {
		if !thanksWords[w] {
			return false
		}
		core = core || thanksCore[w]
	}
	return core
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

var (
	orderWords = regexp.MustCompile(`^(?:(?:my|the|it's|its|it is|here|is|order|number|no|nr|id|#|订单号|订单编号|订单|单号|是|号码|编号|我的)\s*)*`)
	orderID    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{3,39}$`)
)

// orderNumber reads a message that is only an order number, perhaps with "order", "my order is" or "订单号".
func orderNumber(norm string) (string, bool) {
	rest := strings.TrimSpace(orderWords.ReplaceAllString(norm, ""))
	rest = strings.ReplaceAll(rest, " ", "")
	if !orderID.MatchString(rest) {
		return "", false
	}
	digits := 0
	for _, r := range rest {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits < 4 {
		return "", false
	}
	return strings.ToUpper(rest), true
}

// Reply is the bot's answer to a thank-you, in the conversation's language.
func Reply(locale contact.Locale) string {
	if locale == contact.Chinese {
		return "不客气～还有其他问题随时找我哦。"
	}
	return "You're welcome! If anything else comes up, just write here."
}

// Pending returns the text of the shopper's turn: the shopper's messages since the last message of anyone else,
// joined in order.
func Pending(thread []contact.Message) string {
	var parts []string
	for i := len(thread) - 1; i >= 0; i-- {
		m := thread[i]
		if m.From == contact.FromSystem {
			continue
		}
		if m.From != contact.FromShopper {
			break
		}
		parts = append(parts, m.Text)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "\n")
}

// LastBot returns the bot's latest message of thread, if any.
func LastBot(thread []contact.Message) (contact.Message, bool) {
	for i := len(thread) - 1; i >= 0; i-- {
		if thread[i].From == contact.FromBot {
			return thread[i], true
		}
		if thread[i].From == contact.FromAgent {
			return contact.Message{}, false
		}
	}
	return contact.Message{}, false
}
