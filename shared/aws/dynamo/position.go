package dynamo

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// positionCache keeps, per priority, the sorted queue keys of one recent read of that queue. Counting the contacts
// ahead with a COUNT query per status poll costs DynamoDB a read of every entry ahead, per poll: in a surge the
// queues are thousands deep and shoppers poll every few seconds, so that cost grows with depth times polls
// (on DynamoDB Local it was 41 ms of CPU per query at 1,000 entries, and the local stack's limit). One read of
// each queue per PositionTTL, shared by every poll the instance serves, bounds it by the number of instances.
type positionCache struct {
	mu    sync.Mutex
	queue map[priority.Priority]*queueSnapshot
}

type queueSnapshot struct {
	mu   sync.Mutex
	at   time.Time
	keys []string // sort keys (qs), ascending; at most maxCountPages of them, so a deeper position is "at least"
}

func (c *positionCache) of(p priority.Priority) *queueSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queue == nil {
		c.queue = map[priority.Priority]*queueSnapshot{}
	}
	q, ok := c.queue[p]
	if !ok {
		q = &queueSnapshot{}
		c.queue[p] = q
	}
	return q
}

// snapshotCount counts the entries of p's queue before upTo from a snapshot at most s.PositionTTL old.
func (s *Contacts) snapshotCount(now time.Time) func(context.Context, priority.Priority, string) (int, error) {
	return func(ctx context.Context, p priority.Priority, upTo string) (int, error) {
		keys, err := s.queueKeys(ctx, p, now)
		n, _ := slices.BinarySearch(keys, upTo)
		return n, err
	}
}

// queueKeys returns the sort keys of priority p's queue as read at most PositionTTL before now.
func (s *Contacts) queueKeys(ctx context.Context, p priority.Priority, now time.Time) ([]string, error) {
	q := s.positions.of(p)
	q.mu.Lock() // one read per queue at a time; concurrent polls wait for it and share it
	defer q.mu.Unlock()
	if !q.at.IsZero() && now.Sub(q.at) < s.PositionTTL {
		return q.keys, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(topology.QueueIndex),
		KeyConditionExpression:    aws.String("qp = :p"),
		ProjectionExpression:      aws.String("qs"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(p.String())},
	}
	keys := make([]string, 0, len(q.keys))
	err := eachPage(ctx, s.db, fmt.Sprintf("read %s queue", p), in, maxCountPages, func(out *dynamodb.QueryOutput) error {
		for _, it := range out.Items {
			if qs, ok := it["qs"].(*types.AttributeValueMemberS); ok {
				keys = append(keys, qs.Value)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(keys) // already in index order; sorting guards the binary search
	q.keys, q.at = keys, now
	return keys, nil
}
