package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
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

// claimCandidates is how many heads per queue partition a claim reads; more than one so concurrent agents rarely
// collide, and so an agent finds a contact it can serve (language, skill) among the first few.
const claimCandidates = 8

// ErrLeaseLimit means the agent already holds humanqueue.MaxLeases contacts.
var ErrLeaseLimit = errors.New("the agent holds as many contacts as allowed")

// agentKey is the item that holds an agent's lease slots.
func agentKey(tenant, name string) string { return "A#" + tenant + "#" + name }

// slot is one of an agent's lease slots: the contact it holds and until when.
type slot struct {
	Contact string `dynamodbav:"c"`
	Until   int64  `dynamodbav:"u"`
}

func slotName(i int) string { return "slot" + strconv.Itoa(i) }

// Claim gives agent the contact to serve next among those of its tenant it can serve (language, skill):
// past-target contacts first, then by priority, then by wait; a contact whose lease ran out counts from when it
// was queued, so it is back at its original place. shards is how many shards the tenant's queues have. It returns
// contact.ErrNotFound when nothing waits for this agent, and ErrLeaseLimit when the agent holds
// humanqueue.MaxLeases contacts already. The contact and the agent's lease slot are written in one transaction,
// whose client request token the SDK keeps across its retries: a claim retried after a lost answer is not applied
// twice.
func (s *Contacts) Claim(ctx context.Context, agent humanqueue.Agent, hold time.Duration, targets humanqueue.Targets, shards int) (contact.Record, humanqueue.Lease, error) {
	for range 3 {
		now := s.Now()
		free, err := s.freeSlot(ctx, agent, now)
		if err != nil {
			return contact.Record{}, humanqueue.Lease{}, err
		}
		heads, err := s.heads(ctx, agent.Tenant, shards, now)
		if err != nil {
			return contact.Record{}, humanqueue.Lease{}, err
		}
		waiting := make([]humanqueue.Waiting, 0, len(heads))
		byID := make(map[string]headItem, len(heads))
		for _, h := range heads {
			if !agent.Serves(agent.Tenant, contact.Locale(h.Locale), h.Skill) {
				continue
			}
			if h.Pref != "" && h.Pref != agent.Name && fromMillis(h.PrefUntil).After(now) {
				continue // the shopper answered the agent who asked: that agent first, for a while
			}
			waiting = append(waiting, humanqueue.Waiting{ID: h.ID, Priority: h.priority, EnqueuedAt: fromMillis(h.EnqueuedAt)})
			byID[h.ID] = h
		}
		if len(waiting) == 0 {
			return contact.Record{}, humanqueue.Lease{}, contact.ErrNotFound
		}
		targets.Order(waiting, now)
	candidates:
		for _, w := range waiting {
			rec, lease, err := s.take(ctx, byID[w.ID], agent, free, now, hold)
			switch {
			case errors.Is(err, errTaken):
				continue // another agent took it first
			case errors.Is(err, errSlotTaken):
				break candidates // the agent's own other claim took the slot: read the slots again
			default:
				return rec, lease, err
			}
		}
		// Every candidate was taken by other agents at once, or the slot was: read the queues again.
	}
	return contact.Record{}, humanqueue.Lease{}, contact.ErrNotFound
}

var (
	errTaken     = errors.New("contact taken by another claim")
	errSlotTaken = errors.New("lease slot taken by another claim")
)

