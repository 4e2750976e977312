package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// claimCandidates is how many heads per priority a claim reads; more than one so concurrent agents rarely collide.
const claimCandidates = 5

// Claim gives agent the contact to serve next: past-target contacts first, then by priority, then by wait.
// It returns contact.ErrNotFound when nothing waits.
func (s *Contacts) Claim(ctx context.Context, agent string, hold time.Duration, targets humanqueue.Targets) (contact.Record, humanqueue.Lease, error) {
	for range 3 {
		now := s.Now()
		heads, err := s.heads(ctx, now)
		if err != nil {
			return contact.Record{}, humanqueue.Lease{}, err
		}
		if len(heads) == 0 {
			return contact.Record{}, humanqueue.Lease{}, contact.ErrNotFound
		}
		waiting := make([]humanqueue.Waiting, 0, len(heads))
		byID := make(map[string]contactItem, len(heads))
		for _, h := range heads {
			p, err := priority.ParseQueue(h.QP)
			if err != nil {
				// Not a queue this code wrote: leave it for a person to look at rather than guess its place.
				return contact.Record{}, humanqueue.Lease{}, fmt.Errorf("claim: contact %s in queue %q: %w", h.ID, h.QP, err)
			}
			waiting = append(waiting, humanqueue.Waiting{ID: h.ID, Priority: p, EnqueuedAt: fromMillis(h.EnqueuedAt)})
			byID[h.ID] = h
		}
		targets.Order(waiting, now)
		for _, w := range waiting {
			rec, lease, err := s.take(ctx, byID[w.ID], agent, now, hold)
			if isConditionFailed(err) {
				continue // another agent took it first
			}
			return rec, lease, err
		}
	}
	return contact.Record{}, humanqueue.Lease{}, contact.ErrNotFound
}

// heads reads the first available entries of every priority, in parallel.
func (s *Contacts) heads(ctx context.Context, now time.Time) ([]contactItem, error) {
	var (
		mu   sync.Mutex
		all  []contactItem
		errs []error
		wg   sync.WaitGroup
	)
	for _, p := range priority.All {
		wg.Go(func() {
			items, err := s.queryQueue(ctx, p, queueKeyBound(now), claimCandidates)
			mu.Lock()
			defer mu.Unlock()
			all = append(all, items...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return all, errors.Join(errs...)
}

func (s *Contacts) queryQueue(ctx context.Context, p priority.Priority, upTo string, limit int32) ([]contactItem, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(topology.QueueIndex),
		KeyConditionExpression:    aws.String("qp = :p AND qs <= :upTo"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(p.String()), ":upTo": str(upTo)},
		Limit:                     aws.Int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("read %s queue: %w", p, translate(err))
	}
	var items []contactItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, fmt.Errorf("decode %s queue: %w", p, err)
	}
	return items, nil
}

func (s *Contacts) take(ctx context.Context, h contactItem, agent string, now time.Time, hold time.Duration) (contact.Record, humanqueue.Lease, error) {
	lease := humanqueue.Lease{Token: contact.NewSecret(), ExpiresAt: humanqueue.Hold(now, hold)}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(contactKey(h.ID)),
		UpdateExpression:         aws.String("SET #s = :claimed, qs = :until, leaseHash = :h, leaseUntil = :u, agentId = :a, updatedAt = :now"),
		ConditionExpression:      aws.String("qs = :seen"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":claimed": str(string(contact.Claimed)), ":until": str(queueKey(lease.ExpiresAt, h.ID)),
			":h": str(contact.HashSecret(lease.Token)), ":u": num(lease.ExpiresAt.UnixMilli()), ":a": str(agent),
			":now": num(now.UnixMilli()), ":seen": str(h.QS),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		if isConditionFailed(err) {
			return contact.Record{}, humanqueue.Lease{}, err
		}
		return contact.Record{}, humanqueue.Lease{}, fmt.Errorf("claim contact %s: %w", h.ID, translate(err))
	}
	var it contactItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return contact.Record{}, humanqueue.Lease{}, fmt.Errorf("decode claimed contact %s: %w", h.ID, err)
	}
	rec, err := it.record(now)
	return rec, lease, err
}

// leased runs an update that holds only while lease is the live lease on id. The SDK retries a call whose answer
// was lost even though DynamoDB applied it, and the retry then fails the lease condition: applied recognises the
// state the update leaves behind, so that retry reports success instead of a lease conflict.
func (s *Contacts) leased(ctx context.Context, id, lease, update string, values map[string]types.AttributeValue, applied func(old contactItem) bool) (contact.Record, error) {
	now := s.Now()
	values[":h"] = str(contact.HashSecret(lease))
	values[":nowms"] = num(now.UnixMilli())
	values[":claimed"] = str(string(contact.Claimed))
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 key(contactKey(id)),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String("#s = :claimed AND leaseHash = :h AND leaseUntil > :nowms"), // humanqueue.Held
		ExpressionAttributeNames:            map[string]string{"#s": "status"},
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) == 0 {
			return contact.Record{}, fmt.Errorf("contact %s: %w", id, contact.ErrNotFound)
		}
		var old contactItem
		if err := attributevalue.UnmarshalMap(ccf.Item, &old); err == nil && applied != nil && applied(old) {
			return old.record(now)
		}
		return contact.Record{}, fmt.Errorf("contact %s: %w", id, contact.ErrLease)
	}
	if err != nil {
		return contact.Record{}, fmt.Errorf("update contact %s: %w", id, translate(err))
	}
	var it contactItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return contact.Record{}, fmt.Errorf("decode contact %s: %w", id, err)
	}
	return it.record(now)
}

