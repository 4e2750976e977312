package dynamo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// Agents of the tests: two of merchant m1 (one bilingual, one English only), one of m2, and the platform's.
var (
	alice = humanqueue.Agent{Tenant: "m1", Name: "alice", Languages: []contact.Locale{contact.Chinese, contact.English}}
	bob   = humanqueue.Agent{Tenant: "m1", Name: "bob", Languages: []contact.Locale{contact.English}}
	chen  = humanqueue.Agent{Tenant: "m2", Name: "chen", Languages: []contact.Locale{contact.Chinese, contact.English}}
	pat   = humanqueue.Agent{Tenant: humanqueue.Platform, Name: "pat", Languages: []contact.Locale{contact.Chinese, contact.English}}
)

var targets = humanqueue.DefaultTargets()

// queued is a contact of merchant m1 waiting in m1's queue of priority p since at, in English.
func queued(id string, p priority.Priority, at time.Time) contact.Record {
	return contact.Record{
		Contact: contact.Contact{ID: id, Merchant: "m1", Shopper: contact.Shopper{ID: "s-" + id, Tier: contact.Standard},
			Locale: contact.English, Channel: "web", Text: "help", ReceivedAt: at, TokenHash: "h"},
		Status: contact.Queued, Priority: p, Reasons: []string{"test"}, EnqueuedAt: at, UpdatedAt: at, Tenant: "m1",
	}
}

// queue puts records straight into their human queues.
func queue(t *testing.T, store *dynamo.Contacts, recs ...contact.Record) {
	t.Helper()
	if res := store.Settle(context.Background(), recs); len(res.Failed) > 0 {
		t.Fatalf("queue: %v", res.Failed)
	}
}

func newContacts(t *testing.T) *dynamo.Contacts {
	t.Helper()
	f := runner.Provisioned(t)
	return dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour) // longer than the oldest contact a test queues (61 minutes): TTL must not reap it mid-test
}

func claimID(t *testing.T, store *dynamo.Contacts, a humanqueue.Agent) string {
	t.Helper()
	r, lease, err := store.Claim(context.Background(), a, time.Minute, targets, 1)
	if err != nil {
		t.Fatalf("claim by %s: %v", a.Name, err)
	}
	// Free the lease slot at once: these tests are about order, not about the lease limit.
	if _, err := store.Reply(context.Background(), a, r.ID, lease.Token, "done", true); err != nil {
		t.Fatalf("reply by %s: %v", a.Name, err)
	}
	return r.ID
}

func TestPositionAndStats(t *testing.T) {
	s := newContacts(t)
	now := time.Now()
	recs := []contact.Record{
		queued("n1", priority.Normal, now.Add(-20*time.Minute)), // past the normal target
		queued("n2", priority.Normal, now.Add(-3*time.Minute)),
		queued("n3", priority.Normal, now.Add(-time.Minute)),
		queued("h1", priority.High, now.Add(-2*time.Minute)),
		queued("l1", priority.Low, now.Add(-30*time.Minute)),
	}
	other := queued("o1", priority.Urgent, now.Add(-time.Minute))
	other.Merchant, other.Tenant = "m2", "m2"
	queue(t, s, append(recs, other)...)
	tests := []struct {
		rec  contact.Record
		want int
	}{
		{recs[0], 1}, // the high one: m2's urgent contact is another tenant's queue
		{recs[1], 2}, // the high one and n1
		{recs[2], 3},
		{recs[3], 0},
		{recs[4], 4},
	}
	for _, tt := range tests {
		got, err := s.Position(context.Background(), tt.rec, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("position of %s = %d, want %d ahead", tt.rec.ID, got, tt.want)
		}
	}
	if _, _, err := s.Claim(context.Background(), alice, time.Minute, targets, 1); err != nil {
		t.Fatal(err)
	}
	stats, err := s.Stats(context.Background(), "m1", 1, targets)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]humanqueue.Stats{}
	for _, st := range stats {
		byName[st.Priority.String()] = st
	}
	// The claim took n1 (overdue comes first), so normal has 2 waiting, 1 claimed, none overdue.
	if n := byName["normal"]; n.Waiting != 2 || n.Claimed != 1 || n.Overdue != 0 || n.OldestWait < 3*time.Minute-time.Second {
		t.Errorf("normal queue = %+v, want 2 waiting, 1 claimed, 0 overdue, oldest about 3 min", n)
	}
	if h := byName["high"]; h.Waiting != 1 || h.Claimed != 0 {
		t.Errorf("high queue = %+v, want 1 waiting", h)
	}
	if u := byName["urgent"]; u.Waiting != 0 {
		t.Errorf("m1's urgent queue = %+v, want m2's contact not counted", u)
	}
	// The aging index sees every tenant: what the alarms watch.
	global, err := s.GlobalStats(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range global {
		if st.Priority == priority.Urgent && st.Waiting != 1 {
			t.Errorf("global urgent = %+v, want m2's contact", st)
		}
		if st.Priority == priority.Normal && (st.Waiting != 2 || st.Claimed != 1) {
			t.Errorf("global normal = %+v, want 2 waiting and 1 claimed", st)
		}
	}
}