// freeSlot returns the first of agent's lease slots that holds no live lease.
func (s *Contacts) freeSlot(ctx context.Context, agent humanqueue.Agent, now time.Time) (int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(agentKey(agent.Tenant, agent.Name)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("read lease slots of agent %s: %w", agent.Name, translate(err))
	}
	for i := range humanqueue.MaxLeases {
		var sl slot
		if v, ok := out.Item[slotName(i)]; ok {
			if err := attributevalue.Unmarshal(v, &sl); err != nil {
				return 0, fmt.Errorf("decode lease slot %d of agent %s: %w", i, agent.Name, err)
			}
		}
		if !humanqueue.Held(fromMillis(sl.Until), now) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("claim for agent %s: %w", agent.Name, ErrLeaseLimit)
}

// headItem is a queue index entry as a claim reads it.
type headItem struct {
	ID         string `dynamodbav:"id"`
	QP         string `dynamodbav:"qp"`
	QS         string `dynamodbav:"qs"`
	EnqueuedAt int64  `dynamodbav:"enqueuedAt"`
	Locale     string `dynamodbav:"locale"`
	Skill      string `dynamodbav:"skill"`
	LeaseUntil int64  `dynamodbav:"leaseUntil"`
	Pref       string `dynamodbav:"pref"`
	PrefUntil  int64  `dynamodbav:"prefUntil"`
	priority   priority.Priority
}

// heads reads, for every priority and shard of tenant's queues, the first waiting entries and the first entries
// whose lease has run out, in parallel.
func (s *Contacts) heads(ctx context.Context, tenant string, shards int, now time.Time) ([]headItem, error) {
	var (
		mu   sync.Mutex
		all  []headItem
		errs []error
		wg   sync.WaitGroup
	)
	for _, p := range priority.All {
		for shard := range max(1, shards) {
			for _, upTo := range [][2]string{{"", queueKeyBound(now)}, {"L", heldBound(now)}} {
				wg.Go(func() {
					items, err := s.queryQueue(ctx, queuePartition(tenant, p, shard), upTo[0], upTo[1], claimCandidates)
					for i := range items {
						items[i].priority = p
					}
					mu.Lock()
					defer mu.Unlock()
					all = append(all, items...)
					if err != nil {
						errs = append(errs, err)
					}
				})
			}
		}
	}
	wg.Wait()
	return all, errors.Join(errs...)
}

// queryQueue reads up to limit entries of partition qp with from <= qs <= upTo ("" from: from the start).
func (s *Contacts) queryQueue(ctx context.Context, qp, from, upTo string, limit int32) ([]headItem, error) {
	cond := "qp = :p AND qs <= :upTo"
	values := map[string]types.AttributeValue{":p": str(qp), ":upTo": str(upTo)}
	if from != "" {
		cond = "qp = :p AND qs BETWEEN :from AND :upTo"
		values[":from"] = str(from)
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(topology.QueueIndex),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeValues: values,
		Limit:                     aws.Int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("read queue %s: %w", qp, translate(err))
	}
	var items []headItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, fmt.Errorf("decode queue %s: %w", qp, err)
	}
	return items, nil
}