// Reply stores an agent's answer and resolves the contact.
func (s *Contacts) Reply(ctx context.Context, id, lease, agent, text string) (contact.Record, error) {
	return s.leased(ctx, id, lease,
		"SET #s = :resolved, answer = :text, answeredBy = :agent, updatedAt = :nowms REMOVE qp, qs, leaseHash, leaseUntil",
		map[string]types.AttributeValue{":resolved": str(string(contact.Resolved)), ":text": str(text), ":agent": str(agent)},
		func(old contactItem) bool {
			return old.Status == string(contact.Resolved) && old.Answer == text && old.AnsweredBy == agent
		})
}

// Release puts a claimed contact back in its queue at once, in the place it had.
func (s *Contacts) Release(ctx context.Context, id, lease string) (contact.Record, error) {
	it, err := s.getItem(ctx, id)
	if err != nil {
		return contact.Record{}, err
	}
	return s.leased(ctx, id, lease,
		"SET #s = :queued, qs = :place, updatedAt = :nowms REMOVE leaseHash, leaseUntil, agentId",
		map[string]types.AttributeValue{":queued": str(string(contact.Queued)), ":place": str(queueKey(fromMillis(it.EnqueuedAt), id))},
		func(old contactItem) bool { return old.Status == string(contact.Queued) && old.LeaseHash == "" })
}

// Extend keeps a claimed contact for another d from now.
func (s *Contacts) Extend(ctx context.Context, id, lease string, d time.Duration) (humanqueue.Lease, error) {
	until := humanqueue.Hold(s.Now(), d)
	_, err := s.leased(ctx, id, lease, "SET qs = :place, leaseUntil = :u, updatedAt = :nowms",
		map[string]types.AttributeValue{":place": str(queueKey(until, id)), ":u": num(until.UnixMilli())},
		nil) // an applied extension leaves the lease live, so its retry passes the condition anyway
	if err != nil {
		return humanqueue.Lease{}, err
	}
	return humanqueue.Lease{Token: lease, ExpiresAt: until}, nil
}

// Escalate moves a claimed contact to a higher priority queue, keeping its original wait, and releases it.
func (s *Contacts) Escalate(ctx context.Context, id, lease string, to priority.Priority, agent string) (contact.Record, error) {
	it, err := s.getItem(ctx, id)
	if err != nil {
		return contact.Record{}, err
	}
	cur, err := priority.Parse(it.Priority)
	if err != nil {
		return contact.Record{}, fmt.Errorf("escalate contact %s: %w", id, err)
	}
	if to <= cur {
		return contact.Record{}, fmt.Errorf("escalate contact %s from %s to %s: %w", id, cur, to, contact.ErrNotHigher)
	}
	return s.leased(ctx, id, lease,
		"SET #s = :queued, priority = :p, qp = :p, qs = :place, reasons = list_append(if_not_exists(reasons, :empty), :why), updatedAt = :nowms REMOVE leaseHash, leaseUntil, agentId",
		map[string]types.AttributeValue{
			":queued": str(string(contact.Queued)), ":p": str(to.String()),
			":place": str(queueKey(fromMillis(it.EnqueuedAt), id)),
			":empty": &types.AttributeValueMemberL{}, ":why": &types.AttributeValueMemberL{Value: []types.AttributeValue{str("escalated.by." + agent)}},
		},
		func(old contactItem) bool {
			return old.Status == string(contact.Queued) && old.LeaseHash == "" && old.Priority == to.String()
		})
}

