package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
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
		Status: contact.Queued, Priority: p.String(), Reasons: []string{"test"}, EnqueuedAt: at, UpdatedAt: at,
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
	if _, _, err := s.Claim(context.Background(), "a", time.Minute, priority.DefaultTargets()); err != nil {
		t.Fatal(err)
	}
	stats, err := s.Stats(context.Background(), priority.DefaultTargets())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]dynamo.QueueStats{}
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
	first, lease, err := s.Claim(ctx, "a", time.Minute, priority.DefaultTargets())
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
	second, lease2, err := s.Claim(ctx, "a", time.Minute, priority.DefaultTargets())
	if err != nil || second.ID != "r2" {
		t.Fatalf("claim = %s, %v", second.ID, err)
	}
	for attempt := range 2 {
		if _, err := s.Release(ctx, "r2", lease2.Token); err != nil {
			t.Fatalf("release attempt %d: %v", attempt+1, err)
		}
	}
	third, lease3, err := s.Claim(ctx, "a", time.Minute, priority.DefaultTargets())
	if err != nil || third.ID != "r2" {
		t.Fatalf("claim after release = %s, %v", third.ID, err)
	}
	if _, err := s.Escalate(ctx, "r2", lease3.Token, priority.Urgent, "a"); err != nil {
		t.Fatalf("escalate: %v", err)
	}
	if r, _ := s.Get(ctx, "r2"); r.Priority != "urgent" || r.Status != contact.Queued {
		t.Errorf("after escalate: %s/%s, want queued/urgent", r.Status, r.Priority)
	}
}
