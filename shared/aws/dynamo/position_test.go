package dynamo_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// countingDB is the real DynamoDB Local client, counting queries.
type countingDB struct {
	*dynamodb.Client
	queries atomic.Int64
}

func (c *countingDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	return c.Client.Query(ctx, in, opts...)
}

// With PositionTTL, positions are the exact ones as of a read of each queue at most that old, and many polls share one read.
func TestPositionFromSnapshots(t *testing.T) {
	f := runner.Provisioned(t)
	db := &countingDB{Client: f.DynamoDB}
	s := dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], time.Hour)
	s.PositionTTL = 2 * time.Second
	now := time.Now()
	s.Now = func() time.Time { return now }
	recs := []contact.Record{
		queued("n1", priority.Normal, now.Add(-20*time.Minute)),
		queued("n2", priority.Normal, now.Add(-3*time.Minute)),
		queued("n3", priority.Normal, now.Add(-time.Minute)),
		queued("h1", priority.High, now.Add(-2*time.Minute)),
		queued("l1", priority.Low, now.Add(-30*time.Minute)),
	}
	if res := s.Settle(context.Background(), recs); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	positions := func() []int {
		var got []int
		for _, r := range recs {
			n, err := s.Position(context.Background(), r, 1)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
		}
		return got
	}
	check := func(what string, got, want []int) {
		t.Helper()
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: position of %s = %d, want %d ahead", what, recs[i].ID, got[i], want[i])
			}
		}
	}
	db.queries.Store(0)
	check("first read", positions(), []int{1, 2, 3, 0, 4})
	for range 10 {
		positions()
	}
	// Four queues (urgent, high, normal, low), one read each, for 55 positions.
	if got, want := db.queries.Load(), int64(4); got != want {
		t.Errorf("queries for 55 positions within the TTL = %d, want %d (one per queue)", got, want)
	}

	// A contact queued ahead shows only after the TTL.
	urgent := queued("u1", priority.Urgent, now.Add(-time.Second))
	if res := s.Settle(context.Background(), []contact.Record{urgent}); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	check("within the TTL", positions(), []int{1, 2, 3, 0, 4})
	now = now.Add(2 * time.Second)
	check("after the TTL", positions(), []int{2, 3, 4, 1, 5})
}

// A queue deeper than PositionEntries costs one bounded read: a shopper further back hears "at least" that many.
func TestPositionInADeepQueueIsAtLeastTheSnapshot(t *testing.T) {
	f := runner.Provisioned(t)
	db := &countingDB{Client: f.DynamoDB}
	s := dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], time.Hour)
	s.PositionTTL = time.Minute
	now := time.Now()
	s.Now = func() time.Time { return now }
	n := dynamo.PositionEntries + 30
	recs := make([]contact.Record, n)
	for i := range recs {
		recs[i] = queued(fmt.Sprintf("d%04d", i), priority.Normal, now.Add(-time.Hour+time.Duration(i)*time.Second))
	}
	for i := 0; i < n; i += 100 {
		if res := s.Settle(context.Background(), recs[i:min(n, i+100)]); len(res.Failed) > 0 {
			t.Fatal(res.Failed)
		}
	}
	db.queries.Store(0)
	for _, tc := range []struct{ i, want int }{{10, 10}, {dynamo.PositionEntries - 1, dynamo.PositionEntries - 1}, {n - 1, dynamo.PositionEntries}} {
		got, err := s.Position(context.Background(), recs[tc.i], 1)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("position of the %dth = %d, want %d", tc.i, got, tc.want)
		}
	}
	// One bounded read of each partition the position counts (normal, and high and urgent ahead of it), shared by
	// the three polls.
	if q := db.queries.Load(); q != 3 {
		t.Errorf("queries = %d, want 3", q)
	}
}
