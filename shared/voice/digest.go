package voice

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The 9 o'clock radio: each owner's digest comes at DigestHour local time, with the DigestSize most important
// new or rising problems of the last 24 hours.
const (
	DigestHour = 9
	DigestSize = 10
)

// Digest is one owner's morning report for one merchant.
type Digest struct {
	Merchant string    `json:"merchant"`
	Owner    string    `json:"owner"`
	Locale   string    `json:"locale"`
	Date     string    `json:"date"` // the owner's local date
	Problems []Problem `json:"problems"`
	// Hours is how far back it looks: 24 for the morning digest.
	Hours int `json:"hours"`
}

// BuildDigest picks from problems (their figures over the last 24 hours) the n most important that are new,
// rising or back: regressions first, then by how many contacts they brought above their usual (a new problem's
// usual is none), then by count. Problems resolved and quiet are left out, as are problems that are not above
// their usual.
func BuildDigest(merchant string, owner Owner, date string, problems []Problem, n int) Digest {
	var out []Problem
	for _, p := range problems {
		if p.Count == 0 || (p.Status == Resolved && !p.Regression) {
			continue
		}
		rising := float64(p.Count) >= 1.5*p.Baseline && float64(p.Count)-p.Baseline >= 2
		if p.New || p.Regression || rising {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int {
		if a.Regression != b.Regression {
			if a.Regression {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(float64(b.Count)-b.Baseline, float64(a.Count)-a.Baseline); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	loc := owner.Locale
	if loc == "" {
		loc = "en"
	}
	out = out[:min(n, len(out))]
	for i := range out {
		out[i].Centroid = nil
	}
	return Digest{Merchant: merchant, Owner: owner.ID, Locale: loc, Date: date, Problems: out, Hours: 24}
}

// phrases of the digest and alerts, per language.
var phrases = map[string]map[string]string{
	"en": {
		"digestSubject": "Voice of the customer · %s · %s: %d problem(s)",
		"digestTitle":   "Voice of the customer for %s, %s (%s)",
		"digestIntro":   "The most important new or rising problems of the last %d hours:",
		"contacts":      "%d contacts",
		"usual":         "usually %s a day",
		"noUsual":       "no history yet",
		"new":           "NEW",
		"spike":         "SPIKE",
		"regression":    "BACK AFTER RESOLVED",
		"acknowledged":  "acknowledged",
		"trend":         "last 24 h",
		"spikeSubject":  "Spike · %s · %s: %d contacts",
		"spikeTitle":    "Spike for %s: %d contacts between %s and %s (usually %s).",
		"regSubject":    "Back after resolved · %s · %s",
		"regTitle":      "A problem marked resolved is back for %s: %d contacts between %s and %s.",
		"examples":      "What shoppers wrote (personal data masked):",
		"act":           "Acknowledge or resolve it in the console (Voice of the customer), problem %s.",
	},
	"zh-CN": {
		"digestSubject": "客户之声 · %s · %s：%d 个问题",
		"digestTitle":   "%s 的客户之声，%s（%s）",
		"digestIntro":   "过去 %d 小时最重要的新问题和上升的问题：",
		"contacts":      "%d 次咨询",
		"usual":         "平时每天 %s 次",
		"noUsual":       "暂无历史数据",
		"new":           "新问题",
		"spike":         "激增",
		"regression":    "已解决后复发",
		"acknowledged":  "已确认",
		"trend":         "近 24 小时",
		"spikeSubject":  "激增 · %s · %s：%d 次咨询",
		"spikeTitle":    "%s 出现激增：%s 至 %s 共 %d 次咨询（平时 %s 次）。",
		"regSubject":    "问题复发 · %s · %s",
		"regTitle":      "已标记解决的问题在 %s 复发：%s 至 %s 共 %d 次咨询。",
		"examples":      "顾客原话（已隐去个人信息）：",
		"act":           "请在工作台“客户之声”中确认或解决，问题编号 %s。",
	},
}

func word(locale, key string) string {
	if strings.HasPrefix(locale, "zh") {
		return phrases["zh-CN"][key]
	}
	return phrases["en"][key]
}

// sparkline draws counts as block characters, the height relative to the largest.
func sparkline(counts []int) string {
	bars := []rune("▁▂▃▄▅▆▇█")
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	var b strings.Builder
	for _, c := range counts {
		i := 0
		if top > 0 && c > 0 {
			i = int(math.Round(float64(c) / float64(top) * float64(len(bars)-1)))
		}
		b.WriteRune(bars[i])
	}
	return b.String()
}

func formatUsual(x float64) string {
	if x >= 10 || x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// Render writes the digest as a subject and plain text in its language.
func (d Digest) Render() (subject, text string) {
	l := d.Locale
	subject = fmt.Sprintf(word(l, "digestSubject"), d.Merchant, d.Date, len(d.Problems))
	var b strings.Builder
	fmt.Fprintf(&b, word(l, "digestTitle")+"\n", d.Merchant, d.Date, d.Owner)
	fmt.Fprintf(&b, word(l, "digestIntro")+"\n", max(1, d.Hours))
	for i, p := range d.Problems {
		b.WriteString("\n")
		fmt.Fprintf(&b, "%d. %s\n", i+1, p.Label)
		usual := word(l, "noUsual")
		if p.Days > 0 {
			usual = fmt.Sprintf(word(l, "usual"), formatUsual(p.Baseline))
		}
		flags := []string{}
		if p.New {
			flags = append(flags, word(l, "new"))
		}
		if p.Spike {
			flags = append(flags, word(l, "spike"))
		}
		if p.Regression {
			flags = append(flags, word(l, "regression"))
		}
		if p.Status == Acknowledged {
			flags = append(flags, word(l, "acknowledged"))
		}
		line := fmt.Sprintf("   "+word(l, "contacts")+" · %s · %s %s", p.Count, usual, word(l, "trend"), sparkline(p.Trend))
		if len(flags) > 0 {
			line += " · " + strings.Join(flags, " · ")
		}
		b.WriteString(line + "\n")
		for _, e := range p.Examples[:min(3, len(p.Examples))] {
			fmt.Fprintf(&b, "   « %s »\n", e)
		}
		fmt.Fprintf(&b, "   "+word(l, "act")+"\n", p.ID)
	}
	return subject, b.String()
}

// Message is the digest as a message to its owner.
func (d Digest) Message() Message {
	s, t := d.Render()
	return Message{Kind: "digest", Merchant: d.Merchant, Subject: s, Text: t, Data: d}
}

// AlertMessage tells owner locale's reader that p spiked ("spike") or came back ("regression") in [from, to).
func AlertMessage(kind, merchant string, p Problem, locale string, from, to time.Time) Message {
	const clock = "2006-01-02 15:04 MST"
	f, t := from.UTC().Format(clock), to.UTC().Format(clock)
	var subject, title string
	switch {
	case kind == "regression" && strings.HasPrefix(locale, "zh"):
		subject = fmt.Sprintf(word(locale, "regSubject"), merchant, p.Label)
		title = fmt.Sprintf(word(locale, "regTitle"), merchant, f, t, p.Count)
	case kind == "regression":
		subject = fmt.Sprintf(word(locale, "regSubject"), merchant, p.Label)
		title = fmt.Sprintf(word(locale, "regTitle"), merchant, p.Count, f, t)
	case strings.HasPrefix(locale, "zh"):
		subject = fmt.Sprintf(word(locale, "spikeSubject"), merchant, p.Label, p.Count)
		title = fmt.Sprintf(word(locale, "spikeTitle"), merchant, f, t, p.Count, formatUsual(p.Baseline))
	default:
		subject = fmt.Sprintf(word(locale, "spikeSubject"), merchant, p.Label, p.Count)
		title = fmt.Sprintf(word(locale, "spikeTitle"), merchant, p.Count, f, t, formatUsual(p.Baseline))
	}
	var b strings.Builder
	b.WriteString(title + "\n" + p.Label + "  " + sparkline(p.Trend) + "\n\n" + word(locale, "examples") + "\n")
	for _, e := range p.Examples[:min(3, len(p.Examples))] {
		fmt.Fprintf(&b, "  « %s »\n", e)
	}
	fmt.Fprintf(&b, "\n"+word(locale, "act")+"\n", p.ID)
	type alert struct {
		Kind     string    `json:"kind"`
		Merchant string    `json:"merchant"`
		From     time.Time `json:"from"`
		To       time.Time `json:"to"`
		Problem  Problem   `json:"problem"`
	}
	data := p
	data.Centroid = nil
	return Message{Kind: kind, Merchant: merchant, Subject: subject, Text: b.String(),
		Data: alert{Kind: kind, Merchant: merchant, From: from, To: to, Problem: data}}
}
