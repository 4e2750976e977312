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

// maxTransactItems is DynamoDB's limit on actions in one TransactWriteItems call.
const maxTransactItems = 100

// Settle stores the outcome of each pending contact. A contact an earlier delivery already settled is left as it
// is, so a duplicate delivery never changes an answer or queues a contact twice. Records with Status Rejected and no
// Contact fields (a malformed message) only mark the contact rejected.
//
// A batch is written in one TransactWriteItems: one call for up to 100 contacts, the cheapest way to write
// conditionally more than one item (BatchWriteItem takes no conditions). A transaction is all or nothing, but the
// contacts in it are not: when DynamoDB cancels it because of some of them (a throttled key, a conflicting write),
// the rest are written again at once in a new transaction, without waiting, while those at fault are written one
// by one, each failing alone. When the call itself fails (throttled or failed after the SDK's retries), every
// contact is written alone, so none waits for another. A single contact is one UpdateItem (a transaction would
// bill it twice).
func (s *Contacts) Settle(ctx context.Context, recs []contact.Record) contact.SettleResult {
	out := &settled{res: contact.SettleResult{Failed: map[string]error{}}}
	var items []pendingWrite
	for _, r := range recs {
		item, err := s.settleItem(r)
		if err != nil {
			out.fail(r.ID, err)
			continue
		}
		items = append(items, pendingWrite{id: r.ID, update: item.Update})
	}
	var wg sync.WaitGroup
	for start := 0; start < len(items); start += maxTransactItems {
		chunk := items[start:min(start+maxTransactItems, len(items))]
		wg.Go(func() { s.settleTogether(ctx, chunk, out) })
	}
	wg.Wait()
	return out.res
}

// pendingWrite is one contact's conditional update.
type pendingWrite struct {
	id     string
	update *types.Update
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

// settleTogether writes items in one transaction, and what a cancellation leaves as described at Settle.
func (s *Contacts) settleTogether(ctx context.Context, items []pendingWrite, out *settled) {
	if len(items) == 1 {
		s.settleAlone(ctx, items[0], out)
		return
	}
	tx := make([]types.TransactWriteItem, len(items))
	for i, it := range items {
		tx[i] = types.TransactWriteItem{Update: it.update}
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	if err == nil {
		for _, it := range items {
			out.done(it.id, false)
		}
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) || len(canceled.CancellationReasons) != len(items) {
		// The call failed as a whole: which contact it was DynamoDB does not say, so each is written alone.
		for _, it := range items {
			wg.Go(func() { s.settleAlone(ctx, it, out) })
		}
		return
	}
	var bystanders []pendingWrite
	for i, reason := range canceled.CancellationReasons {
		switch it := items[i]; aws.ToString(reason.Code) {
		case "ConditionalCheckFailed":
			out.done(it.id, true) // an earlier delivery settled it
		case "None", "":
			bystanders = append(bystanders, it) // cancelled only because another item was
		default:
			wg.Go(func() { s.settleAlone(ctx, it, out) }) // throttled, conflicting or invalid: on its own
		}
	}
	if len(bystanders) > 0 {
		if len(bystanders) == len(items) {
			// Cancelled with no item at fault: write each alone rather than retry the same transaction forever.
			for _, it := range bystanders {
				wg.Go(func() { s.settleAlone(ctx, it, out) })
			}
			return
		}
		s.settleTogether(ctx, bystanders, out)
	}
}

// settleAlone writes one contact's outcome with its own UpdateItem; the SDK retries throttles with backoff.
func (s *Contacts) settleAlone(ctx context.Context, it pendingWrite, out *settled) {
	u := it.update
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
	})
	switch {
	case err == nil:
		out.done(it.id, false)
	case isConditionFailed(err):
		out.done(it.id, true)
	default:
		out.fail(it.id, fmt.Errorf("settle contact %s: %w", it.id, translate(err)))
	}
}

var onlyPending = aws.String("attribute_not_exists(pk) OR #s = :pending")

func (s *Contacts) settleItem(r contact.Record) (types.TransactWriteItem, error) {
	names := map[string]string{"#s": "status"}
	if r.Status == contact.Rejected && r.Merchant == "" {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(contactKey(r.ID)),
			UpdateExpression:         aws.String("SET #s = :rejected, reject = :why, updatedAt = :now, id = :id, expiresAt = if_not_exists(expiresAt, :exp)"),
			ConditionExpression:      onlyPending,
			ExpressionAttributeNames: names,
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":rejected": str(string(contact.Rejected)), ":why": str(r.Reject), ":now": num(millis(r.UpdatedAt)),
				":id": str(r.ID), ":pending": str(string(contact.Pending)), ":exp": num(r.UpdatedAt.Add(s.retention).Unix()),
			},
		}}, nil
	}
	it, err := toItem(r, s.retention)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	// An update of every attribute the outcome has, not a put: what the contact gathered while it was pending
	// (a follow-up, another read token of the same shopper) stays.
	expr, names, values := setAll(it.attributes())
	values[":pending"] = str(string(contact.Pending))
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(it.PK), UpdateExpression: aws.String(expr), ConditionExpression: onlyPending,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}}, nil
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
