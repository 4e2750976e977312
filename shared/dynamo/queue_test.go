package dynamo_test

import (
	"context"
	"testing"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/dynamo"
	"breakwater/shared/localenv"
	"breakwater/shared/localstack"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func TestMain(m *testing.M) { localenv.Main(m) }

func queued(id string, p priority.Priority, at time.Time) contact.Record {
	return contact.Record{
		Contact: contact.Contact{ID: id, Merchant: "m1", Shopper: contact.Shopper{ID: "s-" + id, Tier: contact.Standard},
			Locale: contact.English, Channel: "web", Text: "help", ReceivedAt: at, TokenHash: "h"},
		Status: contact.Queued, Priority: p.String(), Reasons: []string{"test"}, EnqueuedAt: at, UpdatedAt: at,
	}
}

func TestPositionAndStats(t *testing.T) {
	f := localstack.Provisioned(t)
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
