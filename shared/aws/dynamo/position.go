package dynamo

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/topology"
)

// PositionEntries bounds a queue snapshot: the first 500 entries of a partition (about 100 KB, 13 read units)
// are read, and a shopper further back is told "at least" that many ahead. Reading a whole deep queue per instance
// per PositionTTL was what broke first at the Double 11 profile (scripts/plan: 675,110 read units a second on one
// partition key, against DynamoDB's 3,000).
const PositionEntries = 500

// positionCache keeps, per priority, the sorted queue keys of one recent read of that queue. Counting the contacts
// ahead with a COUNT query per status poll costs DynamoDB a read of every entry ahead, per poll: in a surge the
// queues are thousands deep and shoppers poll every few seconds, so that cost grows with depth times polls
// (on DynamoDB Local it was 41 ms of CPU per query at 1,000 entries, and the local stack's limit). One read of
// each queue per PositionTTL, shared by every poll the instance serves, bounds it by the number of instances.
type positionCache struct {
	mu    sync.Mutex
	queue map[string]*queueSnapshot // by queue partition
}

type queueSnapshot struct {
	mu   sync.Mutex
	at   time.Time
	keys []string // sort keys (qs), ascending; at most PositionEntries of them, so a deeper position is "at least"
}

func (c *positionCache) of(qp string) *queueSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queue == nil {
		c.queue = map[string]*queueSnapshot{}
	}
	q, ok := c.queue[qp]
	if !ok {
		q = &queueSnapshot{}
		c.queue[qp] = q
	}
	return q
}

// snapshotCount counts the entries of queue partition qp before upTo from a snapshot at most s.PositionTTL old.
func (s *Contacts) snapshotCount(now time.Time) func(context.Context, string, string) (int, error) {
	return func(ctx context.Context, qp, upTo string) (int, error) {
		keys, err := s.queueKeys(ctx, qp, now)
		n, _ := slices.BinarySearch(keys, upTo)
		return n, err
	}
}

// queueKeys returns the sort keys of queue partition qp as read at most PositionTTL before now.
func (s *Contacts) queueKeys(ctx context.Context, qp string, now time.Time) ([]string, error) {
	q := s.positions.of(qp)
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
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(qp)},
		Limit:                     aws.Int32(PositionEntries),
	}
	keys := make([]string, 0, len(q.keys))
	err := eachPage(ctx, s.db, "read queue "+qp, in, 1, func(out *dynamodb.QueryOutput) error {
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