// Stats reads the depth, claimed count and oldest wait of every human queue.
func (s *Contacts) Stats(ctx context.Context, targets humanqueue.Targets) ([]humanqueue.Stats, error) {
	now := s.Now()
	bound := queueKeyBound(now)
	stats := make([]humanqueue.Stats, len(priority.All))
	errs := make([]error, len(priority.All))
	var wg sync.WaitGroup
	for i, p := range priority.All {
		wg.Go(func() {
			st := humanqueue.Stats{Priority: p, Target: targets[p]}
			errs[i] = s.scanQueue(ctx, p, func(it contactItem) {
				if it.QS > bound {
					st.Claimed++
					return
				}
				st.Waiting++
				wait := now.Sub(fromMillis(it.EnqueuedAt))
				st.OldestWait = max(st.OldestWait, wait)
				if wait > st.Target {
					st.Overdue++
				}
			})
			stats[i] = st
		})
	}
	wg.Wait()
	return stats, errors.Join(errs...)
}

// maxScan bounds how many entries one queue read visits, so a huge backlog cannot make a status read expensive.
const maxScan = 5000

func (s *Contacts) scanQueue(ctx context.Context, p priority.Priority, visit func(contactItem)) error {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(topology.QueueIndex),
		KeyConditionExpression:    aws.String("qp = :p"),
		ProjectionExpression:      aws.String("id, qs, enqueuedAt"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(p.String())},
	}
	seen := 0
	errEnough := errors.New("enough")
	err := eachPage(ctx, s.db, fmt.Sprintf("read %s queue", p), in, 0, func(out *dynamodb.QueryOutput) error {
		var items []contactItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			return fmt.Errorf("decode %s queue: %w", p, err)
		}
		for _, it := range items {
			visit(it)
		}
		if seen += len(items); seen >= maxScan {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

// Position counts the contacts an agent will take before r: those ahead in its own queue and those waiting in higher
// ones. With PositionTTL set it counts from per-queue snapshots; otherwise with key conditions and Select COUNT.
func (s *Contacts) Position(ctx context.Context, r contact.Record) (int, error) {
	own := r.Priority
	if own == priority.None {
		return 0, fmt.Errorf("position of contact %s: not in a human queue", r.ID)
	}
	now := s.Now()
	count := s.countBefore
	if s.PositionTTL > 0 {
		count = s.snapshotCount(now)
	}
	bound, mine := queueKeyBound(now), queueKey(r.EnqueuedAt, r.ID)
	var (
		wg    sync.WaitGroup
		total atomic.Int64
		errs  = make([]error, len(priority.All))
	)
	for i, p := range priority.All {
		if p < own {
			break
		}
		upTo := bound
		if p == own {
			upTo = mine
		}
		wg.Go(func() {
			n, err := count(ctx, p, upTo)
			total.Add(int64(n))
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("position of contact %s: %w", r.ID, err)
	}
	return int(total.Load()), nil
}

// maxCountPages bounds a count: past it the position is reported as at least what was counted.
const maxCountPages = 8

func (s *Contacts) countBefore(ctx context.Context, p priority.Priority, upTo string) (int, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(topology.QueueIndex),
		KeyConditionExpression:    aws.String("qp = :p AND qs < :upTo"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(p.String()), ":upTo": str(upTo)},
		Select:                    types.SelectCount,
	}
	n := 0
	err := eachPage(ctx, s.db, fmt.Sprintf("count %s queue", p), in, maxCountPages, func(out *dynamodb.QueryOutput) error {
		n += int(out.Count)
		return nil
	})
	return n, err
}
