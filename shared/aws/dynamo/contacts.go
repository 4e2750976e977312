package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
)

// contactsAPI is the part of *dynamodb.Client that Contacts uses.
type contactsAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
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
	// Messages is the table of conversations' threads (topology.Messages); the conversation methods need it.
	Messages string
}

// NewContacts returns a store on table that keeps contacts for retention before TTL removes them.
func NewContacts(db contactsAPI, table string, retention time.Duration) *Contacts {
	return &Contacts{db: db, table: table, retention: retention, Now: time.Now}
}

type idemItem struct {
	PK        string `dynamodbav:"pk"`
	ContactID string `dynamodbav:"contactId"`
	// BodyHash is the SHA-256 of the first post's body: the same key with another body is an error, not a replay.
	BodyHash  string `dynamodbav:"bodyHash"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// IdempotencyWindow is how long an Idempotency-Key keeps returning the first contact.
const IdempotencyWindow = 24 * time.Hour

// MaxTokens bounds the read tokens one contact has: the first, and one per replay or follow-up post.
const MaxTokens = 8

// MaxOpen is how many open contacts one shopper may have with one merchant.
const MaxOpen = 5

// shopperNote is what the intake remembers of a shopper's posts to a merchant.
type shopperNote struct {
	LastContact int64    `dynamodbav:"lastContact"`
	LastKey     string   `dynamodbav:"lastKey"`
	LastID      string   `dynamodbav:"lastId"`
	Recent      []string `dynamodbav:"recentIds"`
}

// shopperKey is the note of c's shopper: a verified shopper's, or an anonymous one's apart, so that a stranger who
// claims a verified shopper's id cannot join or crowd out that shopper's contacts.
func shopperKey(c contact.Contact) string {
	if c.Verified {
		return "S#" + c.Merchant + "#" + c.Shopper.ID
	}
	return "S#" + c.Merchant + "#anon#" + c.Shopper.ID
}

// Note is what NoteShopper found about the shopper's earlier posts.
type Note struct {
	// Repeat: the shopper wrote within contact.RepeatWindow before (a retry with the same key does not count).
	Repeat bool
	// Last is the shopper's previous contact with the merchant, Recent the ones of the last day.
	Last   string
	Recent []string
	// key is this post's idempotency key; seen is the note's lastContact as read (0: no note), the version
	// Remember writes over.
	key  string
	seen int64
}

// NoteShopper reads what the intake knows of the shopper's earlier posts to c's merchant. It writes nothing:
// Remember records the post once it has become a contact or joined one, in one write (a read unit costs a fifth of
// a write unit, and a post that fails or is refused leaves no trace).
func (s *Contacts) NoteShopper(ctx context.Context, c contact.Contact, idemKey string) (Note, error) {
	n := Note{key: idemKey}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(shopperKey(c)), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("lastContact, lastKey, lastId, recentIds"),
	})
	if err != nil {
		return n, fmt.Errorf("read the note of shopper %s: %w", c.Shopper.ID, translate(err))
	}
	var old shopperNote
	if err := attributevalue.UnmarshalMap(out.Item, &old); err != nil {
		return n, fmt.Errorf("decode the note of shopper %s: %w", c.Shopper.ID, err)
	}
	n.seen, n.Last, n.Recent = old.LastContact, old.LastID, old.Recent
	if old.LastContact > 0 && c.ReceivedAt.Sub(fromMillis(old.LastContact)) >= 24*time.Hour {
		n.Last, n.Recent = "", nil
	}
	if idemKey == "" || old.LastKey != idemKey { // the same post again is not a repeat
		n.Repeat = old.LastContact > 0 && c.ReceivedAt.Sub(fromMillis(old.LastContact)) < contact.RepeatWindow
	}
	return n, nil
}

// Remember records in its shopper's note that c was posted: when, with which idempotency key, and, unless it joined
// an open contact, c.ID as the last contact and among the recent ones (at most MaxOpen kept). The write is made
// only over the note as NoteShopper read it; when the shopper posted again in between (two posts at once), the note
// is read again and the write retried, so that no contact drops out of the recent ones.
func (s *Contacts) Remember(ctx context.Context, c contact.Contact, note Note, joined bool) error {
	for attempt := 0; ; attempt++ {
		err := s.remember(ctx, c, note, joined)
		if !isConditionFailed(err) || attempt == rememberAttempts-1 {
			if err != nil {
				return fmt.Errorf("remember contact %s of shopper %s: %w", c.ID, c.Shopper.ID, translate(err))
			}
			return nil
		}
		key := note.key
		if note, err = s.NoteShopper(ctx, c, key); err != nil {
			return fmt.Errorf("remember contact %s: %w", c.ID, err)
		}
	}
}

// rememberAttempts bounds the retries of a note that other posts of the same shopper keep changing.
const rememberAttempts = 8

func (s *Contacts) remember(ctx context.Context, c contact.Contact, note Note, joined bool) error {
	set := []string{"lastContact = :t", "expiresAt = :e"}
	values := map[string]types.AttributeValue{
		":t": num(c.ReceivedAt.UnixMilli()), ":e": num(c.ReceivedAt.Add(24 * time.Hour).Unix()),
	}
	remove := " REMOVE lastKey"
	if note.key != "" {
		set, remove = append(set, "lastKey = :k"), ""
		values[":k"] = str(note.key)
	}
	if !joined {
		ids := append(slices.Clone(note.Recent), c.ID)
		ids = ids[max(0, len(ids)-MaxOpen):]
		l := make([]types.AttributeValue, len(ids))
		for i, id := range ids {
			l[i] = str(id)
		}
		set = append(set, "lastId = :id", "recentIds = :ids")
		values[":id"], values[":ids"] = str(c.ID), &types.AttributeValueMemberL{Value: l}
	}
	cond := "attribute_not_exists(lastContact)"
	if note.seen != 0 {
		cond = "lastContact = :seen"
		values[":seen"] = num(note.seen)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(shopperKey(c)),
		UpdateExpression:          aws.String("SET " + strings.Join(set, ", ") + remove),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: values,
	})
	return err
}

// openStatuses are the statuses of a contact that still waits for an answer.
var openStatuses = []contact.Status{contact.Pending, contact.Queued, contact.Claimed}

// Open counts which of ids are still open (pending, queued or claimed).
func (s *Contacts) Open(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(contactKey(id))
	}
	out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		s.table: {Keys: keys, ProjectionExpression: aws.String("#s"), ExpressionAttributeNames: map[string]string{"#s": "status"}},
	}})
	if err != nil {
		return 0, fmt.Errorf("read %d recent contacts: %w", len(ids), translate(err))
	}
	open := 0
	for _, item := range out.Responses[s.table] {
		if st, ok := item["status"].(*types.AttributeValueMemberS); ok && slices.Contains(openStatuses, contact.Status(st.Value)) {
			open++
		}
	}
	// Keys DynamoDB left unprocessed count as open: a refusal should err on the side of the limit.
	return open + len(out.UnprocessedKeys[s.table].Keys), nil
}

// Join adds text to the open contact id of the same verified shopper as a follow-up, with a new read token
// (tokenHash) for the post that brought it. It returns false when that contact is no longer open (answered,
// resolved, rejected or withdrawn), belongs to someone else, or has as many tokens as allowed.
func (s *Contacts) Join(ctx context.Context, id string, c contact.Contact, tokenHash string) (bool, error) {
	fu, err := attributevalue.Marshal(contact.FollowUp{Text: c.Text, At: c.ReceivedAt})
	if err != nil {
		return false, fmt.Errorf("encode follow-up of contact %s: %w", id, err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(contactKey(id)),
		UpdateExpression: aws.String("SET followUps = list_append(if_not_exists(followUps, :none), :fu), " +
			"tokenHashes = list_append(if_not_exists(tokenHashes, :none), :h), updatedAt = :now"),
		ConditionExpression: aws.String("merchant = :m AND shopperId = :sh AND verified = :yes AND #s IN (:p, :q, :c) AND " +
			"(attribute_not_exists(tokenHashes) OR size(tokenHashes) < :max)"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":none": &types.AttributeValueMemberL{}, ":fu": &types.AttributeValueMemberL{Value: []types.AttributeValue{fu}},
			":h": &types.AttributeValueMemberL{Value: []types.AttributeValue{str(tokenHash)}}, ":now": num(c.ReceivedAt.UnixMilli()),
			":m": str(c.Merchant), ":sh": str(c.Shopper.ID), ":yes": &types.AttributeValueMemberBOOL{Value: true},
			":p": str(string(contact.Pending)), ":q": str(string(contact.Queued)), ":c": str(string(contact.Claimed)),
			":max": num(MaxTokens - 1),
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("join contact %s: %w", id, translate(err))
	}
	return true, nil
}

// ErrIdempotencyMismatch means an Idempotency-Key came back with a different body: not a retry of the same post.
var ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")

// Accept stores c as pending with the hash of its read token. With an idempotency key, a second call with the same
// body returns the first contact with a new read token for it (the first token is stored nowhere, only its hash),
// and a second call with another body returns ErrIdempotencyMismatch.
func (s *Contacts) Accept(ctx context.Context, c contact.Contact, token, idemKey, bodyHash string) (contact.Accepted, error) {
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
	idemKeyAttr := idempotencyKey(c, idemKey)
	idem, err := attributevalue.MarshalMap(idemItem{PK: idemKeyAttr, ContactID: c.ID, BodyHash: bodyHash, ExpiresAt: c.ReceivedAt.Add(IdempotencyWindow).Unix()})
	if err != nil {
		return contact.Accepted{}, fmt.Errorf("encode idempotency key for contact %s: %w", c.ID, err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: idem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: put},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 && aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return s.replay(ctx, c, idemKeyAttr, bodyHash)
	}
	if err != nil {
		return contact.Accepted{}, fmt.Errorf("store contact %s with idempotency key: %w", c.ID, translate(err))
	}
	return contact.Accepted{ID: c.ID, Token: token}, nil
}

func idempotencyKey(c contact.Contact, idemKey string) string {
	return "I#" + c.Merchant + "#" + c.Shopper.ID + "#" + idemKey
}

// replay answers a post whose idempotency key an earlier post made: the first contact, with a fresh read token.
func (s *Contacts) replay(ctx context.Context, c contact.Contact, idemKeyAttr, bodyHash string) (contact.Accepted, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(idemKeyAttr), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return contact.Accepted{}, fmt.Errorf("read idempotency key of shopper %s: %w", c.Shopper.ID, translate(err))
	}
	var first idemItem
	if err := attributevalue.UnmarshalMap(out.Item, &first); err != nil || first.ContactID == "" {
		return contact.Accepted{}, fmt.Errorf("read idempotency key of shopper %s: %w", c.Shopper.ID, contact.ErrNotFound)
	}
	if first.BodyHash != bodyHash {
		return contact.Accepted{}, fmt.Errorf("replay of contact %s: %w", first.ContactID, ErrIdempotencyMismatch)
	}
	token := contact.NewSecret()
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(contactKey(first.ContactID)),
		UpdateExpression:    aws.String("SET tokenHashes = list_append(if_not_exists(tokenHashes, :none), :h)"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(tokenHashes) OR size(tokenHashes) < :max)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":none": &types.AttributeValueMemberL{}, ":h": &types.AttributeValueMemberL{Value: []types.AttributeValue{str(contact.HashSecret(token))}},
			":max": num(MaxTokens - 1),
		},
	})
	if isConditionFailed(err) {
		return contact.Accepted{}, fmt.Errorf("replay of contact %s: %w", first.ContactID, ErrIdempotencyMismatch)
	}
	if err != nil {
		return contact.Accepted{}, fmt.Errorf("token for replayed contact %s: %w", first.ContactID, translate(err))
	}
	return contact.Accepted{ID: first.ContactID, Token: token, Replay: true}, nil
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
		if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: key(idempotencyKey(c, idemKey))}); err != nil {
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

// WithMessages sets the table of conversations' threads (topology.Messages) and returns s.
func (s *Contacts) WithMessages(table string) *Contacts {
	s.Messages = table
	return s
}
