package drafting

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
	"breakwater/shared/voice"
)

func TestMain(m *testing.M) { emulators.Main(m) }

var day1 = time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)

type fixtureRow struct {
	ID, Group, Locale, Text string
}

// readFixture reads voice's labelled fixture (see shared/voice/fixture_gen_test.go).
func readFixture(t testing.TB, name string) []fixtureRow {
	t.Helper()
	f, err := os.Open("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []fixtureRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r fixtureRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

func rowsOf(t *testing.T, group string) []fixtureRow {
	t.Helper()
	var out []fixtureRow
	for _, r := range readFixture(t, "fixture.jsonl") {
		if r.Group == group {
			out = append(out, r)
		}
	}
	return out
}

func background(t testing.TB) []string {
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tpl := range ts {
		out = append(out, tpl.Examples...)
	}
	return out
}

// records is a contact source over a fixed list.
type records []contact.Record

func (rs records) EachUpdated(_ context.Context, from, to time.Time, visit func(contact.Record) error) error {
	for _, r := range rs {
		if !r.UpdatedAt.Before(from) && r.UpdatedAt.Before(to) {
			if err := visit(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// outbox records what was sent.
type outbox struct {
	mu   sync.Mutex
	sent []voice.Message
}

func (o *outbox) Send(_ context.Context, _ voice.Owner, m voice.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

func newRunner(s *voice.MemStore, now *time.Time, bg []string) *voice.Runner {
	return &voice.Runner{Store: s, Send: &outbox{}, Grouper: voice.NewGrouper(bg), Thresholds: voice.DefaultThresholds, Gaps: voice.DefaultGaps,
		DefaultOwner: voice.Owner{ID: "platform", Kind: voice.SNS, Target: "arn:aws:sns:us-east-1:123456789012:voice"},
		Now:          func() time.Time { return *now }, Contacts: records(nil)}
}

// memCatalog is the part of the catalog a review reads and stages into, in memory, with the drafts' store: an
// approval updates the draft and stages its change at once, as dynamo.Approvals does.
type memCatalog struct {
	ts     []answer.Template
	drafts *voice.MemStore
	staged []catalog.Change
}

func (c *memCatalog) Templates(context.Context) ([]answer.Template, error) {
	return slices.Clone(c.ts), nil
}

func (c *memCatalog) Staged(context.Context) ([]catalog.Change, error) {
	return slices.Clone(c.staged), nil
}

func (c *memCatalog) StageApproval(ctx context.Context, d voice.Draft, key string, body []byte) error {
	var ch catalog.Change
	if err := json.Unmarshal(body, &ch); err != nil {
		return err
	}
	if err := c.drafts.UpdateDraft(ctx, d, voice.Pending); err != nil {
		return fmt.Errorf("approve draft %s: %w", d.ID, err)
	}
	ch.Key = key
	c.staged = append(c.staged, ch)
	return nil
}

// dbApprovals stages approvals in the catalog on DynamoDB Local, with the drafts in memory.
type dbApprovals struct {
	drafts *voice.MemStore
	cat    *dynamo.Catalog
}

func (a dbApprovals) StageApproval(ctx context.Context, d voice.Draft, key string, body []byte) error {
	if err := a.drafts.UpdateDraft(ctx, d, voice.Pending); err != nil {
		return fmt.Errorf("approve draft %s: %w", d.ID, err)
	}
	return a.cat.Stage(ctx, key, body)
}

// publishedTriage decodes the snapshot the catalog publishes for its version (no training).
func publishedTriage(t *testing.T, store *dynamo.Catalog) (int64, *triage.Triage) {
	t.Helper()
	v, _, err := store.Published(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Snapshot(context.Background(), v)
	if err != nil || b == nil {
		t.Fatalf("snapshot of version %d: %d bytes, %v", v, len(b), err)
	}
	tri, err := triage.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return v, tri
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
// passes the same lint as `templates lint` and is staged; the next publication (one training for every draft)
// publishes it, and it answers the next such questions.
func TestGapBecomesAnApprovedTemplateThatAnswersTheNextQuestions(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t) // the default pack and rules, published with their snapshot
	store := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	w := catalog.NewWriter(store)
	builds := 0
	w.Build = func(ts []answer.Template, rules map[string]priority.Rules) (*triage.Triage, error) {
		builds++
		return triage.New(ts, rules)
	}
	v0, tri := publishedTriage(t, store)
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
	s := voice.NewMemStore()
	now := at.Add(time.Hour + 5*time.Minute)
	r := newRunner(s, &now, background(t))
	r.Contacts = recs
	if _, err := r.Gather(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(ctx, voice.Options{From: at, To: at.Add(time.Hour), Hourly: true})
	if err != nil {
		t.Fatal(err)
	}
	var drafts []voice.Draft
	for _, d := range rep.Merchants[0].Drafts {
		if d.Kind == voice.GapAnswer {
			drafts = append(drafts, d)
		}
	}
	if len(drafts) == 0 {
		t.Fatalf("no draft; problems: %+v", rep.Merchants[0].Problems)
	}
	rv := &Reviewer{Drafts: s, Approvals: dbApprovals{s, store}, Catalog: w, Now: func() time.Time { return now }}
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
		if catalog.Errors(findings) > 0 || got.Status != voice.Publishing || len(got.Published) == 0 {
			t.Fatalf("approved %+v with findings %v", got, findings)
		}
		published = append(published, got.Published...)
	}
	if v, _, _ := store.Published(ctx); v != v0 || builds != 0 {
		t.Fatalf("approval moved the catalog to version %d or trained (%d); want it staged only", v, builds)
	}
	pub, err := (&Publisher{Catalog: w, Drafts: s, Now: func() time.Time { return now }}).Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if builds != 1 || pub.Version != v0+1 || len(pub.Published) != len(drafts) {
		t.Fatalf("publication %+v after %d trainings; want the %d drafts in version %d, one training", pub, builds, len(drafts), v0+1)
	}
	for _, d := range drafts {
		stored, _ := s.Draft(ctx, "m1", d.ID)
		if stored.Status != voice.Approved || !stored.PublishedAt.Equal(now) {
			t.Errorf("draft %s after publication: %s published at %v", d.ID, stored.Status, stored.PublishedAt)
		}
		for _, f := range stored.Findings {
			t.Logf("  %s %s: %s %s", d.ID, f.Severity, f.Template, f.Message)
		}
	}
	// The catalog with the approval passes templates lint as a whole.
	pushed, err := w.Templates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fs := catalog.Lint(pushed); catalog.Errors(fs) > 0 {
		t.Errorf("catalog after approval: %d lint errors: %v", catalog.Errors(fs), fs)
	}
	_, after := publishedTriage(t, store)
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
	// A draft answers in its own language. Since issue 12's matcher answers most Chinese "coupon invalid"
	// messages from the platform's promotions template, the first hour had too few Chinese gaps for a Chinese
	// draft (voice.DefaultGaps.MinGap): the 60% is asked of the languages a draft was approved for, and the
	// others are reported.
	drafted := map[string]bool{}
	for _, d := range drafts {
		drafted[d.Locale] = true
	}
	var mine, others []fixtureRow
	for _, row := range rows[cut:] {
		if drafted[row.Locale] {
			mine = append(mine, row)
		} else {
			others = append(others, row)
		}
	}
	generic, missed, answered, total := answers(mine)
	t.Logf("the cluster's next %d messages in the drafts' languages %v that no guard takes: before, %d answered from a generic template and %d from none; now %d answered by the approved drafts",
		total, slices.Sorted(maps.Keys(drafted)), generic, missed, answered)
	if total < 10 || float64(answered) < 0.6*float64(total) {
		t.Errorf("approved drafts answer %d of %d of the cluster's next messages in their languages, want at least 60%%", answered, total)
	}
	generic, missed, answered, total = answers(others)
	t.Logf("in the other languages, %d such messages: before, %d answered from a generic template and %d from none; now %d by the drafts",
		total, generic, missed, answered)
	// The same problem in words no one used before (the holdout's phrasings): the matcher learns words, not
	// meaning, so far fewer. Reported, not required.
	var other []fixtureRow
	for _, row := range readFixture(t, "holdout.jsonl") {
		if row.Group == "coupon.invalid" {
			other = append(other, row)
		}
	}
	generic, missed, answered, total = answers(other)
	t.Logf("the same problem in new words, %d messages no guard takes: before %d generic, %d none; now %d by the drafts", total, generic, missed, answered)
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
	if _, err := r.Run(ctx, voice.Options{From: from, To: from.Add(time.Hour), Hourly: true}); err != nil {
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
	base := voice.Draft{ID: "k1.en", Merchant: "m1", Kind: voice.GapAnswer, Cluster: "k1", Locale: "en", Intent: "promo.rules",
		Examples: []string{"SAVE20 invalid", "code SAVE20 rejected at checkout", "SAVE20 does not work"},
		Answer:   "SAVE20 ended; use SAVE20B.", Status: voice.Pending}
	for _, tt := range []struct {
		name string
		d    voice.Draft
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
			s := voice.NewMemStore()
			s.PutDrafts(ctx, []voice.Draft{tt.d})
			cat := &memCatalog{ts: slices.Clone(ts), drafts: s}
			rv := &Reviewer{Drafts: s, Approvals: cat, Catalog: cat, Now: func() time.Time { return now }}
			_, findings, err := rv.Approve(ctx, "m1", tt.d.ID, tt.edit, "lead")
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("Approve = %v (findings %v), want %v", err, findings, tt.want)
			}
			if tt.want == nil {
				if _, _, err := rv.Approve(ctx, "m1", tt.d.ID, tt.edit, "lead"); !errors.Is(err, voice.ErrDecided) {
					t.Errorf("approving twice = %v, want ErrDecided", err)
				}
			}
		})
	}
}

func withAnswer(d voice.Draft, a string) voice.Draft {
	d.Answer = a
	return d
}

func TestRejectedDraftIsNotProposedAgain(t *testing.T) {
	ctx := context.Background()
	s := voice.NewMemStore()
	d := voice.Draft{ID: "k1.en", Merchant: "m1", Kind: voice.GapAnswer, Cluster: "k1", Locale: "en", Status: voice.Pending, Impact: 9}
	s.PutDrafts(ctx, []voice.Draft{d})
	cat := &memCatalog{drafts: s}
	rv := &Reviewer{Drafts: s, Approvals: cat, Catalog: cat, Now: func() time.Time { return day1 }}
	if _, err := rv.Reject(ctx, "m1", "k1.en", "wrong answer", "lead"); err != nil {
		t.Fatal(err)
	}
	rejected, _ := s.Draft(ctx, "m1", "k1.en")
	again := voice.DefaultGaps.ProposeDrafts("m1", voice.Grouping{}, nil, []voice.Draft{rejected}, nil, day1)
	if len(again) != 0 {
		t.Errorf("proposed %v after rejection", again)
	}
	if _, err := rv.Reject(ctx, "m1", "k1.en", "", "lead"); !errors.Is(err, voice.ErrDecided) {
		t.Errorf("rejecting twice = %v, want ErrDecided", err)
	}
}
