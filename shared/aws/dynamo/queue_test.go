package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func TestMain(m *testing.M) { emulators.Main(m) }

func queued(id string, p priority.Priority, at time.Time) contact.Record {
	return contact.Record{
		Contact: contact.Contact{ID: id, Merchant: "m1", Shopper: contact.Shopper{ID: "s-" + id, Tier: contact.Standard},
			Locale: contact.English, Channel: "web", Text: "help", ReceivedAt: at, TokenHash: "h"},
		Status: contact.Queued, Priority: p, Reasons: []string{"test"}, EnqueuedAt: at, UpdatedAt: at,
	}
}

func TestPositionAndStats(t *testing.T) {
	f := runner.Provisioned(t)
	s := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], time.Hour)
	now := time.Now()
	recs := []contact.Record{
		queued("n1", priority.Normal, now.Add(-20*time.Minute)), // past the normal target
		queued("n2", priority.Normal, now.Add(-3*time.Minute)),
		queued("n3", priority.Normal, now.Add(-time.Minute)),
		queued("h1", priority.High, now.Add(-2*time.Minute)),
		queued("l1", priority.Low, now.Add(-30*time.Minute)),
	}
	if res := s.Settle(context.Background(), recs); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	tests := []struct {
		rec  contact.Record
		want int
	}{
		{recs[0], 1}, // the high one
		{recs[1], 2}, // the high one and n1
		{recs[2], 3},
		{recs[3], 0},
		{recs[4], 4},
	}
	for _, tt := range tests {
		got, err := s.Position(context.Background(), tt.rec)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("position of %s = %d, want %d ahead", tt.rec.ID, got, tt.want)
		}
	}
	if _, _, err := s.Claim(context.Background(), "a", time.Minute, humanqueue.DefaultTargets()); err != nil {
		t.Fatal(err)
	}
	stats, err := s.Stats(context.Background(), humanqueue.DefaultTargets())
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
}

// A call the SDK retries after DynamoDB applied it (its answer was lost) must not turn into a lease conflict.
func TestLeasedCallsSurviveARetryOfAnAppliedUpdate(t *testing.T) {
	f := runner.Provisioned(t)
	s := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], time.Hour)
	ctx := context.Background()
	now := time.Now()
	recs := []contact.Record{queued("r1", priority.High, now.Add(-time.Minute)), queued("r2", priority.Normal, now)}
	if res := s.Settle(ctx, recs); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	first, lease, err := s.Claim(ctx, "a", time.Minute, humanqueue.DefaultTargets())
	if err != nil || first.ID != "r1" {
		t.Fatalf("claim = %s, %v", first.ID, err)
	}
	for attempt := range 2 {
		if _, err := s.Reply(ctx, "r1", lease.Token, "a", "Done."); err != nil {
			t.Fatalf("reply attempt %d: %v", attempt+1, err)
		}
	}
	if _, err := s.Reply(ctx, "r1", lease.Token, "a", "A different answer."); !errors.Is(err, contact.ErrLease) {
		t.Errorf("a different reply on a resolved contact: err = %v, want ErrLease", err)
	}
	second, lease2, err := s.Claim(ctx, "a", time.Minute, humanqueue.DefaultTargets())
	if err != nil || second.ID != "r2" {
		t.Fatalf("claim = %s, %v", second.ID, err)
	}
	for attempt := range 2 {
		if _, err := s.Release(ctx, "r2", lease2.Token); err != nil {
			t.Fatalf("release attempt %d: %v", attempt+1, err)
		}
	}
	third, lease3, err := s.Claim(ctx, "a", time.Minute, humanqueue.DefaultTargets())
	if err != nil || third.ID != "r2" {
		t.Fatalf("claim after release = %s, %v", third.ID, err)
	}
	if _, err := s.Escalate(ctx, "r2", lease3.Token, priority.Urgent, "a"); err != nil {
		t.Fatalf("escalate: %v", err)
	}
	if r, _ := s.Get(ctx, "r2"); r.Priority != priority.Urgent || r.Status != contact.Queued {
		t.Errorf("after escalate: %s/%s, want queued/urgent", r.Status, r.Priority)
	}
}

// queue puts a contact straight into a human queue, enqueued at the given time.
func queue(t *testing.T, store *dynamo.Contacts, id string, p priority.Priority, at time.Time) {
	t.Helper()
	if res := store.Settle(context.Background(), []contact.Record{queued(id, p, at)}); len(res.Failed) > 0 {
		t.Fatalf("queue %s: %v", id, res.Failed)
	}
}

func newContacts(t *testing.T) *dynamo.Contacts {
	t.Helper()
	f := runner.Provisioned(t)
	return dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], time.Hour)
}

