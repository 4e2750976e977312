package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
	"breakwater/shared/topology"
)

// Settle stores the outcome of each pending contact. A contact an earlier delivery already settled is left as it
// is, so a duplicate delivery never changes an answer or queues a contact twice. Records with Status Rejected and no
// Contact fields (a malformed message) only mark the contact rejected.
//
// Each contact is one conditional UpdateItem, all of a batch at once: DynamoDB bills a write in a transaction
// twice (2 WRU a contact), a lone conditional write once, and the contacts of a batch need no all-or-nothing: each
// succeeds or fails alone, a throttled key delays only its own contact (the SDK retries it with backoff), and a
// failure is reported for that contact only. BatchWriteItem would be one call but takes no conditions.
//
// A settle sets only what the outcome adds to the pending item Accept wrote (status, answer, queue keys ...), not
// the shopper's text and the rest it already holds: half the request, and DynamoDB Local parses the update
// expression of every item, which was most of its CPU per drained contact (scripts/bench/ddbcost). That lean
// update requires the pending item; when its condition fails, the item DynamoDB returns tells a duplicate delivery
// (the item is there, settled) from a contact whose item is missing (expired, or a tester's hand-made event),
// which is then written whole.
func (s *Contacts) Settle(ctx context.Context, recs []contact.Record) contact.SettleResult {
	out := &settled{res: contact.SettleResult{Failed: map[string]error{}}}
	var wg sync.WaitGroup
	for _, r := range recs {
		item, err := s.settleItem(r)
		if err != nil {
			out.fail(r.ID, err)
			continue
		}
		wg.Go(func() { s.settleAlone(ctx, item, out) })
	}
	wg.Wait()
	return out.res
}

// pendingWrite is one contact's conditional update: lean on its pending item, full when the item is missing.
type pendingWrite struct {
	id         string
	lean, full *types.Update
}

// settled gathers the outcome of writes that run at once.
type settled struct {
	mu  sync.Mutex
	res contact.SettleResult
}

func (o *settled) done(id string, duplicate bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.res.Done = append(o.res.Done, id)
	if duplicate {
		o.res.Duplicate = append(o.res.Duplicate, id)
	}
}

func (o *settled) fail(id string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.res.Failed[id] = err
}

// settleAlone writes one contact's outcome with its own UpdateItem; the SDK retries throttles with backoff.
func (s *Contacts) settleAlone(ctx context.Context, it pendingWrite, out *settled) {
	_, err := s.db.UpdateItem(ctx, updateInput(it.lean))
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		out.done(it.id, false)
	case errors.As(err, &ccf) && ccf.Item != nil:
		out.done(it.id, true)
	case errors.As(err, &ccf) && it.full != it.lean:
		s.settleWhole(ctx, it, out)
	case errors.As(err, &ccf):
		out.done(it.id, true)
	default:
		out.fail(it.id, fmt.Errorf("settle contact %s: %w", it.id, translate(err)))
	}
}

// settleWhole writes every attribute of a contact whose pending item is missing, unless it is there and settled.
func (s *Contacts) settleWhole(ctx context.Context, it pendingWrite, out *settled) {
	_, err := s.db.UpdateItem(ctx, updateInput(it.full))
	switch {
	case err == nil:
		out.done(it.id, false)
	case isConditionFailed(err):
		out.done(it.id, true)
	default:
		out.fail(it.id, fmt.Errorf("settle contact %s: %w", it.id, translate(err)))
	}
}

func updateInput(u *types.Update) *dynamodb.UpdateItemInput {
	return &dynamodb.UpdateItemInput{
		TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: u.ReturnValuesOnConditionCheckFailure,
	}
}

var onlyPending = aws.String("attribute_not_exists(pk) OR #s = :pending")

// onlyPendingItem is the lean update's condition: the pending item Accept wrote is there.
var onlyPendingItem = aws.String("#s = :pending")

// acceptedAttributes are what Accept writes and a settle never changes: the lean update leaves them out.
var acceptedAttributes = map[string]bool{
	topology.ContactKey: true, "id": true, "merchant": true, "shopperId": true, "tier": true, "locale": true,
	"channel": true, "text": true, "topic": true, "ctx": true, "receivedAt": true, "recent": true, "tokenHash": true,
	"verified": true, "expiresAt": true,
}

func (s *Contacts) settleItem(r contact.Record) (pendingWrite, error) {
	names := map[string]string{"#s": "status"}
	if r.Status == contact.Rejected && r.Merchant == "" {
		u := &types.Update{
			TableName: &s.table, Key: key(contactKey(r.ID)),
			UpdateExpression:         aws.String("SET #s = :rejected, reject = :why, updatedAt = :now, id = :id, expiresAt = if_not_exists(expiresAt, :exp)"),
			ConditionExpression:      onlyPending,
			ExpressionAttributeNames: names,
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":rejected": str(string(contact.Rejected)), ":why": str(r.Reject), ":now": num(millis(r.UpdatedAt)),
				":id": str(r.ID), ":pending": str(string(contact.Pending)), ":exp": num(r.UpdatedAt.Add(s.retention).Unix()),
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}
		return pendingWrite{id: r.ID, lean: u, full: u}, nil
	}
	it, err := toItem(r, s.retention)
	if err != nil {
		return pendingWrite{}, err
	}
	// An update, not a put: what the contact gathered while it was pending (a follow-up, another read token of the
	// same shopper) stays.
	all := it.attributes()
	expr, names, values := setAll(all)
	values[":pending"] = str(string(contact.Pending))
	full := &types.Update{
		TableName: &s.table, Key: key(it.PK), UpdateExpression: aws.String(expr), ConditionExpression: onlyPending,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}
	outcome := make(map[string]types.AttributeValue, len(all))
	for name, v := range all {
		if !acceptedAttributes[name] {
			outcome[name] = v
		}
	}
	expr, names, values = setAll(outcome)
	values[":pending"] = str(string(contact.Pending))
	lean := &types.Update{
		TableName: &s.table, Key: key(it.PK), UpdateExpression: aws.String(expr), ConditionExpression: onlyPendingItem,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	return pendingWrite{id: r.ID, lean: lean, full: full}, nil
}

// setAll is the update expression that sets every attribute of item but its key, with the names and values it
// uses; status is #s, as onlyPending reads it.
func setAll(item map[string]types.AttributeValue) (string, map[string]string, map[string]types.AttributeValue) {
	names := map[string]string{"#s": "status"}
	values := make(map[string]types.AttributeValue, len(item))
	var b strings.Builder
	b.WriteString("SET ")
	for i, name := range slices.Sorted(maps.Keys(item)) {
		if name == topology.ContactKey {
			continue
		}
		ref := "#s"
		if name != "status" {
			ref = "#a" + strconv.Itoa(i)
			names[ref] = name
		}
		if b.Len() > len("SET ") {
			b.WriteString(", ")
		}
		v := ":v" + strconv.Itoa(i)
		b.WriteString(ref + " = " + v)
		values[v] = item[name]
	}
	return b.String(), names, values
}