// A call the SDK retries after DynamoDB applied it (its answer was lost) must not turn into a lease conflict.
func TestLeasedCallsSurviveARetryOfAnAppliedUpdate(t *testing.T) {
	s := newContacts(t)
	ctx := context.Background()
	now := time.Now()
	queue(t, s, queued("r1", priority.High, now.Add(-time.Minute)), queued("r2", priority.Normal, now))
	first, lease, err := s.Claim(ctx, alice, time.Minute, targets, 1)
	if err != nil || first.ID != "r1" {
		t.Fatalf("claim = %s, %v", first.ID, err)
	}
	for attempt := range 2 {
		if _, err := s.Reply(ctx, alice, "r1", lease.Token, "Done.", true); err != nil {
			t.Fatalf("reply attempt %d: %v", attempt+1, err)
		}
	}
	if _, err := s.Reply(ctx, alice, "r1", lease.Token, "A different answer.", true); !errors.Is(err, contact.ErrLease) {
		t.Errorf("a different reply on a resolved contact: err = %v, want ErrLease", err)
	}
	second, lease2, err := s.Claim(ctx, alice, time.Minute, targets, 1)
	if err != nil || second.ID != "r2" {
		t.Fatalf("claim = %s, %v", second.ID, err)
	}
	for attempt := range 2 {
		if _, err := s.Release(ctx, alice, "r2", lease2.Token); err != nil {
			t.Fatalf("release attempt %d: %v", attempt+1, err)
		}
	}
	third, lease3, err := s.Claim(ctx, alice, time.Minute, targets, 1)
	if err != nil || third.ID != "r2" {
		t.Fatalf("claim after release = %s, %v", third.ID, err)
	}
	if _, err := s.Escalate(ctx, alice, "r2", lease3.Token, priority.Urgent); err != nil {
		t.Fatalf("escalate: %v", err)
	}
	if r, _ := s.Get(ctx, "r2"); r.Priority != priority.Urgent || r.Status != contact.Queued {
		t.Errorf("after escalate: %s/%s, want queued/urgent", r.Status, r.Priority)
	}
}

// TestAgingPreventsStarvation: a contact past its priority's target is served before newer, higher-priority ones,
// as the store reads the queues (the rule itself is tested in humanqueue).
func TestAgingPreventsStarvation(t *testing.T) {
	now := time.Now()
	s := newContacts(t)
	queue(t, s,
		queued("urgent-new", priority.Urgent, now.Add(-10*time.Second)),
		queued("low-old", priority.Low, now.Add(-61*time.Minute)),
		queued("normal-old", priority.Normal, now.Add(-16*time.Minute)))
	var got []string
	for range 3 {
		got = append(got, claimID(t, s, alice))
	}
	if want := []string{"normal-old", "low-old", "urgent-new"}; !slices.Equal(got, want) {
		t.Errorf("claim order = %v, want %v", got, want)
	}
	if _, _, err := s.Claim(context.Background(), alice, time.Minute, targets, 1); !errors.Is(err, contact.ErrNotFound) {
		t.Errorf("claim with nothing waiting: %v, want ErrNotFound", err)
	}
}

// TestConcurrentAgentsNeverShareAContact: ten agents claiming at once each get a different contact.
func TestConcurrentAgentsNeverShareAContact(t *testing.T) {
	s := newContacts(t)
	for i := range 10 {
		queue(t, s, queued(fmt.Sprintf("c%02d", i), priority.Normal, time.Now().Add(-time.Duration(i)*time.Second)))
	}
	ids := make(chan string, 10)
	errs := make(chan error, 10)
	for i := range 10 {
		go func() {
			a := alice
			a.Name = fmt.Sprintf("agent%d", i)
			r, _, err := s.Claim(context.Background(), a, time.Minute, targets, 1)
			if err != nil {
				errs <- err
				return
			}
			ids <- r.ID
		}()
	}
	seen := map[string]bool{}
	for range 10 {
		select {
		case id := <-ids:
			if seen[id] {
				t.Errorf("contact %s handed to two agents", id)
			}
			seen[id] = true
		case err := <-errs:
			t.Errorf("claim: %v", err)
		}
	}
}