func claimID(t *testing.T, store *dynamo.Contacts) string {
	t.Helper()
	r, _, err := store.Claim(context.Background(), "a1", time.Minute, humanqueue.DefaultTargets())
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return r.ID
}

// TestAgingPreventsStarvation: a contact past its priority's target is served before newer, higher-priority ones.
func TestAgingPreventsStarvation(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		queue func(t *testing.T, s *dynamo.Contacts)
		order []string
	}{
		{"priority first while everyone is within target", func(t *testing.T, s *dynamo.Contacts) {
			queue(t, s, "low-new", priority.Low, now.Add(-time.Minute))
			queue(t, s, "normal-new", priority.Normal, now.Add(-2*time.Minute))
			queue(t, s, "urgent-new", priority.Urgent, now.Add(-10*time.Second))
			queue(t, s, "high-new", priority.High, now.Add(-time.Minute))
		}, []string{"urgent-new", "high-new", "normal-new", "low-new"}},
		{"an hour-old low contact goes before a new urgent one", func(t *testing.T, s *dynamo.Contacts) {
			queue(t, s, "urgent-new", priority.Urgent, now.Add(-10*time.Second))
			queue(t, s, "low-old", priority.Low, now.Add(-61*time.Minute))
			queue(t, s, "normal-old", priority.Normal, now.Add(-16*time.Minute))
		}, []string{"normal-old", "low-old", "urgent-new"}},
		{"within one priority, longest wait first", func(t *testing.T, s *dynamo.Contacts) {
			queue(t, s, "high-2", priority.High, now.Add(-2*time.Minute))
			queue(t, s, "high-1", priority.High, now.Add(-3*time.Minute))
		}, []string{"high-1", "high-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newContacts(t)
			tt.queue(t, store)
			var got []string
			for range tt.order {
				got = append(got, claimID(t, store))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.order) {
				t.Errorf("claim order = %v, want %v", got, tt.order)
			}
			if _, _, err := store.Claim(context.Background(), "a1", time.Minute, humanqueue.DefaultTargets()); err == nil {
				t.Errorf("a claim with every contact held succeeded")
			}
		})
	}
}

// TestConcurrentAgentsNeverShareAContact: ten agents claiming at once each get a different contact.
func TestConcurrentAgentsNeverShareAContact(t *testing.T) {
	store := newContacts(t)
	for i := range 10 {
		queue(t, store, fmt.Sprintf("c%02d", i), priority.Normal, time.Now().Add(-time.Duration(i)*time.Second))
	}
	ids := make(chan string, 10)
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			r, _, err := store.Claim(context.Background(), "a", time.Minute, humanqueue.DefaultTargets())
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

// A lease holds until its end and not a millisecond longer: before it, the agent acts and nobody else can claim;
// at its end the contact is queued again, another agent claims it, and the old lease gets a conflict.
func TestLeaseExpiresAtItsEnd(t *testing.T) {
	ctx := context.Background()
	store := newContacts(t)
	now := time.Now().Truncate(time.Millisecond)
	store.Now = func() time.Time { return now }
	queue(t, store, "l1", priority.Normal, now.Add(-time.Minute))
	first, lease, err := store.Claim(ctx, "a", time.Minute, humanqueue.DefaultTargets())
	if err != nil || first.ID != "l1" {
		t.Fatalf("claim = %s, %v", first.ID, err)
	}
	now = lease.ExpiresAt.Add(-time.Millisecond)
	if _, _, err := store.Claim(ctx, "b", time.Minute, humanqueue.DefaultTargets()); !errors.Is(err, contact.ErrNotFound) {
		t.Fatalf("claim by another agent while the lease holds: %v, want nothing to claim", err)
	}
	if r, _ := store.Get(ctx, "l1"); r.Status != contact.Claimed {
		t.Fatalf("status while the lease holds = %s", r.Status)
	}
	if _, err := store.Extend(ctx, "l1", lease.Token, time.Millisecond); err != nil {
		t.Fatalf("the holder acts a millisecond before the end: %v", err)
	}
	now = lease.ExpiresAt // the extension by a millisecond kept the same end
	if r, _ := store.Get(ctx, "l1"); r.Status != contact.Queued {
		t.Fatalf("status at the lease's end = %s, want queued", r.Status)
	}
	second, _, err := store.Claim(ctx, "b", time.Minute, humanqueue.DefaultTargets())
	if err != nil || second.ID != "l1" {
		t.Fatalf("claim at the lease's end = %s, %v; want l1", second.ID, err)
	}
	if _, err := store.Reply(ctx, "l1", lease.Token, "a", "late"); !errors.Is(err, contact.ErrLease) {
		t.Fatalf("reply with the expired lease: %v, want ErrLease", err)
	}
}
