package voice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/triage"
)

// memCatalog is the part of the catalog a review writes, in memory.
type memCatalog struct{ ts []answer.Template }

func (c *memCatalog) Templates(context.Context) ([]answer.Template, error) {
	return slices.Clone(c.ts), nil
}
func (c *memCatalog) PutTemplates(_ context.Context, ts []answer.Template) error {
	for _, t := range ts {
		if i := slices.IndexFunc(c.ts, func(x answer.Template) bool { return x.ID == t.ID }); i >= 0 {
			c.ts[i] = t
		} else {
			c.ts = append(c.ts, t)
		}
	}
	return nil
}

// decide settles text as the responder would with tri: answered, or queued for a person.
func decide(tri *triage.Triage, id, merchant, locale, text string, at time.Time) contact.Record {
	c := contact.Contact{ID: id, Merchant: merchant, Locale: contact.Locale(locale), Channel: "web", Text: text, ReceivedAt: at,
		Shopper: contact.Shopper{ID: "s-" + id, Tier: contact.Standard}}
	d := tri.Decide(c, at)
	r := contact.Record{Contact: c, Intent: d.Intent, Template: d.Template, Confidence: d.Confidence, UpdatedAt: at}
	if d.Auto {
		r.Status, r.Answer, r.AnsweredBy = contact.Answered, d.Answer, "bot"
		return r
	}
	r.Status, r.Priority, r.Reasons, r.EnqueuedAt = contact.Queued, d.Priority, d.Reasons, at
	return r
}

var agentReplies = map[string][]string{
	"en": {"Sorry about that! The SAVE20 campaign ended at midnight, but code SAVE20B gives the same discount at checkout.",
		"Sorry about that! The SAVE20 campaign ended at midnight, but the code SAVE20B gives the same discount at checkout.",
		"Let me look into this for you."},
	"zh-CN": {"抱歉！SAVE20活动已于零点结束，结算时输入SAVE20B可享受同样的优惠。",
		"抱歉！SAVE20活动已于零点结束，结算时输入SAVE20B可以享受同样的优惠。",
		"我帮您查一下。"},
}

