package triage_test

import (
	"slices"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/contact"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

// A merchant's own template, made from its shoppers' exact phrasings of one problem (what approving a voice
// draft publishes: the new template and the merchant's copy of the platform's template of that intent), answers
// the next messages like its examples for that merchant, leaves the intent's everyday questions to the copy, and
// changes nothing for any other merchant. The few examples must hold their own against the tens of thousands of
// generated platform phrasings the model learns.
func TestMerchantTemplateAnswersMessagesLikeItsExamples(t *testing.T) {
	before := defaultTriage(t)
	now := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)
	all, own := withGapTemplates(t, now)
	after, err := triage.New(all, map[string]priority.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	decide := func(tr *triage.Triage, merchant string, locale contact.Locale, text string) triage.Decision {
		return tr.Decide(contact.Contact{ID: "c1", Merchant: merchant, Locale: locale, Channel: "web", Text: text, ReceivedAt: now,
			Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard}}, now)
	}
	// The same problem in the same shoppers' words, with other codes, wrappers and personal data.
	next := map[contact.Locale][]string{
		contact.English: {"Good morning, why is VIP50 not valid? it's on your homepage. tracking SF2611174683465 🙏",
			"why is WELCOME10 not valid? it's on your homepage", "hi there - SAVE20 code invalid???", "DOUBLE11 code invalid?? pls reply",
			"Dear team, why is double11 not valid? it's on your homepage Thank you!"},
		contact.Chinese: {"请问VIP50无效，活动不是还没结束吗", "您好，新人券无效，活动不是还没结束吗🙏", "急！DOUBLE11无效，活动不是还没结束吗，谢谢",
			"在吗？为什么我的满300减50的券一直报错，急", "亲，领了券结账不抵扣，谢谢！"},
	}
	for locale, texts := range next {
		answered := 0
		for _, text := range texts {
			d := decide(after, "m1", locale, text)
			if d.Auto && d.Template == own[locale] {
				answered++
			} else {
				b := decide(before, "m1", locale, text)
				t.Logf("m1 %q: %s (auto %v, %.2f, %v); before: %s (auto %v, %.2f, %v)", text, d.Template, d.Auto, d.Confidence, d.Reasons,
					b.Template, b.Auto, b.Confidence, b.Reasons)
			}
			// Other merchants decide exactly as before m1 published: m1's examples do not retrain their model.
			o, b := decide(after, "m2", locale, text), decide(before, "m2", locale, text)
			if o.Template != b.Template || o.Auto != b.Auto || o.Confidence != b.Confidence {
				t.Errorf("m2 %q: %s (auto %v, %.3f), before m1's templates %s (auto %v, %.3f)", text, o.Template, o.Auto, o.Confidence,
					b.Template, b.Auto, b.Confidence)
			}
		}
		if got, want := answered, len(texts)-1; got < want {
			t.Errorf("%s: m1's own template answers %d of %d messages like its examples, want at least %d", locale, got, len(texts), want)
		}
	}
	// The intent's everyday questions keep the everyday answer (the merchant's copy of it).
	for _, q := range []struct {
		locale contact.Locale
		text   string
	}{
		{contact.English, "how do coupons work, can I use two on one order?"},
		{contact.English, "Is the Black Friday price also valid in the app?"},
		{contact.Chinese, "优惠券怎么用，可以叠加吗"},
		{contact.Chinese, "请问这个活动什么时候结束"},
	} {
		if d := decide(after, "m1", q.locale, q.text); d.Template == own[q.locale] {
			t.Errorf("m1 %q answered from the gap template %s, want the everyday answer", q.text, d.Template)
		}
	}
}

// withGapTemplates returns the default pack with what approving two voice drafts of merchant m1 publishes (one per
// language, about coupons that fail, made from its shoppers' phrasings) and the ids of m1's two new templates.
func withGapTemplates(t testing.TB, now time.Time) ([]answer.Template, map[contact.Locale]string) {
	t.Helper()
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	from, until := now.Add(-time.Hour), now.Add(14*24*time.Hour)
	gaps := map[contact.Locale][]string{
		contact.English: {"hey VIP50 code invalid??? 🙏", "why is vip50 not valid? it's on your homepage. thanks",
			"why is FLASH30 not valid? it's on your homepage Thank you!", "URGENT: why is FLASH30 not valid? it's on your homepage",
			"Good morning, why is VIP50 not valid? it's on your homepage ??"},
		contact.Chinese: {"请问DOUBLE11无效，活动不是还没结束吗🙏", "请问SAVE20无效，活动不是还没结束吗，谢谢！", "急！SAVE20无效，活动不是还没结束吗",
			"为什么我的满300减50的券一直报错", "领了券结账不抵扣，麻烦尽快处理"},
	}
	own := map[contact.Locale]string{}
	all := slices.Clone(ts)
	for _, locale := range []contact.Locale{contact.English, contact.Chinese} {
		id := "voice.m1.k1." + string(locale)
		own[locale] = id
		all = append(all, answer.Template{ID: id, Intent: "promo.rules", Locale: string(locale), Merchant: "m1", Examples: gaps[locale],
			Answer: "SAVE20 ended at midnight; SAVE20B gives the same discount.", ActiveFrom: &from, ActiveUntil: &until})
		for _, p := range ts {
			if p.Merchant == answer.Platform && p.Intent == "promo.rules" && p.Locale == string(locale) && p.Active(now) {
				p.ID, p.Merchant, p.ActiveFrom, p.ActiveUntil = id+".base", "m1", &from, &until
				all = append(all, p)
				break
			}
		}
	}
	return all, own
}
