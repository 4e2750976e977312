package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
	"breakwater/shared/topology"
)

// contactsAPI is the part of *dynamodb.Client that Contacts uses.
type contactsAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Contacts stores contacts and their place in the human queues.
type Contacts struct {
	db        contactsAPI
	table     string
	retention time.Duration
	// Now is the clock; tests set it.
	Now func() time.Time
	// PositionTTL, when positive, lets Position answer from a read of each queue at most this old, shared by all
	// calls, instead of counting with queries per call (see positionCache). Zero counts exactly on every call.
	PositionTTL time.Duration
	positions   positionCache
}

// NewContacts returns a store on table that keeps contacts for retention before TTL removes them.
func NewContacts(db contactsAPI, table string, retention time.Duration) *Contacts {
	return &Contacts{db: db, table: table, retention: retention, Now: time.Now}
}

type idemItem struct {
	PK        string `dynamodbav:"pk"`
	ContactID string `dynamodbav:"contactId"`
	Token     string `dynamodbav:"token"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// IdempotencyWindow is how long an Idempotency-Key keeps returning the first contact.
const IdempotencyWindow = 24 * time.Hour

// NoteShopper records that the shopper wrote at c.ReceivedAt and reports whether they wrote within
// contact.RepeatWindow before. A post retried with the same idempotency key is the same contact, not a repeat:
// the key of the last post is kept to tell them apart.
func (s *Contacts) NoteShopper(ctx context.Context, c contact.Contact, idemKey string) (bool, error) {
	update := "SET lastContact = :t, expiresAt = :e REMOVE lastKey"
	values := map[string]types.AttributeValue{
		":t": num(c.ReceivedAt.UnixMilli()), ":e": num(c.ReceivedAt.Add(contact.RepeatWindow * 2).Unix()),
	}
	if idemKey != "" {
		update = "SET lastContact = :t, expiresAt = :e, lastKey = :k"
		values[":k"] = str(idemKey)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       map[string]types.AttributeValue{topology.ContactKey: str("S#" + c.Merchant + "#" + c.Shopper.ID)},
		UpdateExpression:          aws.String(update),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueUpdatedOld,
	})
	if err != nil {
		return false, fmt.Errorf("note contact of shopper %s: %w", c.Shopper.ID, translate(err))
	}
	var old struct {
		LastContact int64  `dynamodbav:"lastContact"`
		LastKey     string `dynamodbav:"lastKey"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &old); err != nil {
		return false, fmt.Errorf("decode last contact of shopper %s: %w", c.Shopper.ID, err)
	}
	if idemKey != "" && old.LastKey == idemKey {
		return false, nil // the same post again
	}
	return old.LastContact > 0 && c.ReceivedAt.Sub(fromMillis(old.LastContact)) < contact.RepeatWindow, nil
}

// Accept stores c as pending with the hash of token. With an idempotency key, a second call returns the first contact.
func (s *Contacts) Accept(ctx context.Context, c contact.Contact, token, idemKey string) (contact.Accepted, error) {
	it, err := toItem(contact.Record{Contact: c, Status: contact.Pending, UpdatedAt: c.ReceivedAt}, s.retention)
	if err != nil {
		return contact.Accepted{}, err
	}
	put := &types.Put{TableName: &s.table, Item: it.attributes(), ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if idemKey == "" {
		if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression}); err != nil {
			return contact.Accepted{}, fmt.Errorf("store contact %s: %w", c.ID, translate(err))
		}
		return contact.Accepted{ID: c.ID, Token: token}, nil
	}
	idemKeyAttr := "I#" + c.Merchant + "#" + c.Shopper.ID + "#" + idemKey
	idem, err := attributevalue.MarshalMap(idemItem{PK: idemKeyAttr, ContactID: c.ID, Token: token, ExpiresAt: c.ReceivedAt.Add(IdempotencyWindow).Unix()})
	if err != nil {
		return contact.Accepted{}, fmt.Errorf("encode idempotency key for contact %s: %w", c.ID, err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: idem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: put},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 && aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		out, gerr := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(idemKeyAttr), ConsistentRead: aws.Bool(true)})
		if gerr != nil {
			return contact.Accepted{}, fmt.Errorf("read idempotency key of shopper %s: %w", c.Shopper.ID, translate(gerr))
		}
		var first idemItem
		if err := attributevalue.UnmarshalMap(out.Item, &first); err != nil || first.ContactID == "" {
			return contact.Accepted{}, fmt.Errorf("read idempotency key of shopper %s: %w", c.Shopper.ID, contact.ErrNotFound)
		}
		return contact.Accepted{ID: first.ContactID, Token: first.Token, Replay: true}, nil
	}
	if err != nil {
		return contact.Accepted{}, fmt.Errorf("store contact %s with idempotency key: %w", c.ID, translate(err))
	}
	return contact.Accepted{ID: c.ID, Token: token}, nil
}

// Withdraw marks a pending contact that could not be put on the intake queue as withdrawn, so it is not left
// half-accepted, and forgets its idempotency key so a retry is accepted afresh. The item stays (without the
// shopper's text) until TTL as a tombstone: a message that reached the queue after all (SQS did the work but its
// answer was lost) then finds the contact settled and is dropped, instead of answering a contact no one can read.
// When the responder settled the contact first, Withdraw changes nothing and returns contact.ErrSettled.
func (s *Contacts) Withdraw(ctx context.Context, c contact.Contact, idemKey string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(contactKey(c.ID)),
		UpdateExpression:                    aws.String("SET #s = :withdrawn, updatedAt = :now REMOVE #t, #c"),
		ConditionExpression:                 aws.String("#s = :pending"),
		ExpressionAttributeNames:            map[string]string{"#s": "status", "#t": "text", "#c": "ctx"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":pending": str(string(contact.Pending)), ":withdrawn": str(string(contact.Withdrawn)), ":now": num(s.Now().UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var old struct {
			Status string `dynamodbav:"status"`
		}
		_ = attributevalue.UnmarshalMap(ccf.Item, &old)
		if old.Status != string(contact.Withdrawn) {
			// Settled: a send reported as failed did reach the queue, and the responder answered or queued it. Keep the key.
			return fmt.Errorf("withdraw contact %s (%s): %w", c.ID, old.Status, contact.ErrSettled)
		}
		err = nil // withdrawn before; make sure the key is gone too
	}
	if err != nil {
		return fmt.Errorf("withdraw contact %s: %w", c.ID, translate(err))
	}
	if idemKey != "" {
		if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: key("I#" + c.Merchant + "#" + c.Shopper.ID + "#" + idemKey)}); err != nil {
			return fmt.Errorf("withdraw idempotency key of contact %s: %w", c.ID, translate(err))
		}
	}
	return nil
}

// Get reads one contact.
func (s *Contacts) Get(ctx context.Context, id string) (contact.Record, error) {
	it, err := s.getItem(ctx, id)
	if err != nil {
		return contact.Record{}, err
	}
	return it.record(s.Now())
}

func (s *Contacts) getItem(ctx context.Context, id string) (contactItem, error) {
	var it contactItem
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(contactKey(id))})
	if err != nil {
		return it, fmt.Errorf("read contact %s: %w", id, translate(err))
	}
	if out.Item == nil {
		return it, fmt.Errorf("read contact %s: %w", id, contact.ErrNotFound)
	}
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return it, fmt.Errorf("decode contact %s: %w", id, err)
	}
	return it, nil
}