// take claims h for agent in lease slot free, in one transaction with the slot.
func (s *Contacts) take(ctx context.Context, h headItem, agent humanqueue.Agent, free int, now time.Time, hold time.Duration) (contact.Record, humanqueue.Lease, error) {
	lease := humanqueue.Lease{Token: contact.NewSecret(), ExpiresAt: humanqueue.Hold(now, hold)}
	sl, err := attributevalue.Marshal(slot{Contact: h.ID, Until: lease.ExpiresAt.UnixMilli()})
	if err != nil {
		return contact.Record{}, humanqueue.Lease{}, fmt.Errorf("encode lease slot: %w", err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                &s.table,
			Key:                      key(contactKey(h.ID)),
			UpdateExpression:         aws.String("SET #s = :claimed, qs = :held, leaseHash = :h, leaseUntil = :u, agentId = :a, agentSlot = :slot, claimedAt = :now, updatedAt = :now"),
			ConditionExpression:      aws.String("qs = :seen AND tenant = :tenant"),
			ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":claimed": str(string(contact.Claimed)), ":held": str(heldKey(lease.ExpiresAt, h.ID)),
				":h": str(contact.HashSecret(lease.Token)), ":u": num(lease.ExpiresAt.UnixMilli()), ":a": str(agent.Name),
				":slot": num(int64(free)), ":now": num(now.UnixMilli()), ":seen": str(h.QS), ":tenant": str(agent.Tenant),
			},
		}},
		{Update: &types.Update{
			TableName:                &s.table,
			Key:                      key(agentKey(agent.Tenant, agent.Name)),
			UpdateExpression:         aws.String("SET #slot = :slot, expiresAt = :exp"),
			ConditionExpression:      aws.String("attribute_not_exists(#slot) OR #slot.u <= :now"),
			ExpressionAttributeNames: map[string]string{"#slot": slotName(free)},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":slot": sl, ":now": num(now.UnixMilli()), ":exp": num(lease.ExpiresAt.Add(time.Hour).Unix()),
			},
		}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) == 2 {
		switch {
		case aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed":
			// Either another agent took it, or this very claim did: the SDK retried a transaction whose answer was
			// lost. DynamoDB's client request token makes such a retry succeed without applying it twice; should
			// it not, the lease this claim made, already on the contact, tells its own claim apart.
			if it, err := s.getItem(ctx, h.ID); err == nil && contact.SecretMatches(lease.Token, it.LeaseHash) {
				if rec, err := it.record(now); err == nil {
					return rec, lease, nil
				}
			}
			return contact.Record{}, humanqueue.Lease{}, errTaken
		case aws.ToString(canceled.CancellationReasons[1].Code) == "ConditionalCheckFailed":
			return contact.Record{}, humanqueue.Lease{}, errSlotTaken
		}
	}
	if err != nil {
		return contact.Record{}, humanqueue.Lease{}, fmt.Errorf("claim contact %s: %w", h.ID, translate(err))
	}
	s.recordActivity(ctx, agent, now, 0)
	rec, err := s.Get(ctx, h.ID)
	if err != nil {
		return contact.Record{}, humanqueue.Lease{}, fmt.Errorf("read claimed contact %s: %w", h.ID, err)
	}
	// The shopper's thread says that a person has it now.
	joined := contact.Message{ID: fmt.Sprintf("%013d#j%s", now.UnixMilli(), contact.HashSecret(lease.Token)[:8]), From: contact.FromSystem, Event: contact.EventJoined, At: now, Name: agent.Name}
	if err := s.appendMessages(ctx, rec, []contact.Message{joined}); err != nil {
		slog.WarnContext(ctx, "agent joined not added to the thread", "contact", h.ID, "err", err)
	}
	return rec, lease, nil
}

// freeAgentSlot empties the agent's lease slot that holds id, once its lease is over (reply, release,
// escalate). It is best effort: a slot left behind frees itself when the lease would have ended.
func (s *Contacts) freeAgentSlot(ctx context.Context, it contactItem) {
	if it.Agent == "" {
		return
	}
	_, _ = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(agentKey(it.Tenant, it.Agent)),
		UpdateExpression:          aws.String("REMOVE #slot"),
		ConditionExpression:       aws.String("#slot.c = :id"),
		ExpressionAttributeNames:  map[string]string{"#slot": slotName(it.AgentSlot)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(it.ID)},
	})
}