// Every route of the store answers only within the agent's tenant: another tenant's contact is not found.
func TestTenantsAreApart(t *testing.T) {
	ctx := context.Background()
	s := newContacts(t)
	now := time.Now()
	queue(t, s, queued("m1c", priority.Normal, now.Add(-time.Minute)))
	if _, _, err := s.Claim(ctx, chen, time.Minute, targets, 1); !errors.Is(err, contact.ErrNotFound) {
		t.Fatalf("m2's agent claimed from m1's queue: %v", err)
	}
	if _, _, err := s.Claim(ctx, pat, time.Minute, targets, 1); !errors.Is(err, contact.ErrNotFound) {
		t.Fatalf("the platform's agent claimed m1's routine hand-off: %v", err)
	}
	r, lease, err := s.Claim(ctx, alice, time.Minute, targets, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"view":     func() error { _, err := s.View(ctx, chen, r.ID, lease.Token); return err },
		"reply":    func() error { _, err := s.Reply(ctx, chen, r.ID, lease.Token, "mine now", true); return err },
		"release":  func() error { _, err := s.Release(ctx, chen, r.ID, lease.Token); return err },
		"extend":   func() error { _, err := s.Extend(ctx, chen, r.ID, lease.Token, time.Minute); return err },
		"escalate": func() error { _, err := s.Escalate(ctx, chen, r.ID, lease.Token, priority.Urgent); return err },
	} {
		if err := call(); !errors.Is(err, contact.ErrNotFound) {
			t.Errorf("%s by another tenant's agent with the right lease: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.View(ctx, alice, r.ID, "not-the-lease"); !errors.Is(err, contact.ErrNotFound) {
		t.Errorf("view without the lease: %v, want ErrNotFound", err)
	}
	if got, err := s.View(ctx, alice, r.ID, lease.Token); err != nil || got.Text != "help" {
		t.Errorf("view by the holder: %+v, %v", got, err)
	}
	fraud := queued("fraud1", priority.Urgent, now)
	fraud.Tenant = humanqueue.Platform
	queue(t, s, fraud)
	if got, _, err := s.Claim(ctx, pat, time.Minute, targets, 1); err != nil || got.ID != "fraud1" {
		t.Errorf("the platform's agent claimed %s, %v; want the platform's contact", got.ID, err)
	}
}

// A claim takes only a contact the agent can serve: its language, and a skill it has.
func TestClaimsFollowLanguagesAndSkills(t *testing.T) {
	ctx := context.Background()
	s := newContacts(t)
	now := time.Now()
	zh := queued("zh1", priority.Urgent, now.Add(-time.Minute))
	zh.Locale = contact.Chinese
	vip := queued("vip1", priority.Urgent, now.Add(-time.Minute))
	vip.Skill = "vip"
	queue(t, s, zh, vip, queued("en1", priority.Low, now))
	if got := claimID(t, s, bob); got != "en1" {
		t.Fatalf("the English-only agent without skills claimed %s, want the only English contact it may serve", got)
	}
	if _, _, err := s.Claim(ctx, bob, time.Minute, targets, 1); !errors.Is(err, contact.ErrNotFound) {
		t.Fatalf("the English-only agent claimed again: %v, want nothing it can serve", err)
	}
	withSkill := alice
	withSkill.Skills = []string{"vip"}
	got := []string{claimID(t, s, withSkill), claimID(t, s, withSkill)}
	slices.Sort(got)
	if !slices.Equal(got, []string{"vip1", "zh1"}) {
		t.Fatalf("the bilingual agent with the skill claimed %v", got)
	}
}

// An agent holds at most humanqueue.MaxLeases contacts; a reply frees a slot.
func TestLeaseLimit(t *testing.T) {
	ctx := context.Background()
	s := newContacts(t)
	for i := range humanqueue.MaxLeases + 2 {
		queue(t, s, queued(fmt.Sprintf("q%d", i), priority.Normal, time.Now().Add(-time.Duration(i)*time.Minute)))
	}
	var held []contact.Record
	var leases []humanqueue.Lease
	for range humanqueue.MaxLeases {
		r, l, err := s.Claim(ctx, alice, time.Minute, targets, 1)
		if err != nil {
			t.Fatal(err)
		}
		held, leases = append(held, r), append(leases, l)
	}
	if _, _, err := s.Claim(ctx, alice, time.Minute, targets, 1); !errors.Is(err, dynamo.ErrLeaseLimit) {
		t.Fatalf("claim number %d: %v, want ErrLeaseLimit", humanqueue.MaxLeases+1, err)
	}
	if _, err := s.Reply(ctx, alice, held[0].ID, leases[0].Token, "done", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Claim(ctx, alice, time.Minute, targets, 1); err != nil {
		t.Fatalf("claim after a reply freed a slot: %v", err)
	}
	if _, _, err := s.Claim(ctx, bob, time.Minute, targets, 1); err != nil {
		t.Fatalf("another agent of the tenant: %v", err)
	}
}

// A lease holds until its end and not a millisecond longer: before it, the agent acts and nobody else can claim;
// at its end the contact is back at its original place (its enqueue time), ahead of the seven queued after it,
// another agent claims it, and the old lease gets a conflict.
func TestLeaseExpiresBackToItsOriginalPlace(t *testing.T) {
	ctx := context.Background()
	s := newContacts(t)
	now := time.Now().Truncate(time.Millisecond)
	s.Now = func() time.Time { return now }
	queue(t, s, queued("first", priority.Normal, now.Add(-10*time.Minute)))
	held, lease, err := s.Claim(ctx, alice, time.Minute, targets, 1)
	if err != nil || held.ID != "first" {
		t.Fatalf("claim = %s, %v", held.ID, err)
	}
	for i := range 7 {
		queue(t, s, queued(fmt.Sprintf("later%d", i), priority.Normal, now.Add(-time.Duration(9-i)*time.Minute)))
	}
	now = lease.ExpiresAt.Add(-time.Millisecond)
	if r, _ := s.Get(ctx, "first"); r.Status != contact.Claimed {
		t.Fatalf("status while the lease holds = %s", r.Status)
	}
	if _, err := s.Extend(ctx, alice, "first", lease.Token, time.Millisecond); err != nil {
		t.Fatalf("the holder acts a millisecond before the end: %v", err)
	}
	now = lease.ExpiresAt // the extension by a millisecond kept the same end
	if r, _ := s.Get(ctx, "first"); r.Status != contact.Queued {
		t.Fatalf("status at the lease's end = %s, want queued", r.Status)
	}
	last, err := s.Get(ctx, "later6")
	if err != nil {
		t.Fatal(err)
	}
	// Positions count the contacts waiting ahead; one whose lease just ran out is not among them until it is
	// claimed again (a shopper's position is at most that many too low for a moment).
	if pos, err := s.Position(ctx, last, 1); err != nil || pos != 6 {
		t.Errorf("position of the last = %d, %v; want 6", pos, err)
	}
	next, _, err := s.Claim(ctx, bob, time.Minute, targets, 1)
	if err != nil || next.ID != "first" {
		t.Fatalf("claim at the lease's end = %s, %v; want first back at its place", next.ID, err)
	}
	if _, err := s.Reply(ctx, alice, "first", lease.Token, "late", true); !errors.Is(err, contact.ErrLease) && !errors.Is(err, contact.ErrNotFound) {
		t.Fatalf("reply with the expired lease: %v, want a lease conflict", err)
	}
}

// loseFirstAnswer forwards the first request for action to DynamoDB Local, throws its answer away and reports a
// broken connection: the SDK retries, as it does when an answer is lost on the way back.
type loseFirstAnswer struct {
	next   http.RoundTripper
	action string
	lost   atomic.Bool
}

func (l *loseFirstAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil && r.Header.Get("X-Amz-Target") == "DynamoDB_20120810."+l.action && l.lost.CompareAndSwap(false, true) {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("connection reset after the request was applied")
	}
	return resp, err
}

// A claim whose answer is lost is retried by the SDK and gets the same contact: the agent does not end up holding
// a second one it never saw.
func TestClaimRetriedAfterALostAnswerGetsTheSameContact(t *testing.T) {
	f := runner.Provisioned(t)
	lose := &loseFirstAnswer{next: http.DefaultTransport, action: "TransactWriteItems"}
	db := sdkconfig.DynamoDB(f.Config, emulators.DynamoOptions, func(o *dynamodb.Options) {
		o.HTTPClient = &http.Client{Transport: lose}
	})
	s := dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], time.Hour)
	now := time.Now()
	queue(t, s, queued("a1", priority.Normal, now.Add(-2*time.Minute)), queued("a2", priority.Normal, now.Add(-time.Minute)))
	r, lease, err := s.Claim(context.Background(), alice, time.Minute, targets, 1)
	if err != nil || r.ID != "a1" || !lose.lost.Load() {
		t.Fatalf("claim = %s, %v (answer lost: %v)", r.ID, err, lose.lost.Load())
	}
	if got, err := s.View(context.Background(), alice, "a1", lease.Token); err != nil || got.Status != contact.Claimed {
		t.Fatalf("the lease returned does not hold a1: %v", err)
	}
	if other, _ := s.Get(context.Background(), "a2"); other.Status != contact.Queued {
		t.Fatalf("a2 is %s after one claim, want still queued", other.Status)
	}
	_ = bytes.MinRead
}
