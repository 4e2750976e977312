package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
	"breakwater/shared/topology"
)

// maxTransactItems is DynamoDB's limit on actions in one TransactWriteItems call.
const maxTransactItems = 100

// Settle stores the outcome of each pending contact in one transaction per batch. A contact an earlier delivery
// already settled is left as it is, so a duplicate delivery never changes an answer or queues a contact twice.
// Records with Status Rejected and no Contact fields (a malformed message) only mark the contact rejected.
func (s *Contacts) Settle(ctx context.Context, recs []contact.Record) contact.SettleResult {
	res := contact.SettleResult{Failed: map[string]error{}}
	for start := 0; start < len(recs); start += maxTransactItems {
		s.settleChunk(ctx, recs[start:min(start+maxTransactItems, len(recs))], &res)
	}
	return res
}

func (s *Contacts) settleChunk(ctx context.Context, recs []contact.Record, res *contact.SettleResult) {
	items := make([]types.TransactWriteItem, 0, len(recs))
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		item, err := s.settleItem(r)
		if err != nil {
			res.Failed[r.ID] = err
			continue
		}
		items = append(items, item)
		ids = append(ids, r.ID)
	}
	const attempts = 4
	for attempt := 0; len(items) > 0; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			res.Done = append(res.Done, ids...)
			return
		}
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) || len(canceled.CancellationReasons) != len(items) {
			for _, id := range ids {
				res.Failed[id] = fmt.Errorf("settle contact %s: %w", id, translate(err))
			}
			return
		}
		// Drop the contacts an earlier delivery already settled; retry the rest.
		keepItems, keepIDs := items[:0:0], ids[:0:0]
		for i, reason := range canceled.CancellationReasons {
			switch aws.ToString(reason.Code) {
			case "ConditionalCheckFailed":
				res.Done = append(res.Done, ids[i])
				res.Duplicate = append(res.Duplicate, ids[i])
			default:
				keepItems, keepIDs = append(keepItems, items[i]), append(keepIDs, ids[i])
			}
		}
		items, ids = keepItems, keepIDs
		if attempt == attempts-1 {
			for _, id := range ids {
				res.Failed[id] = fmt.Errorf("settle contact %s after %d attempts: %w", id, attempts, translate(err))
			}
			return
		}
		if len(keepItems) > 0 {
			select {
			case <-ctx.Done():
				for _, id := range ids {
					res.Failed[id] = fmt.Errorf("settle contact %s: %w", id, ctx.Err())
				}
				return
			case <-time.After(time.Duration(10<<attempt) * time.Millisecond):
			}
		}
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