// leased runs an update that holds only while lease is the live lease on id and id belongs to tenant. The SDK
// retries a call whose answer was lost even though DynamoDB applied it, and the retry then fails the lease
// condition: applied recognises the state the update leaves behind, so that retry reports success instead of a
// lease conflict. A contact of another tenant is contact.ErrNotFound, as an unknown one is. It returns the
// contact as it was before the update (old) and after it.
func (s *Contacts) leased(ctx context.Context, tenant, id, lease, update string, values map[string]types.AttributeValue, applied func(old contactItem) bool) (contact.Record, contactItem, error) {
	now := s.Now()
	names := map[string]string{"#s": "status"}
	if strings.Contains(update, "#l") {
		names["#l"] = "last"
	}
	values[":h"] = str(contact.HashSecret(lease))
	values[":nowms"] = num(now.UnixMilli())
	values[":claimed"] = str(string(contact.Claimed))
	values[":waiting"] = str(string(contact.Waiting))
	values[":tenant"] = str(tenant)
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 key(contactKey(id)),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String("tenant = :tenant AND #s IN (:claimed, :waiting) AND leaseHash = :h AND leaseUntil > :nowms"), // humanqueue.Held
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var old contactItem
		if len(ccf.Item) == 0 || attributevalue.UnmarshalMap(ccf.Item, &old) != nil || old.Tenant != tenant {
			return contact.Record{}, contactItem{}, fmt.Errorf("contact %s: %w", id, contact.ErrNotFound)
		}
		if applied != nil && applied(old) {
			rec, err := old.record(now)
			return rec, old, err
		}
		return contact.Record{}, contactItem{}, fmt.Errorf("contact %s: %w", id, contact.ErrLease)
	}
	if err != nil {
		return contact.Record{}, contactItem{}, fmt.Errorf("update contact %s: %w", id, translate(err))
	}
	var old contactItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &old); err != nil {
		return contact.Record{}, contactItem{}, fmt.Errorf("decode contact %s: %w", id, err)
	}
	rec, err := s.Get(ctx, id)
	return rec, old, err
}

// View reads a contact for agent: only while agent holds its lease, and only within agent's tenant; any other
// contact is contact.ErrNotFound, the same answer as for an unknown id.
func (s *Contacts) View(ctx context.Context, agent humanqueue.Agent, id, lease string) (contact.Record, error) {
	it, err := s.getItem(ctx, id)
	if err != nil {
		return contact.Record{}, err
	}
	now := s.Now()
	if it.Tenant != agent.Tenant || !contact.SecretMatches(lease, it.LeaseHash) || !humanqueue.Held(fromMillis(it.LeaseUntil), now) {
		return contact.Record{}, fmt.Errorf("contact %s for agent %s: %w", id, agent.Name, contact.ErrNotFound)
	}
	return it.record(now)
}

// Reply stores an agent's message to the shopper. With resolve it answers and closes the conversation; without,
// the conversation waits for the shopper (contact.Waiting), out of the queue, while the agent keeps the lease (or
// releases it): the shopper's answer brings it back to that agent first. The message joins the thread.
func (s *Contacts) Reply(ctx context.Context, agent humanqueue.Agent, id, lease, text string, resolve bool) (contact.Record, error) {
	mid := contact.MessageID(s.Now())
	status, update := contact.Resolved, "SET #s = :st, answer = :text, answeredBy = :agent, #l = :mid, updatedAt = :nowms REMOVE qp, qs, ap, ak, leaseHash, leaseUntil"
	if !resolve {
		status, update = contact.Waiting, "SET #s = :st, answer = :text, answeredBy = :agent, #l = :mid, updatedAt = :nowms REMOVE qs, ak"
	}
	rec, old, err := s.leased(ctx, agent.Tenant, id, lease, update,
		map[string]types.AttributeValue{":st": str(string(status)), ":text": str(text), ":agent": str(agent.Name), ":mid": str(mid)},
		func(old contactItem) bool {
			return old.Status == string(status) && old.Answer == text && old.AnsweredBy == agent.Name
		})
	if err != nil {
		return rec, err
	}
	if old.Status == string(status) && old.Answer == text && old.Last != "" {
		mid = old.Last // a retry of a reply already applied: the message it wrote, once
	}
	now := s.Now()
	events := []contact.Message{{ID: mid, From: contact.FromAgent, Text: text, At: now, Name: agent.Name}}
	ev := contact.EventResolved
	if !resolve {
		ev = contact.EventWaiting
	}
	events = append(events, contact.Message{ID: mid + "#s", From: contact.FromSystem, Event: ev, At: now})
	if err := s.appendMessages(ctx, rec, events); err != nil {
		// The reply stands on the contact (the shopper's page shows its answer); only the thread lacks it.
		slog.WarnContext(ctx, "agent reply not added to the thread", "contact", id, "err", err)
	}
	if resolve {
		s.freeAgentSlot(ctx, old)
		if old.ClaimedAt > 0 {
			s.recordActivity(ctx, agent, now, now.Sub(fromMillis(old.ClaimedAt)))
		}
	}
	return rec, nil
}