// The loop: a problem the bot cannot answer, answered alike by agents, becomes a draft; approved, it
// passes the same lint as `templates lint`, is published, and answers the next such questions.
func TestGapBecomesAnApprovedTemplateThatAnswersTheNextQuestions(t *testing.T) {
	ctx := context.Background()
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	tri, err := triage.New(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := day1
	var recs records
	// The problem's first messages are the gap; the rest, later, are "the cluster's next messages".
	rows := rowsOf(t, "coupon.invalid")
	cut := len(rows) * 3 / 5
	for i, r := range rows[:cut] {
		rec := decide(tri, fmt.Sprintf("c%04d", i), "m1", r.Locale, r.Text, at.Add(time.Duration(i)*10*time.Second))
		if rec.Status == contact.Queued && slices.Contains(rec.Reasons, "no.match") {
			// Most agents say the same; some say something else.
			replies := agentReplies[r.Locale]
			reply := replies[i%2]
			if i%5 == 4 {
				reply = replies[2]
			}
			rec.Status, rec.Answer, rec.AnsweredBy, rec.UpdatedAt = contact.Resolved, reply, "agent-7", rec.UpdatedAt.Add(time.Minute)
		}
		recs = append(recs, rec)
	}
	s, box := newMemStore(), &outbox{}
	now := at.Add(time.Hour + 5*time.Minute)
	r := newRunner(s, box, &now, background(t))
	r.Contacts = recs
	if _, err := r.Gather(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(ctx, Options{From: at, To: at.Add(time.Hour), Hourly: true})
	if err != nil {
		t.Fatal(err)
	}
	var drafts []Draft
	for _, d := range rep.Merchants[0].Drafts {
		if d.Kind == GapAnswer {
			drafts = append(drafts, d)
		}
	}
	if len(drafts) == 0 {
		t.Fatalf("no draft; problems: %+v", rep.Merchants[0].Problems)
	}
	cat := &memCatalog{ts: slices.Clone(ts)}
	rv := &Reviewer{Drafts: s, Catalog: cat, Now: func() time.Time { return now }}
	var published []string
	for _, d := range drafts {
		t.Logf("draft %s (%s, intent %s, bot answered as %v, impact %d, agreement %.0f%%): %q from %d examples, e.g. %q", d.ID, d.Locale, d.Intent, d.AnsweredAs, d.Impact, 100*d.Agreement, d.Answer, len(d.Examples), d.Examples[0])
		if !strings.Contains(d.Answer, "SAVE20B") {
			t.Errorf("draft %s answers %q, want the agents' common reply", d.ID, d.Answer)
		}
		got, findings, err := rv.Approve(ctx, "m1", d.ID, Edit{}, "lead")
		if err != nil {
			t.Fatalf("approve %s: %v %v", d.ID, err, findings)
		}
		if catalog.Errors(findings) > 0 || got.Status != Approved || len(got.Published) == 0 {
			t.Fatalf("approved %+v with findings %v", got, findings)
		}
		for _, f := range findings {
			t.Logf("  %s", f)
		}
		published = append(published, got.Published...)
	}
	// The catalog with the approval passes templates lint as a whole.
	if errs := catalog.Errors(catalog.Check(cat.ts, now)); errs > 0 {
		t.Errorf("catalog after approval: %d lint errors: %v", errs, catalog.Check(cat.ts, now))
	}
	after, err := triage.New(cat.ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	next := now.Add(time.Hour)
	// answers counts, of rows no guard sends to a person, those the old catalog answered from some template
	// (generic, so not about this problem) or not at all, and those the approved drafts now answer.
	answers := func(rows []fixtureRow) (generic, missed, drafted, total int) {
		for i, row := range rows {
			old := decide(tri, fmt.Sprintf("n%04d", i), "m1", row.Locale, row.Text, next)
			if old.Status != contact.Answered && !slices.Contains(old.Reasons, "no.match") {
				continue // a guard sends it to a person whatever templates there are
			}
			total++
			if old.Status == contact.Answered {
				generic++
			} else {
				missed++
			}
			d := decide(after, fmt.Sprintf("n%04d", i), "m1", row.Locale, row.Text, next)
			if d.Status == contact.Answered && slices.Contains(published, d.Template) {
				drafted++
			}
		}
		return
	}
	generic, missed, drafted, total := answers(rows[cut:])
	t.Logf("the cluster's next %d messages no guard takes: before, %d answered from a generic template and %d from none; now %d answered by the approved drafts",
		total, generic, missed, drafted)
	if total < 20 || float64(drafted) < 0.6*float64(total) {
		t.Errorf("approved drafts answer %d of %d of the cluster's next messages, want at least 60%%", drafted, total)
	}
	// The same problem in words no one used before (the holdout's phrasings): the matcher learns words, not
	// meaning, so far fewer. Reported, not required.
	var other []fixtureRow
	for _, row := range readFixture(t, "holdout.jsonl") {
		if row.Group == "coupon.invalid" {
			other = append(other, row)
		}
	}
	generic, missed, drafted, total = answers(other)
	t.Logf("the same problem in new words, %d messages no guard takes: before %d generic, %d none; now %d by the drafts", total, generic, missed, drafted)
	// A general question of the same intent keeps its everyday answer, and other merchants are not answered
	// from m1's draft.
	for _, q := range []struct{ merchant, locale, text string }{
		{"m1", "en", "how do coupons work, can I use two on one order?"},
		{"m1", "zh-CN", "优惠券怎么用，可以叠加吗"},
		{"m2", "en", "my coupon code SAVE20 says invalid at checkout"},
	} {
		d := decide(after, "g", q.merchant, q.locale, q.text, next)
		if slices.Contains(published, d.Template) && d.Template == TemplateID("m1", drafts[0].Cluster, q.locale) {
			t.Errorf("%s %q answered by the draft %s", q.merchant, q.text, d.Template)
		}
	}

	// Other merchants share the matcher's model, which m1's examples retrain. A queued contact whose best guess
	// moves only changes the agent's suggestions; what matters is an outcome that changes: answered or not, or
	// answered from another template. Measured and reported; the rebuilt matcher should scope merchants' examples.
	toBot, toPerson, otherTemplate, all := 0, 0, 0, 0
	for i, row := range readFixture(t, "fixture.jsonl") {
		a := decide(tri, fmt.Sprintf("o%04d", i), "m2", row.Locale, row.Text, next)
		b := decide(after, fmt.Sprintf("o%04d", i), "m2", row.Locale, row.Text, next)
		all++
		switch {
		case a.Status != contact.Answered && b.Status == contact.Answered:
			toBot++
		case a.Status == contact.Answered && b.Status != contact.Answered:
			toPerson++
		case a.Status == contact.Answered && a.Template != b.Template:
			otherTemplate++
		}
	}
	t.Logf("another merchant's outcomes on the %d fixture messages after m1's approval: %d now answered by the bot, %d now go to a person, %d answered from another template",
		all, toBot, toPerson, otherTemplate)
	if n := toBot + toPerson + otherTemplate; float64(n) > 0.05*float64(all) {
		t.Errorf("%d of %d outcomes of another merchant changed, want at most 5%%", n, all)
	}

	// The next hour's figures count the contacts the bot now answers from the draft.
	var nextRecs records
	for i, row := range rows[cut:] {
		nextRecs = append(nextRecs, decide(after, fmt.Sprintf("h%04d", i), "m1", row.Locale, row.Text, next.Add(time.Duration(i)*time.Second)))
	}
	r.Contacts = append(recs, nextRecs...)
	now = next.Truncate(time.Hour).Add(time.Hour + 5*time.Minute)
	if _, err := r.Gather(ctx); err != nil {
		t.Fatal(err)
	}
	from := next.Truncate(time.Hour)
	if _, err := r.Run(ctx, Options{From: from, To: from.Add(time.Hour), Hourly: true}); err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, d := range drafts {
		stored, _ := s.Draft(ctx, "m1", d.ID)
		sum += stored.Answered
		t.Logf("draft %s after an hour: %d answered by the bot, %d still handed off", d.ID, stored.Answered, stored.HandedOff)
	}
	if sum == 0 {
		t.Errorf("no bot answers from the approved drafts in the next hour's figures")
	}
}

func TestApprovalRejectsWhatCannotBeATemplate(t *testing.T) {
	ctx := context.Background()
	ts, _ := pack.Default()
	now := day1
	base := Draft{ID: "k1.en", Merchant: "m1", Kind: GapAnswer, Cluster: "k1", Locale: "en", Intent: "promo.rules",
		Examples: []string{"SAVE20 invalid", "code SAVE20 rejected at checkout", "SAVE20 does not work"},
		Answer:   "SAVE20 ended; use SAVE20B.", Status: Pending}
	for _, tt := range []struct {
		name string
		d    Draft
		edit Edit
		want error
	}{
		{"masked answer", withAnswer(base, "Your order [number] ships today"), Edit{}, ErrInvalid},
		{"unknown intent", base, Edit{Intent: "coupon.broken"}, ErrInvalid},
		{"too few examples", base, Edit{Examples: []string{"x y", "[phone]"}}, ErrInvalid},
		{"too long", base, Edit{Days: 400}, ErrInvalid},
		{"template braces", base, Edit{Answer: "Use {{coupon.code}}"}, ErrLint},
		{"fine", base, Edit{Answer: "SAVE20 ended at midnight; SAVE20B gives the same discount."}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newMemStore()
			s.drafts["m1/"+tt.d.ID] = tt.d
			rv := &Reviewer{Drafts: s, Catalog: &memCatalog{ts: slices.Clone(ts)}, Now: func() time.Time { return now }}
			_, findings, err := rv.Approve(ctx, "m1", tt.d.ID, tt.edit, "lead")
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("Approve = %v (findings %v), want %v", err, findings, tt.want)
			}
			if tt.want == nil {
				if _, _, err := rv.Approve(ctx, "m1", tt.d.ID, tt.edit, "lead"); !errors.Is(err, ErrDecided) {
					t.Errorf("approving twice = %v, want ErrDecided", err)
				}
			}
		})
	}
}

func withAnswer(d Draft, a string) Draft {
	d.Answer = a
	return d
}

func TestRejectedDraftIsNotProposedAgain(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	d := Draft{ID: "k1.en", Merchant: "m1", Kind: GapAnswer, Cluster: "k1", Locale: "en", Status: Pending, Impact: 9}
	s.drafts["m1/k1.en"] = d
	rv := &Reviewer{Drafts: s, Catalog: &memCatalog{}, Now: func() time.Time { return day1 }}
	if _, err := rv.Reject(ctx, "m1", "k1.en", "wrong answer", "lead"); err != nil {
		t.Fatal(err)
	}
	again := DefaultGaps.ProposeDrafts("m1", Grouping{}, nil, []Draft{s.drafts["m1/k1.en"]}, nil, day1)
	if len(again) != 0 {
		t.Errorf("proposed %v after rejection", again)
	}
	if _, err := rv.Reject(ctx, "m1", "k1.en", "", "lead"); !errors.Is(err, ErrDecided) {
		t.Errorf("rejecting twice = %v, want ErrDecided", err)
	}
}

// A reply agents give to many problems ("let me check") is no answer to any: no draft, and a pending one is
// withdrawn once the contacts show it.
func TestStockRepliesMakeNoDraft(t *testing.T) {
	var vs []Voice
	gr := Grouping{}
	for c := range 4 {
		id := fmt.Sprintf("k%d", c)
		gr.Clusters = append(gr.Clusters, Cluster{ID: id, Lane: LaneText})
		var ms []int
		for i := range 6 {
			ms = append(ms, len(vs))
			vs = append(vs, Voice{ID: fmt.Sprintf("%s-%d", id, i), Locale: "en", Kind: HandedOff, Reasons: []string{"no.match"},
				Text: fmt.Sprintf("problem %d message %d", c, i), Reply: "Let me check this with the team and get back to you."})
		}
		gr.Members = append(gr.Members, ms)
	}
	existing := []Draft{{ID: "k0.en", Merchant: "m1", Kind: GapAnswer, Cluster: "k0", Locale: "en", Status: Pending}}
	got := DefaultGaps.ProposeDrafts("m1", gr, vs, existing, nil, day1)
	if len(got) != 1 || got[0].ID != "k0.en" || got[0].Status != Withdrawn {
		t.Fatalf("drafts = %+v, want only k0.en, withdrawn", got)
	}
	// One problem with its own reply still makes a draft.
	for i := range gr.Members[1] {
		vs[gr.Members[1][i]].Reply = "SAVE20 ended at midnight; SAVE20B gives the same discount."
	}
	got = DefaultGaps.ProposeDrafts("m1", gr, vs, nil, nil, day1)
	if len(got) != 1 || got[0].ID != "k1.en" || got[0].Status != Pending {
		t.Errorf("drafts = %+v, want k1.en pending", got)
	}
}
