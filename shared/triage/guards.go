package triage

import (
	"strings"

	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/priority"
)

// cues maps each hand-off reason to phrases that signal it, in both locales.
var cues = map[string][]string{
	intent.HumanRequest:   {"转人工", "人工客服", "人工", "真人", "real person", "human", "agent", "representative", "speak to someone", "talk to someone"},
	intent.Complaint:      {"投诉", "差评", "太差", "太慢", "垃圾", "complain", "complaint", "terrible", "worst", "unacceptable", "ridiculous"},
	intent.PaymentProblem: {"扣了两次", "重复扣款", "付了款", "已付款", "charged twice", "double charged", "paid but", "payment failed"},
	intent.Dispute:        {"律师", "起诉", "消协", "lawyer", "sue", "chargeback", "dispute"},
	intent.Fraud:          {"诈骗", "骗子", "盗刷", "scam", "fraud", "stolen card", "phishing"},
}

var negative = []string{"!!!", "！！", "气死", "愤怒", "angry", "furious", "hate", "disgusting"}

// Inspect finds the hand-off reasons and strong negative sentiment in text.
func Inspect(text string, _ contact.Locale) priority.Signals {
	lower := strings.ToLower(text)
	var s priority.Signals
	for _, reason := range intent.Reasons {
		for _, cue := range cues[reason] {
			if strings.Contains(lower, cue) {
				s.Reasons = append(s.Reasons, reason)
				break
			}
		}
	}
	for _, cue := range negative {
		if strings.Contains(lower, cue) {
			s.Negative = true
			break
		}
	}
	return s
}