// Release puts a claimed contact back in its queue at once, in the place it had.
func (s *Contacts) Release(ctx context.Context, agent humanqueue.Agent, id, lease string) (contact.Record, error) {
	it, err := s.getItem(ctx, id)
	if err != nil {
		return contact.Record{}, err
	}
	if it.Status == string(contact.Waiting) {
		// Waiting for the shopper: the agent lets go, and the shopper's answer goes to the queue, this agent first.
		rec, old, err := s.leased(ctx, agent.Tenant, id, lease, "SET updatedAt = :nowms REMOVE leaseHash, leaseUntil, agentSlot",
			map[string]types.AttributeValue{}, func(old contactItem) bool { return old.Status == string(contact.Waiting) && old.LeaseHash == "" })
		if err == nil {
			s.freeAgentSlot(ctx, old)
		}
		return rec, err
	}
	rec, old, err := s.leased(ctx, agent.Tenant, id, lease,
		"SET #s = :queued, qs = :place, updatedAt = :nowms REMOVE leaseHash, leaseUntil, agentId, agentSlot",
		map[string]types.AttributeValue{":queued": str(string(contact.Queued)), ":place": str(queueKey(fromMillis(it.EnqueuedAt), id))},
		func(old contactItem) bool { return old.Status == string(contact.Queued) && old.LeaseHash == "" })
	if err == nil {
		s.freeAgentSlot(ctx, old)
	}
	return rec, err
}

// Extend keeps a claimed contact for another d from now, and the agent's lease slot with it.
func (s *Contacts) Extend(ctx context.Context, agent humanqueue.Agent, id, lease string, d time.Duration) (humanqueue.Lease, error) {
	until := humanqueue.Hold(s.Now(), d)
	// A claimed contact's place in the index moves with its lease (an expired lease puts it back in reach of
	// claims); a waiting one stays out of the index until the shopper answers.
	update, values := "SET qs = :place, leaseUntil = :u, updatedAt = :nowms", map[string]types.AttributeValue{":place": str(heldKey(until, id)), ":u": num(until.UnixMilli())}
	if it, err := s.getItem(ctx, id); err == nil && it.Status == string(contact.Waiting) {
		update, values = "SET leaseUntil = :u, updatedAt = :nowms", map[string]types.AttributeValue{":u": num(until.UnixMilli())}
	}
	_, old, err := s.leased(ctx, agent.Tenant, id, lease, update, values,
		nil) // an applied extension leaves the lease live, so its retry passes the condition anyway
	if err != nil {
		return humanqueue.Lease{}, err
	}
	sl, err := attributevalue.Marshal(slot{Contact: id, Until: until.UnixMilli()})
	if err == nil {
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 &s.table,
			Key:                       key(agentKey(agent.Tenant, agent.Name)),
			UpdateExpression:          aws.String("SET #slot = :slot"),
			ConditionExpression:       aws.String("#slot.c = :id"),
			ExpressionAttributeNames:  map[string]string{"#slot": slotName(old.AgentSlot)},
			ExpressionAttributeValues: map[string]types.AttributeValue{":slot": sl, ":id": str(id)},
		})
	}
	if err != nil && !isConditionFailed(err) {
		return humanqueue.Lease{}, fmt.Errorf("extend lease slot of agent %s: %w", agent.Name, translate(err))
	}
	return humanqueue.Lease{Token: lease, ExpiresAt: until}, nil
}

