package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/topology"
)

// messageItem is one message of a thread as stored in the messages table.
type messageItem struct {
	CID       string `dynamodbav:"cid"`
	Seq       string `dynamodbav:"seq"`
	From      string `dynamodbav:"from"`
	Text      string `dynamodbav:"text,omitempty"`
	At        int64  `dynamodbav:"at"`
	Name      string `dynamodbav:"name,omitempty"`
	Event     string `dynamodbav:"event,omitempty"`
	Intent    string `dynamodbav:"intent,omitempty"`
	Ask       bool   `dynamodbav:"ask,omitempty"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// dedupPrefix keys the record of a client's message id in the thread's partition; message ids start with a
// digit and so sort before it, which keeps the thread one key range.
const dedupPrefix = "c#"

func (s *Contacts) messageItem(contactID string, m contact.Message, expires int64) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(messageItem{CID: contactID, Seq: m.ID, From: string(m.From), Text: m.Text,
		At: millis(m.At), Name: m.Name, Event: m.Event, Intent: m.Intent, Ask: m.Ask, ExpiresAt: expires})
	if err != nil {
		return nil, fmt.Errorf("encode message %s of contact %s: %w", m.ID, contactID, err)
	}
	return item, nil
}

func (s *Contacts) putMessage(contactID string, m contact.Message, expires int64) (types.TransactWriteItem, error) {
	item, err := s.messageItem(contactID, m, expires)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Messages, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(seq)")}}, nil
}

// Thread reads the messages of contact id stored after cursor ("" for all of them), in order: one query.
func (s *Contacts) Thread(ctx context.Context, id, cursor string) ([]contact.Message, error) {
	if s.Messages == "" {
		return nil, errors.New("read thread: no messages table configured")
	}
	from := cursor
	if from == "" {
		from = "0"
	}
	in := &dynamodb.QueryInput{
		TableName:              &s.Messages,
		KeyConditionExpression: aws.String("cid = :c AND seq BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": str(id), ":from": str(from), ":to": str(dedupPrefix[:1]),
		},
		ConsistentRead: aws.Bool(true),
	}
	var out []contact.Message
	err := eachItem(ctx, s.db, "read thread of contact "+id, in, func(item map[string]types.AttributeValue) error {
		var it messageItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return fmt.Errorf("decode message of contact %s: %w", id, err)
		}
		if it.Seq == cursor {
			return nil // BETWEEN includes the cursor itself
		}
		out = append(out, contact.Message{ID: it.Seq, From: contact.From(it.From), Text: it.Text, At: fromMillis(it.At),
			Name: it.Name, Event: it.Event, Intent: it.Intent, Ask: it.Ask})
		return nil
	})
	return out, err
}

// Where a follow-up goes next.
const (
	ToBot    = "bot"    // the bot answers it (the conversation was with the bot, or closed and now reopened)
	ToPerson = "person" // a person holds or will take the conversation: the message joins the thread
)

// Posted is what storing a shopper's follow-up did.
type Posted struct {
	Message contact.Message
	// Duplicate: the client had posted this message already; Message is that one and nothing changed.
	Duplicate bool
	// To is ToBot or ToPerson, or "" when a later message had already moved the conversation on (this one is in
	// the thread, and whoever answers the later one reads it); Status is the conversation's status after the post.
	To     string
	Status contact.Status
}

// ErrClosed is a post to a conversation that can no longer take messages: rejected, or closed for longer than
// contact.Reopen.
var ErrClosed = errors.New("conversation closed")

// Post adds the shopper's follow-up text to the conversation of r (as the intake read it) and moves the
// conversation along: to the bot when no person holds it (reopening a closed one within contact.Reopen), into
// the thread of the person who does, and back to the agent who asked when it was waiting for the shopper (to
// the queue, that agent first, when the agent's lease ran out). A repeat of clientID is the same message.
//
// It writes without a transaction, which DynamoDB bills twice for every item in it: first the client's message
// id with the message (when there is one: a repeat finds it and learns the message), then the message into the
// thread, then the conversation's state, each conditional. The conversation moves only after its message is
// stored, so nothing it points at is missing; a post that dies in between leaves its message in the thread and
// the repeat (the page retries with the same clientMessageId) finishes it with the same id. A post that loses a
// race to a newer message is already complete: the newer one moved the conversation and its reader sees both.
func (s *Contacts) Post(ctx context.Context, r contact.Record, text, clientID string) (Posted, error) {
	if s.Messages == "" {
		return Posted{}, errors.New("post message: no messages table configured")
	}
	now := s.Now()
	m := contact.Message{ID: contact.MessageID(now), From: contact.FromShopper, Text: text, At: now}
	if clientID != "" {
		earlier, done, err := s.claimClientID(ctx, r, m, clientID)
		switch {
		case err != nil:
			return Posted{}, err
		case done != nil:
			return *done, nil
		case earlier != nil:
			m = *earlier // the first post of this id died before it finished: finish it with its message
		}
	}
	const attempts = 5
	for attempt := 0; ; attempt++ {
		p, err := s.post(ctx, r, m, now)
		if !errors.Is(err, errRaced) || attempt == attempts-1 {
			return p, err
		}
		// The conversation moved between the read and the write (the bot answered, an agent replied): read again.
		if r, err = s.Get(ctx, r.ID); err != nil {
			return Posted{}, err
		}
		if r.Last >= m.ID {
			// A newer message got in first; this one is stored in the thread before it.
			return Posted{Message: m, Status: r.Status}, nil
		}
	}
}

// claimClientID records that clientID is message m of contact r. When an earlier post recorded it, it returns
// that post's result (done) when the conversation went past its message, or the message (earlier) to finish.
func (s *Contacts) claimClientID(ctx context.Context, r contact.Record, m contact.Message, clientID string) (earlier *contact.Message, done *Posted, err error) {
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Messages,
		Item: map[string]types.AttributeValue{
			topology.MessagePartition: str(r.ID), topology.MessageSort: str(dedupPrefix + clientID),
			"msg": str(m.ID), "text": str(m.Text), "at": num(millis(m.At)), "expiresAt": num(r.ReceivedAt.Add(s.retention).Unix()),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(seq)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return nil, nil, fmt.Errorf("post message to contact %s: record client message id: %w", r.ID, translate(err))
		}
		return nil, nil, nil
	}
	id, _ := ccf.Item["msg"].(*types.AttributeValueMemberS)
	if id == nil {
		return nil, nil, fmt.Errorf("post message to contact %s: the client's earlier message is unreadable", r.ID)
	}
	text, hasText := ccf.Item["text"].(*types.AttributeValueMemberS)
	if !hasText {
		// Recorded by a post that wrote everything in one transaction: complete; find its message.
		p, err := s.posted(ctx, r, id.Value)
		return nil, &p, err
	}
	var at int64
	if v, ok := ccf.Item["at"].(*types.AttributeValueMemberN); ok {
		at, _ = strconv.ParseInt(v.Value, 10, 64)
	}
	first := contact.Message{ID: id.Value, From: contact.FromShopper, Text: text.Value, At: fromMillis(at)}
	if r.Last >= first.ID {
		// The conversation went past it. The first post stored the message before moving the conversation, unless
		// it died before and a newer message moved it: store it (once) to be sure it is in the thread.
		if err := s.putOnce(ctx, r.ID, first, r.ReceivedAt.Add(s.retention).Unix()); err != nil {
			return nil, nil, fmt.Errorf("post message to contact %s: %w", r.ID, err)
		}
		return nil, &Posted{Message: first, Duplicate: true, Status: r.Status}, nil
	}
	return &first, nil, nil
}

var errRaced = errors.New("conversation changed meanwhile")

// post stores m in r's thread, then moves the conversation, as Post describes.
func (s *Contacts) post(ctx context.Context, r contact.Record, m contact.Message, now time.Time) (Posted, error) {
	expires := r.ReceivedAt.Add(s.retention).Unix()
	values := map[string]types.AttributeValue{
		":seen": str(string(r.Status)), ":seenAt": num(millis(r.UpdatedAt)), ":last": str(m.ID), ":now": num(now.UnixMilli()),
	}
	names := map[string]string{"#s": "status"}
	// A post that only adds to the thread holds while the status stands and no later message got in first; one
	// that moves the conversation holds only while nothing at all changed since the read.
	cond := "#s = :seen AND updatedAt = :seenAt"
	var (
		update string
		to     = ToPerson
		status = r.Status
		before []contact.Message // system messages that go before the shopper's
	)
	switch r.Status {
	case contact.Pending:
		// The bot has yet to answer the opening or an earlier follow-up: it answers this one after it.
		update, to = "SET #l = :last, turn = :last, updatedAt = :now", ToBot
		cond = "#s = :seen AND (attribute_not_exists(#l) OR #l < :last)"
	case contact.Answered, contact.Resolved:
		if now.Sub(r.UpdatedAt) > contact.Reopen {
			return Posted{}, fmt.Errorf("post to contact %s, closed %s ago: %w", r.ID, now.Sub(r.UpdatedAt).Round(time.Minute), ErrClosed)
		}
		if r.Status == contact.Resolved {
			before = append(before, contact.Message{ID: systemID(m.At), From: contact.FromSystem, Event: contact.EventReopened, At: m.At})
		}
		values[":pending"] = str(string(contact.Pending))
		update, to, status = "SET #s = :pending, #l = :last, turn = :last, updatedAt = :now REMOVE rating, #c", ToBot, contact.Pending
		names["#c"] = "comment"
	case contact.Queued, contact.Claimed:
		update = "SET #l = :last, updatedAt = :now"
		cond = "#s = :seen AND (attribute_not_exists(#l) OR #l < :last)"
	case contact.Waiting:
		it, err := s.getItem(ctx, r.ID)
		if err != nil {
			return Posted{}, err
		}
		place := queueKey(fromMillis(it.EnqueuedAt), r.ID)
		values[":place"] = str(place)
		if it.LeaseHash != "" && humanqueue.Held(fromMillis(it.LeaseUntil), now) {
			// The agent who asked still holds it: back to that agent's hands.
			values[":claimed"], values[":held"] = str(string(contact.Claimed)), str(heldKey(fromMillis(it.LeaseUntil), r.ID))
			update, status = "SET #s = :claimed, qs = :held, ak = :place, #l = :last, updatedAt = :now", contact.Claimed
		} else {
			// Back to the queue at its first place, for that agent first for a while.
			values[":queued"], values[":pref"], values[":prefUntil"] = str(string(contact.Queued)), str(it.Agent), num(now.Add(PreferFor).UnixMilli())
			update, status = "SET #s = :queued, qs = :place, ak = :place, pref = :pref, prefUntil = :prefUntil, #l = :last, updatedAt = :now REMOVE leaseHash, leaseUntil, agentSlot", contact.Queued
		}
	default:
		return Posted{}, fmt.Errorf("post to contact %s, %s: %w", r.ID, r.Status, ErrClosed)
	}
	names["#l"] = "last"
	if !strings.Contains(cond, ":seenAt") {
		delete(values, ":seenAt") // DynamoDB refuses values an expression does not use
	}
	for _, b := range append(before, m) {
		if err := s.putOnce(ctx, r.ID, b, expires); err != nil {
			return Posted{}, fmt.Errorf("post message to contact %s: %w", r.ID, err)
		}
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(contactKey(r.ID)), UpdateExpression: aws.String(update),
		ConditionExpression:      aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return Posted{}, errRaced
	}
	if err != nil {
		return Posted{}, fmt.Errorf("post message to contact %s: %w", r.ID, translate(err))
	}
	return Posted{Message: m, To: to, Status: status}, nil
}

// putOnce stores message m in the thread of contact id unless it is there already (a retried write).
func (s *Contacts) putOnce(ctx context.Context, id string, m contact.Message, expires int64) error {
	item, err := s.messageItem(id, m, expires)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Messages, Item: item, ConditionExpression: aws.String("attribute_not_exists(seq)")})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("store message %s: %w", m.ID, translate(err))
	}
	return nil
}

// PreferFor is how long a conversation that came back to the queue goes only to the agent who asked.
const PreferFor = 2 * time.Minute

// posted answers a repeated client message id with message id, which the first post stored.
func (s *Contacts) posted(ctx context.Context, r contact.Record, id string) (Posted, error) {
	thread, err := s.Thread(ctx, r.ID, "")
	if err != nil {
		return Posted{}, err
	}
	for _, m := range thread {
		if m.ID == id {
			return Posted{Message: m, Duplicate: true, Status: r.Status}, nil
		}
	}
	return Posted{}, fmt.Errorf("post message to contact %s: the client's earlier message %s is missing", r.ID, id)
}

// systemID is the id of a system message written at at: it sorts before any other message of that millisecond.
func systemID(at time.Time) string { return fmt.Sprintf("%013d#0", at.UnixMilli()) }

// ErrNoAnswer is feedback that has nothing to judge: "not helpful" when the latest answer is not the bot's, a
// rating before anyone answered.
var ErrNoAnswer = errors.New("no answer to give feedback on")

// Feedback records what the shopper thinks. Not helpful, on the bot's answer, hands the conversation over: it
// goes back to the responder (To is ToBot), which routes it to a person with the bot's answer in the thread. A
// rating (1-5, with a comment) is kept on the conversation once it was answered or resolved.
func (s *Contacts) Feedback(ctx context.Context, r contact.Record, f contact.Feedback) (Posted, error) {
	now := s.Now()
	switch {
	case f.Helpful != nil && *f.Helpful:
		return Posted{Status: r.Status}, nil // nothing changes; the answer stands
	case f.Helpful != nil:
		if r.Status != contact.Answered || r.AnsweredBy != "bot" || r.Declined && r.Turn != "" {
			return Posted{}, fmt.Errorf("mark the answer of contact %s (%s by %q) unhelpful: %w", r.ID, r.Status, r.AnsweredBy, ErrNoAnswer)
		}
		m := contact.Message{ID: systemID(now), From: contact.FromSystem, Event: contact.EventUnhelpful, At: now}
		put, err := s.putMessage(r.ID, m, r.ReceivedAt.Add(s.retention).Unix())
		if err != nil {
			return Posted{}, err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put, {Update: &types.Update{
			TableName: &s.table, Key: key(contactKey(r.ID)),
			UpdateExpression:         aws.String("SET #s = :pending, unhelpful = :t, turn = :m, #l = :m, updatedAt = :now"),
			ConditionExpression:      aws.String("#s = :answered AND updatedAt = :seenAt"),
			ExpressionAttributeNames: map[string]string{"#s": "status", "#l": "last"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pending": str(string(contact.Pending)), ":t": &types.AttributeValueMemberBOOL{Value: true}, ":m": str(m.ID),
				":now": num(now.UnixMilli()), ":answered": str(string(contact.Answered)), ":seenAt": num(millis(r.UpdatedAt)),
			},
		}}}})
		if isCanceledByCondition(err) {
			return Posted{}, fmt.Errorf("mark the answer of contact %s unhelpful: %w", r.ID, errRaced)
		}
		if err != nil {
			return Posted{}, fmt.Errorf("mark the answer of contact %s unhelpful: %w", r.ID, translate(err))
		}
		return Posted{Message: m, To: ToBot, Status: contact.Pending}, nil
	}
	if r.Status != contact.Answered && r.Status != contact.Resolved {
		return Posted{}, fmt.Errorf("rate contact %s, %s: %w", r.ID, r.Status, ErrNoAnswer)
	}
	values := map[string]types.AttributeValue{
		":r": num(int64(f.Rating)), ":answered": str(string(contact.Answered)), ":resolved": str(string(contact.Resolved)),
	}
	update := "SET rating = :r REMOVE #c"
	if f.Comment != "" {
		values[":c"], update = str(f.Comment), "SET rating = :r, #c = :c"
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(contactKey(r.ID)), UpdateExpression: aws.String(update),
		ConditionExpression:       aws.String("#s IN (:answered, :resolved)"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#c": "comment"},
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return Posted{}, fmt.Errorf("rate contact %s: %w", r.ID, ErrNoAnswer)
	}
	if err != nil {
		return Posted{}, fmt.Errorf("rate contact %s: %w", r.ID, translate(err))
	}
	return Posted{Status: r.Status}, nil
}

// isCanceledByCondition reports a transaction that a condition of one of its items cancelled.
func isCanceledByCondition(err error) bool {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return false
	}
	for _, r := range canceled.CancellationReasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" {
			return true
		}
	}
	return false
}

// Answered is what the responder stores for one turn of a conversation: the conversation's state afterwards, and
// the bot's reply (nil when the turn went to a person, who answers in the thread).
type Answered struct {
	Record contact.Record
	Reply  *contact.Message
	// Event is a system message to add before the reply (contact.EventQueued when handed to a person).
	Event string
}

// SettleTurn stores the responder's answer to the shopper's follow-up turn: the bot's reply (and the system event)
// in the thread, then the conversation's new state, which holds only while turn is still the conversation's open
// turn. It reports duplicate when that does not hold: a redelivery of a turn already answered, or a turn that a
// newer follow-up replaced (the newer one is answered with the whole thread). Never twice, never lost: the reply's
// id comes from the turn, so a redelivery writes the same message once, and the state moves only after it is
// stored. No transaction: DynamoDB bills each item of one twice.
func (s *Contacts) SettleTurn(ctx context.Context, turn string, a Answered) (duplicate bool, err error) {
	r := a.Record
	r.Turn = ""
	expires := r.ReceivedAt.Add(s.retention).Unix()
	var ms []contact.Message
	if a.Event != "" {
		ms = append(ms, contact.Message{ID: ReplyEventID(turn), From: contact.FromSystem, Event: a.Event, At: r.UpdatedAt})
		r.Last = ReplyEventID(turn)
	}
	if a.Reply != nil {
		ms = append(ms, *a.Reply)
		r.Last = a.Reply.ID
	}
	for _, m := range ms {
		if err := s.putOnce(ctx, r.ID, m, expires); err != nil {
			return false, fmt.Errorf("settle turn %s of contact %s: %w", turn, r.ID, err)
		}
	}
	it, err := toItem(r, s.retention)
	if err != nil {
		return false, err
	}
	expr, names, values := setAll(it.attributes())
	values[":turn"] = str(turn)
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(it.PK), UpdateExpression: aws.String(expr + " REMOVE turn"),
		ConditionExpression: aws.String("turn = :turn"), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("settle turn %s of contact %s: %w", turn, r.ID, translate(err))
	}
	return false, nil
}

// ReplyEventID is the id of the system event that goes with the answer to turn: between the turn and the reply.
func ReplyEventID(turn string) string { return turn + "#e" }

// appendMessages adds messages to r's thread, each once: a message already stored (a retried call) is skipped.
func (s *Contacts) appendMessages(ctx context.Context, r contact.Record, ms []contact.Message) error {
	if s.Messages == "" {
		return nil // no thread configured: the contact alone carries the conversation
	}
	expires := r.ReceivedAt.Add(s.retention).Unix()
	var errs []error
	for _, m := range ms {
		if err := s.putOnce(ctx, r.ID, m, expires); err != nil {
			errs = append(errs, fmt.Errorf("add to contact %s: %w", r.ID, err))
		}
	}
	return errors.Join(errs...)
}
