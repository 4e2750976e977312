package voice

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"breakwater/shared/contact"
)

// day1 is the first day of history in these tests; the window under test is a week later, 10:00 to 11:00 UTC.
var day1 = time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)

func rowsOf(t *testing.T, group string) []fixtureRow {
	t.Helper()
	var out []fixtureRow
	for _, r := range readFixture(t, "fixture.jsonl") {
		if r.Group == group {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no fixture rows of %s", group)
	}
	return out
}

// voicesAt makes n hand-offs of group's fixture messages, spread over the hour from at.
func voicesAt(t *testing.T, merchant, group string, at time.Time, n int, offset int) []Voice {
	rows := rowsOf(t, group)
	out := make([]Voice, n)
	for i := range out {
		r := rows[(offset+i)%len(rows)]
		out[i] = Voice{ID: fmt.Sprintf("%s-%s-%d-%d", group, at.Format("0102T15"), offset, i), Merchant: merchant,
			At: at.Add(time.Duration(i) * time.Hour / time.Duration(n+1)), Locale: r.Locale, Kind: HandedOff,
			Reasons: []string{"no.match"}, Text: Mask(r.Text)}
	}
	return out
}

var testRouting = Routing{
	Merchant: "m1",
	Owners: []Owner{
		{ID: "ops", Kind: SNS, Target: "arn:aws:sns:us-east-1:123456789012:ops", Locale: "zh-CN", TimeZone: "Asia/Shanghai"},
		{ID: "logistics", Kind: Email, Target: "logistics@m1.example", Locale: "en", TimeZone: "Europe/London"},
		{ID: "web", Kind: Webhook, Target: "https://hooks.m1.example/voice"},
	},
	Rules: []Rule{
		{Name: "stuck parcels", When: Match{Keywords: []string{"chengdu", "成都", "stuck", "卡"}}, Owner: "logistics"},
		{Name: "app", When: Match{Keywords: []string{"app", "闪退", "crash"}}, Owner: "web"},
	},
	Default: "ops",
}

func newRunner(s *MemStore, box *outbox, now *time.Time, bg []string) *Runner {
	return &Runner{Store: s, Send: box, Grouper: NewGrouper(bg), Thresholds: DefaultThresholds, Gaps: DefaultGaps,
		DefaultOwner: Owner{ID: "platform", Kind: SNS, Target: "arn:aws:sns:us-east-1:123456789012:voice"},
		Now:          func() time.Time { return *now }, Contacts: records(nil)}
}

// A week of a steady problem (about 12 an hour) and a rare one (about 1 an hour); then the rare one jumps to 40.
func seedWeek(t *testing.T, s *MemStore) time.Time {
	ctx := context.Background()
	for d := 0; d < BaselineDays; d++ {
		at := day1.Add(time.Duration(d) * 24 * time.Hour)
		vs := append(voicesAt(t, "m1", "sms.code", at, 11+d%3, d*13), voicesAt(t, "m1", "carrier.stuck.chengdu", at, d%2+1, d*7)...)
		if err := s.PutVoices(ctx, vs); err != nil {
			t.Fatal(err)
		}
	}
	s.NoteMerchants(ctx, map[string]time.Time{"m1": day1})
	s.routing["m1"] = testRouting
	window := day1.Add(BaselineDays * 24 * time.Hour)
	s.PutVoices(ctx, append(voicesAt(t, "m1", "sms.code", window, 14, 200), voicesAt(t, "m1", "carrier.stuck.chengdu", window, 40, 100)...))
	return window
}

func problemOf(mr MerchantReport, group string, rows map[string]bool) (Problem, bool) {
	for _, p := range mr.Problems {
		for _, e := range p.Examples {
			if rows[e] {
				return p, true
			}
		}
	}
	return Problem{}, false
}

func textsOf(t *testing.T, group string) map[string]bool {
	m := map[string]bool{}
	for _, r := range rowsOf(t, group) {
		m[Mask(r.Text)] = true
	}
	return m
}

func TestSpikeIsDetectedAndRoutedSteadyIsNot(t *testing.T) {
	s, box := NewMemStore(), &outbox{}
	window := seedWeek(t, s)
	now := window.Add(time.Hour + 5*time.Minute)
	r := newRunner(s, box, &now, background(t))
	rep, err := r.Run(context.Background(), Options{From: window, To: window.Add(time.Hour), Hourly: true, Notify: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Merchants) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	mr := rep.Merchants[0]
	stuck, ok := problemOf(mr, "carrier.stuck.chengdu", textsOf(t, "carrier.stuck.chengdu"))
	if !ok {
		t.Fatalf("no problem for the stuck parcels in %+v", mr.Problems)
	}
	steady, ok := problemOf(mr, "sms.code", textsOf(t, "sms.code"))
	if !ok {
		t.Fatalf("no problem for the verification codes in %+v", mr.Problems)
	}
	t.Logf("stuck: %d (baseline %.1f over %d days) spike=%v owner=%s label=%q", stuck.Count, stuck.Baseline, stuck.Days, stuck.Spike, stuck.Owner, stuck.Label)
	t.Logf("steady: %d (baseline %.1f over %d days) spike=%v owner=%s label=%q", steady.Count, steady.Baseline, steady.Days, steady.Spike, steady.Owner, steady.Label)
	if !stuck.Spike || stuck.Count < 35 || stuck.Baseline > 3 || stuck.Days != BaselineDays {
		t.Errorf("stuck parcels: count %d, baseline %.1f over %d days, spike %v; want a spike of about 40 over a baseline of 1-2 over 7 days",
			stuck.Count, stuck.Baseline, stuck.Days, stuck.Spike)
	}
	if steady.Spike || steady.Baseline < 8 {
		t.Errorf("verification codes: count %d, baseline %.1f, spike %v; want steady (baseline about 12), no spike", steady.Count, steady.Baseline, steady.Spike)
	}
	if got, want := stuck.Owner, "logistics"; got != want {
		t.Errorf("stuck parcels owner = %s, want %s", got, want)
	}
	if got, want := steady.Owner, "ops"; got != want {
		t.Errorf("verification codes owner = %s, want %s (the default)", got, want)
	}
	if got, want := box.kinds(), []string{"spike->logistics"}; !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	m := box.sent[0].m
	for _, want := range []string{"Spike", "m1", fmt.Sprint(stuck.Count), "«", stuck.ID} {
		if !strings.Contains(m.Subject+m.Text, want) {
			t.Errorf("alert lacks %q:\n%s\n%s", want, m.Subject, m.Text)
		}
	}
	for _, line := range strings.Split(m.Text, "\n") {
		if strings.Contains(line, "«") {
			if l := leaks(line); len(l) > 0 {
				t.Errorf("alert example %q leaks %v", line, l)
			}
		}
	}

	// The next hour the problem goes on at the same level: one spike, one alert.
	next := window.Add(time.Hour)
	s.PutVoices(context.Background(), voicesAt(t, "m1", "carrier.stuck.chengdu", next, 45, 300))
	now = next.Add(time.Hour + 5*time.Minute)
	rep, err = r.Run(context.Background(), Options{From: next, To: next.Add(time.Hour), Hourly: true, Notify: true})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := problemOf(rep.Merchants[0], "carrier.stuck.chengdu", textsOf(t, "carrier.stuck.chengdu"))
	if again.ID != stuck.ID {
		t.Errorf("the stuck parcels are %s this hour, %s the hour before: want one id", again.ID, stuck.ID)
	}
	if got := len(box.sent); got != 1 {
		t.Errorf("sent %v after the second hour, want the first alert only (cooldown)", box.kinds())
	}
}

func TestResolvedProblemComingBackIsARegression(t *testing.T) {
	s, box := NewMemStore(), &outbox{}
	window := seedWeek(t, s)
	now := window.Add(time.Hour + 5*time.Minute)
	r := newRunner(s, box, &now, background(t))
	ctx := context.Background()
	rep, err := r.Run(ctx, Options{From: window, To: window.Add(time.Hour), Hourly: true})
	if err != nil {
		t.Fatal(err)
	}
	stuck, _ := problemOf(rep.Merchants[0], "carrier.stuck.chengdu", textsOf(t, "carrier.stuck.chengdu"))
	c := s.clusters["m1/"+stuck.ID]
	c.Status, c.StatusAt, c.StatusBy = Resolved, now, "logistics-lead"
	s.PutClusters(ctx, []Cluster{c})

	later := window.Add(3 * time.Hour)
	s.PutVoices(ctx, voicesAt(t, "m1", "carrier.stuck.chengdu", later, 5, 400))
	now = later.Add(time.Hour + 5*time.Minute)
	rep, err = r.Run(ctx, Options{From: later, To: later.Add(time.Hour), Hourly: true, Notify: true})
	if err != nil {
		t.Fatal(err)
	}
	back, _ := problemOf(rep.Merchants[0], "carrier.stuck.chengdu", textsOf(t, "carrier.stuck.chengdu"))
	if back.ID != stuck.ID || !back.Regression || back.Status != Open {
		t.Errorf("problem %s: regression %v, status %s; want %s flagged as a regression and open again", back.ID, back.Regression, back.Status, stuck.ID)
	}
	if got, want := box.kinds(), []string{"regression->logistics"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	if stored := s.clusters["m1/"+stuck.ID]; !stored.Regression || stored.Status != Open {
		t.Errorf("stored cluster = %+v, want the regression kept", stored)
	}
}

func TestDigestComesAtNineLocalTimeInTheOwnersLanguage(t *testing.T) {
	s, box := NewMemStore(), &outbox{}
	window := seedWeek(t, s)
	ctx := context.Background()
	// A new problem for the default owner: coupons failing.
	s.PutVoices(ctx, voicesAt(t, "m1", "coupon.invalid", window, 20, 0))
	now := window.Add(time.Hour + 5*time.Minute)
	r := newRunner(s, box, &now, background(t))
	if _, err := r.Run(ctx, Options{From: window, To: window.Add(time.Hour), Hourly: true}); err != nil {
		t.Fatal(err)
	}
	// 01:05 UTC is 09:05 in Shanghai (ops) and 01:05 in London (logistics).
	now = time.Date(2026, 11, 12, 1, 5, 0, 0, time.UTC)
	from := now.Truncate(time.Hour).Add(-time.Hour)
	if _, err := r.Run(ctx, Options{From: from, To: from.Add(time.Hour), Hourly: true, Digest: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := box.kinds(), []string{"digest->ops"}; !slices.Equal(got, want) {
		t.Fatalf("sent %v at 09:05 Shanghai, want %v", got, want)
	}
	zh := box.sent[0].m
	// 09:05 in London: logistics gets its digest, ops not a second one.
	now = time.Date(2026, 11, 12, 9, 5, 0, 0, time.UTC)
	from = now.Truncate(time.Hour).Add(-time.Hour)
	if _, err := r.Run(ctx, Options{From: from, To: from.Add(time.Hour), Hourly: true, Digest: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := box.kinds(), []string{"digest->ops", "digest->logistics"}; !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	en := box.sent[1].m
	t.Logf("zh-CN digest:\n%s\n%s", zh.Subject, zh.Text)
	t.Logf("en digest:\n%s\n%s", en.Subject, en.Text)
	for _, c := range []struct {
		m     Message
		wants []string
	}{
		{zh, []string{"客户之声", "次咨询", "近 24 小时", "«", "1. ", "新问题", "优惠券"}},
		{en, []string{"Voice of the customer", "contacts", "usually 1.", "last 24 h", "«", "1. "}},
	} {
		for _, want := range c.wants {
			if !strings.Contains(c.m.Subject+c.m.Text, want) {
				t.Errorf("%s digest lacks %q", c.m.Subject, want)
			}
		}
		for _, line := range strings.Split(c.m.Text, "\n") {
			if strings.Contains(line, "«") {
				if l := leaks(line); len(l) > 0 {
					t.Errorf("digest example %q leaks %v", line, l)
				}
			}
		}
		if strings.Count(c.m.Text, "«") > 3*DigestSize {
			t.Errorf("digest has more than three examples per problem")
		}
	}
	// The stuck parcels are logistics', so they are in its digest and not in the default owner's.
	if !strings.Contains(en.Text, "Chengdu") {
		t.Errorf("logistics digest lacks the stuck parcels:\n%s", en.Text)
	}
	if strings.Contains(zh.Text, "成都") && strings.Contains(zh.Text, "卡住") {
		t.Errorf("ops digest has the stuck parcels, which are logistics':\n%s", zh.Text)
	}
}

func TestGatherMasksAndSkipsUnsettled(t *testing.T) {
	s, box := NewMemStore(), &outbox{}
	now := day1.Add(time.Hour)
	r := newRunner(s, box, &now, nil)
	at := day1.Add(10 * time.Minute)
	rec := func(id string, st contact.Status, text string) contact.Record {
		return contact.Record{Contact: contact.Contact{ID: id, Merchant: "m1", Locale: contact.English, Text: text, ReceivedAt: at},
			Status: st, UpdatedAt: at, AnsweredBy: map[contact.Status]string{contact.Answered: "bot", contact.Resolved: "anna"}[st],
			Answer: "Your order ships tomorrow, Anna. Call 138 0013 8000 if not.", Reasons: []string{"no.match"}}
	}
	r.Contacts = records{
		rec("c1", contact.Answered, "where is order 2026111048213"),
		rec("c2", contact.Queued, "my email is anna@example.com and SAVE20 fails"),
		rec("c3", contact.Resolved, "My name is Anna Lee, coupon broken"),
		rec("c4", contact.Pending, "not yet decided"),
		rec("c5", contact.Rejected, "bad"),
	}
	n, err := r.Gather(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("gathered %d, %v; want 3", n, err)
	}
	for _, v := range s.voices {
		if l := leaks(v.Text + " " + v.Reply); len(l) > 0 || strings.Contains(v.Text+v.Reply, "Anna") {
			t.Errorf("stored voice %+v leaks %v", v, l)
		}
	}
	if got := s.voices["m1/c3"].Reply; got == "" {
		t.Errorf("the agent's reply was not kept")
	}
	if !s.mark.Equal(now) {
		t.Errorf("watermark = %v, want %v", s.mark, now)
	}
	if _, ok := s.merchants["m1"]; !ok {
		t.Errorf("merchant m1 not noted")
	}
}

func TestRunRejectsBadWindows(t *testing.T) {
	s := NewMemStore()
	now := day1
	r := newRunner(s, &outbox{}, &now, nil)
	for _, o := range []Options{
		{From: day1, To: day1},
		{From: day1.Add(time.Minute), To: day1.Add(61 * time.Minute), Hourly: true},
		{From: day1, To: day1.Add(2 * time.Hour), Hourly: true},
	} {
		if _, err := r.Run(context.Background(), o); err == nil {
			t.Errorf("Run(%+v) succeeded, want an error", o)
		}
	}
}

// A quiet hour costs a quiet merchant two reads and a write: its routing, its hour's voices, the empty count.
func TestQuietHourIsRecordedEmpty(t *testing.T) {
	s := NewMemStore()
	s.NoteMerchants(context.Background(), map[string]time.Time{"m1": day1})
	s.routing["m1"] = testRouting
	now := time.Date(2026, 11, 11, 13, 5, 0, 0, time.UTC) // 21:05 Shanghai, 13:05 London, 05:05 LA: no digest due
	r := newRunner(s, &outbox{}, &now, nil)
	from := now.Truncate(time.Hour).Add(-time.Hour)
	rep, err := r.Run(context.Background(), Options{From: from, To: from.Add(time.Hour), Hourly: true, Notify: true, Digest: true})
	if err != nil || len(rep.Merchants) != 0 {
		t.Fatalf("report %+v, %v; want nothing", rep, err)
	}
	h, ok := s.hours["m1/"+from.Format(time.RFC3339)]
	if !ok || len(h.Counts) != 0 || h.Total != 0 {
		t.Errorf("hour %s = %+v (%v), want recorded and empty", from, h, ok)
	}
	if len(s.hours) != 1 {
		t.Errorf("%d hours written, want only the quiet one (no backfill for a quiet hour)", len(s.hours))
	}
}