// Escalate moves a claimed contact to a higher priority queue of its tenant, keeping its original wait, and
// releases it.
func (s *Contacts) Escalate(ctx context.Context, agent humanqueue.Agent, id, lease string, to priority.Priority) (contact.Record, error) {
	it, err := s.getItem(ctx, id)
	if err != nil {
		return contact.Record{}, err
	}
	if it.Tenant != agent.Tenant {
		return contact.Record{}, fmt.Errorf("contact %s: %w", id, contact.ErrNotFound)
	}
	cur, err := priority.Parse(it.Priority)
	if err != nil {
		return contact.Record{}, fmt.Errorf("escalate contact %s: %w", id, err)
	}
	if to <= cur {
		return contact.Record{}, fmt.Errorf("escalate contact %s from %s to %s: %w", id, cur, to, contact.ErrNotHigher)
	}
	place := queueKey(fromMillis(it.EnqueuedAt), id)
	rec, old, err := s.leased(ctx, agent.Tenant, id, lease,
		"SET #s = :queued, priority = :p, qp = :qp, qs = :place, ap = :ap, ak = :place, reasons = list_append(if_not_exists(reasons, :empty), :why), updatedAt = :nowms REMOVE leaseHash, leaseUntil, agentId, agentSlot",
		map[string]types.AttributeValue{
			":queued": str(string(contact.Queued)), ":p": str(to.String()), ":qp": str(queuePartition(it.Tenant, to, it.Shard)),
			":ap": str(agingPartition(to, id)), ":place": str(place),
			":empty": &types.AttributeValueMemberL{}, ":why": &types.AttributeValueMemberL{Value: []types.AttributeValue{str("escalated.by." + agent.Name)}},
		},
		func(old contactItem) bool {
			return old.Status == string(contact.Queued) && old.LeaseHash == "" && old.Priority == to.String()
		})
	if err == nil {
		s.freeAgentSlot(ctx, old)
	}
	return rec, err
}

// Stats reads the depth, claimed count and oldest wait of each of tenant's human queues.
func (s *Contacts) Stats(ctx context.Context, tenant string, shards int, targets humanqueue.Targets) ([]humanqueue.Stats, error) {
	now := s.Now()
	stats := make([]humanqueue.Stats, len(priority.All))
	errs := make([]error, len(priority.All))
	var wg sync.WaitGroup
	for i, p := range priority.All {
		wg.Go(func() {
			st := humanqueue.Stats{Priority: p, Target: targets[p]}
			for shard := range max(1, shards) {
				in := &dynamodb.QueryInput{
					TableName:                 &s.table,
					IndexName:                 aws.String(topology.QueueIndex),
					KeyConditionExpression:    aws.String("qp = :p"),
					ProjectionExpression:      aws.String("id, enqueuedAt, leaseUntil"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(queuePartition(tenant, p, shard))},
				}
				if err := s.count(ctx, in, now, &st); err != nil {
					errs[i] = err
					break
				}
			}
			stats[i] = st
		})
	}
	wg.Wait()
	return stats, errors.Join(errs...)
}

// GlobalStats reads the depth, claimed count and oldest wait of every priority across every tenant, from the
// aging index: what the alarms watch, including contacts no agent on shift can serve.
func (s *Contacts) GlobalStats(ctx context.Context, targets humanqueue.Targets) ([]humanqueue.Stats, error) {
	now := s.Now()
	stats := make([]humanqueue.Stats, len(priority.All))
	errs := make([]error, len(priority.All))
	var wg sync.WaitGroup
	for i, p := range priority.All {
		wg.Go(func() {
			st := humanqueue.Stats{Priority: p, Target: targets[p]}
			for b := range topology.AgingBuckets {
				in := &dynamodb.QueryInput{
					TableName:                 &s.table,
					IndexName:                 aws.String(topology.AgingIndex),
					KeyConditionExpression:    aws.String("ap = :p"),
					ProjectionExpression:      aws.String("id, enqueuedAt, leaseUntil"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(p.String() + "#" + strconv.Itoa(b))},
				}
				if err := s.count(ctx, in, now, &st); err != nil {
					errs[i] = err
					break
				}
			}
			stats[i] = st
		})
	}
	wg.Wait()
	return stats, errors.Join(errs...)
}

// maxScan bounds how many entries one partition read visits, so a huge backlog cannot make a status read expensive.
const maxScan = 5000

// count adds the entries in reads to st: held under a live lease, or waiting (with their wait).
func (s *Contacts) count(ctx context.Context, in *dynamodb.QueryInput, now time.Time, st *humanqueue.Stats) error {
	seen := 0
	errEnough := errors.New("enough")
	err := eachPage(ctx, s.db, "read "+aws.ToString(in.IndexName)+" index", in, 0, func(out *dynamodb.QueryOutput) error {
		var items []headItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			return fmt.Errorf("decode %s index: %w", aws.ToString(in.IndexName), err)
		}
		for _, it := range items {
			if humanqueue.Held(fromMillis(it.LeaseUntil), now) {
				st.Claimed++
				continue
			}
			st.Waiting++
			wait := now.Sub(fromMillis(it.EnqueuedAt))
			st.OldestWait = max(st.OldestWait, wait)
			if wait > st.Target {
				st.Overdue++
			}
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

// Waiting lists up to limit contacts waiting in tenant's queues, most urgent first, for the queue view: what an
// agent may see of contacts it does not hold (no text, no shopper, no context).
func (s *Contacts) Waiting(ctx context.Context, tenant string, shards, limit int, targets humanqueue.Targets) ([]humanqueue.Entry, error) {
	now := s.Now()
	heads, err := s.heads(ctx, tenant, shards, now)
	if err != nil {
		return nil, err
	}
	ws := make([]humanqueue.Waiting, len(heads))
	byID := map[string]headItem{}
	for i, h := range heads {
		ws[i] = humanqueue.Waiting{ID: h.ID, Priority: h.priority, EnqueuedAt: fromMillis(h.EnqueuedAt)}
		byID[h.ID] = h
	}
	targets.Order(ws, now)
	var out []humanqueue.Entry
	for _, w := range ws[:min(limit, len(ws))] {
		h := byID[w.ID]
		out = append(out, humanqueue.Entry{Waiting: w, Locale: contact.Locale(h.Locale), Skill: h.Skill})
	}
	return out, nil
}

// Position counts the contacts an agent of r's tenant will take before r: those ahead in its own queue and those
// waiting in higher ones, over every shard. With PositionTTL set it counts from per-queue snapshots; otherwise
// with key conditions and Select COUNT.
func (s *Contacts) Position(ctx context.Context, r contact.Record, shards int) (int, error) {
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
		mu    sync.Mutex
		errs  []error
	)
	for _, p := range priority.All {
		if p < own {
			break
		}
		upTo := bound
		if p == own {
			upTo = mine
		}
		for shard := range max(1, shards) {
			wg.Go(func() {
				n, err := count(ctx, queuePartition(r.Tenant, p, shard), upTo)
				total.Add(int64(n))
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("position of contact %s: %w", r.ID, err)
	}
	return int(total.Load()), nil
}

// maxCountPages bounds a count: past it the position is reported as at least what was counted.
const maxCountPages = 8

func (s *Contacts) countBefore(ctx context.Context, qp, upTo string) (int, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(topology.QueueIndex),
		KeyConditionExpression:    aws.String("qp = :p AND qs < :upTo"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(qp), ":upTo": str(upTo)},
		Select:                    types.SelectCount,
	}
	n := 0
	err := eachPage(ctx, s.db, "count queue "+qp, in, maxCountPages, func(out *dynamodb.QueryOutput) error {
		n += int(out.Count)
		return nil
	})
	return n, err
}
