package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
	"breakwater/shared/topology"
	"breakwater/shared/voice"
)

// voiceAPI is the part of *dynamodb.Client that Voice uses.
type voiceAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Voice stores what the voice of the customer keeps in its own table, each kind of item under its own partition:
//
//	V#<merchant>#<hour>  <contact id>        a masked voice, by the hour the shopper wrote   (TTL: retention)
//	K#<merchant>         <cluster id>        a problem: centroid, label, status, owner       (TTL: 30 days unseen)
//	H#<merchant>         <hour>              the hour's count per problem                    (TTL: retention)
//	R#<merchant>         routing             the merchant's owners and rules                 (kept)
//	D#<merchant>         <draft id>          a draft template and its review                 (TTL: 90 days)
//	M                    <merchant>          a merchant with voices, and since when          (TTL: retention)
//	G#<merchant>         <owner>#<date>      a digest sent                                   (TTL: 3 days)
//	META                 watermark           how far contacts were gathered
//	OUTBOX               <time>#<n>          a message for an owner, when run locally        (TTL: 7 days)
//
// Bodies are JSON of the domain's types; statuses that reviews and runs both write are attributes too, for
// conditional writes.
type Voice struct {
	db        voiceAPI
	table     string
	retention time.Duration
	// Backoff is how long batch writes wait before retrying unprocessed items; tests shorten it.
	Backoff Backoff
	// Now is the clock for TTLs; tests set it.
	Now func() time.Time
}

// NewVoice returns a store on table that keeps voices and hourly counts for retention.
func NewVoice(db voiceAPI, table string, retention time.Duration) *Voice {
	return &Voice{db: db, table: table, retention: retention, Backoff: DefaultBackoff, Now: time.Now}
}

// TTLs of the items other than voices and hours.
const (
	clusterTTL = 30 * 24 * time.Hour
	draftTTL   = 90 * 24 * time.Hour
	digestTTL  = 3 * 24 * time.Hour
	outboxTTL  = 7 * 24 * time.Hour
)

func hourKey(t time.Time) string { return t.UTC().Format("2006010215") }

func voiceKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{topology.VoicePartition: str(pk), topology.VoiceSort: str(sk)}
}

// bodyItem is an item whose content is one JSON body.
type bodyItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Body      string `dynamodbav:"body"`
	Status    string `dynamodbav:"status,omitempty"`
	Rev       int64  `dynamodbav:"rev,omitempty"`
	ExpiresAt int64  `dynamodbav:"expiresAt,omitempty"`
}

func (s *Voice) item(pk, sk string, v any, expires time.Time) (map[string]types.AttributeValue, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", pk, sk, err)
	}
	it := bodyItem{PK: pk, SK: sk, Body: string(b)}
	if !expires.IsZero() {
		it.ExpiresAt = expires.Unix()
	}
	m, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", pk, sk, err)
	}
	return m, nil
}

// query visits the body of every item of partition pk with a sort key in [from, to) (all when both are empty).
func (s *Voice) query(ctx context.Context, pk, from, to string, visit func(sk string, it bodyItem) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	}
	if from != "" || to != "" {
		in.KeyConditionExpression = aws.String("pk = :pk AND sk BETWEEN :from AND :to")
		in.ExpressionAttributeValues[":from"], in.ExpressionAttributeValues[":to"] = str(from), str(to)
	}
	return eachItem(ctx, s.db, "read voice items "+pk, in, func(item map[string]types.AttributeValue) error {
		var it bodyItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return fmt.Errorf("decode voice item %s: %w", pk, err)
		}
		if from != "" && it.SK == to {
			return nil // BETWEEN includes its upper bound
		}
		return visit(it.SK, it)
	})
}

// PutVoices stores masked voices, replacing earlier outcomes of the same contacts.
func (s *Voice) PutVoices(ctx context.Context, vs []voice.Voice) error {
	reqs := make([]types.WriteRequest, 0, len(vs))
	// A batch may not hold the same key twice; the later outcome of a contact wins.
	last := map[string]int{}
	for i, v := range vs {
		last["V#"+v.Merchant+"#"+hourKey(v.At)+"\x00"+v.ID] = i
	}
	for i, v := range vs {
		pk := "V#" + v.Merchant + "#" + hourKey(v.At)
		if last[pk+"\x00"+v.ID] != i {
			continue
		}
		item, err := s.item(pk, v.ID, v, v.At.Add(s.retention))
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	if err := batchWrite(ctx, s.db, s.table, s.Backoff, reqs); err != nil {
		return fmt.Errorf("put %d voices: %w", len(vs), err)
	}
	return nil
}

// Voices reads merchant's voices of [from, to), hour partition by hour partition.
func (s *Voice) Voices(ctx context.Context, merchant string, from, to time.Time) ([]voice.Voice, error) {
	var out []voice.Voice
	for h := from.UTC().Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		err := s.query(ctx, "V#"+merchant+"#"+hourKey(h), "", "", func(sk string, it bodyItem) error {
			var v voice.Voice
			if err := json.Unmarshal([]byte(it.Body), &v); err != nil {
				return fmt.Errorf("decode voice %s of %s: %w", sk, merchant, err)
			}
			if !v.At.Before(from) && v.At.Before(to) {
				out = append(out, v)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Merchants lists every merchant with voices and when its first voice was written.
func (s *Voice) Merchants(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	in := &dynamodb.QueryInput{TableName: &s.table, KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("M")}}
	err := eachItem(ctx, s.db, "read voice merchants", in, func(item map[string]types.AttributeValue) error {
		var it struct {
			SK    string `dynamodbav:"sk"`
			Since int64  `dynamodbav:"since"`
		}
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return fmt.Errorf("decode voice merchant: %w", err)
		}
		out[it.SK] = fromMillis(it.Since)
		return nil
	})
	return out, err
}

// NoteMerchants records merchants, keeping each one's earliest voice time, and extends their TTL.
func (s *Voice) NoteMerchants(ctx context.Context, since map[string]time.Time) error {
	for m, t := range since {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: voiceKey("M", m),
			UpdateExpression:          aws.String("SET since = if_not_exists(since, :t), expiresAt = :e"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": num(t.UnixMilli()), ":e": num(s.Now().Add(s.retention).Unix())},
		})
		if err != nil {
			return fmt.Errorf("note voice merchant %s: %w", m, translate(err))
		}
	}
	return nil
}

// Clusters reads merchant's problems.
func (s *Voice) Clusters(ctx context.Context, merchant string) ([]voice.Cluster, error) {
	var out []voice.Cluster
	err := s.query(ctx, "K#"+merchant, "", "", func(sk string, it bodyItem) error {
		c, err := decodeCluster(it)
		if err != nil {
			return fmt.Errorf("decode problem %s of %s: %w", sk, merchant, err)
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// Cluster reads one problem; voice.ErrNotFound when there is none.
func (s *Voice) Cluster(ctx context.Context, merchant, id string) (voice.Cluster, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: voiceKey("K#"+merchant, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return voice.Cluster{}, fmt.Errorf("read problem %s of %s: %w", id, merchant, translate(err))
	}
	if out.Item == nil {
		return voice.Cluster{}, fmt.Errorf("read problem %s of %s: %w", id, merchant, voice.ErrNotFound)
	}
	var it bodyItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return voice.Cluster{}, fmt.Errorf("decode problem %s of %s: %w", id, merchant, err)
	}
	return decodeCluster(it)
}

func decodeCluster(it bodyItem) (voice.Cluster, error) {
	var c voice.Cluster
	if err := json.Unmarshal([]byte(it.Body), &c); err != nil {
		return c, err
	}
	c.Rev = it.Rev
	return c, nil
}

// PutClusters stores problems, each only if nobody changed it since it was read (its Rev). When an owner
// acknowledged or resolved a problem meanwhile, their status wins and the rest of the run's update is kept.
func (s *Voice) PutClusters(ctx context.Context, cs []voice.Cluster) error {
	for _, c := range cs {
		for attempt := 0; ; attempt++ {
			err := s.putCluster(ctx, c)
			if !isConditionFailed(err) || attempt == 3 {
				if err != nil {
					return fmt.Errorf("put problem %s of %s: %w", c.ID, c.Merchant, err)
				}
				break
			}
			stored, gerr := s.Cluster(ctx, c.Merchant, c.ID)
			if gerr != nil {
				return gerr
			}
			if !stored.StatusAt.Before(c.StatusAt) {
				c.Status, c.StatusAt, c.StatusBy, c.Regression = stored.Status, stored.StatusAt, stored.StatusBy, stored.Regression
			}
			c.Rev = stored.Rev
		}
	}
	return nil
}

func (s *Voice) putCluster(ctx context.Context, c voice.Cluster) error {
	rev := c.Rev
	c.Rev = 0
	item, err := s.item("K#"+c.Merchant, c.ID, c, maxTime(c.LastSeen, c.StatusAt).Add(clusterTTL))
	if err != nil {
		return err
	}
	item["rev"] = num(rev + 1)
	item["status"] = str(string(c.Status))
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR rev = :rev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":rev": num(rev)}}
	if rev == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk) OR attribute_not_exists(rev) OR rev = :rev")
	}
	_, err = s.db.PutItem(ctx, in)
	return translate(err)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// SetStatus is an owner acknowledging, resolving or reopening a problem; it keeps the run's other fields.
func (s *Voice) SetStatus(ctx context.Context, merchant, id string, st voice.Status, by string, at time.Time) (voice.Cluster, error) {
	for attempt := 0; attempt < 4; attempt++ {
		c, err := s.Cluster(ctx, merchant, id)
		if err != nil {
			return c, err
		}
		c.Status, c.StatusAt, c.StatusBy = st, at, by
		if st != voice.Open {
			c.Regression = false
		}
		err = s.putCluster(ctx, c)
		if isConditionFailed(err) {
			continue // the hourly run wrote it meanwhile: read it again
		}
		if err != nil {
			return c, fmt.Errorf("set problem %s of %s %s: %w", id, merchant, st, err)
		}
		c.Rev++
		return c, nil
	}
	return voice.Cluster{}, fmt.Errorf("set problem %s of %s %s: %w", id, merchant, st, voice.ErrDecided)
}

// Hours reads merchant's hourly counts of [from, to).
func (s *Voice) Hours(ctx context.Context, merchant string, from, to time.Time) (map[time.Time]voice.HourCounts, error) {
	out := map[time.Time]voice.HourCounts{}
	err := s.query(ctx, "H#"+merchant, hourKey(from), hourKey(to), func(sk string, it bodyItem) error {
		var h voice.HourCounts
		if err := json.Unmarshal([]byte(it.Body), &h); err != nil {
			return fmt.Errorf("decode counts of %s at %s: %w", merchant, sk, err)
		}
		out[h.Hour.UTC()] = h
		return nil
	})
	return out, err
}

// PutHours stores hourly counts, replacing those of the same hours.
func (s *Voice) PutHours(ctx context.Context, hs []voice.HourCounts) error {
	reqs := make([]types.WriteRequest, 0, len(hs))
	for _, h := range hs {
		item, err := s.item("H#"+h.Merchant, hourKey(h.Hour), h, h.Hour.Add(s.retention))
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	if err := batchWrite(ctx, s.db, s.table, s.Backoff, reqs); err != nil {
		return fmt.Errorf("put %d hourly counts: %w", len(hs), err)
	}
	return nil
}

// Routing reads merchant's routing, and whether it has any.
func (s *Voice) Routing(ctx context.Context, merchant string) (voice.Routing, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: voiceKey("R#"+merchant, "routing")})
	if err != nil {
		return voice.Routing{}, false, fmt.Errorf("read routing of %s: %w", merchant, translate(err))
	}
	if out.Item == nil {
		return voice.Routing{}, false, nil
	}
	var it bodyItem
	var r voice.Routing
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return r, false, fmt.Errorf("decode routing of %s: %w", merchant, err)
	}
	if err := json.Unmarshal([]byte(it.Body), &r); err != nil {
		return r, false, fmt.Errorf("decode routing of %s: %w", merchant, err)
	}
	return r, true, nil
}

// PutRouting validates and stores a merchant's routing.
func (s *Voice) PutRouting(ctx context.Context, r voice.Routing) error {
	if err := r.Validate(); err != nil {
		return err
	}
	item, err := s.item("R#"+r.Merchant, "routing", r, time.Time{})
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("put routing of %s: %w", r.Merchant, translate(err))
	}
	return nil
}

// Drafts reads merchant's drafts.
func (s *Voice) Drafts(ctx context.Context, merchant string) ([]voice.Draft, error) {
	var out []voice.Draft
	err := s.query(ctx, "D#"+merchant, "", "", func(sk string, it bodyItem) error {
		var d voice.Draft
		if err := json.Unmarshal([]byte(it.Body), &d); err != nil {
			return fmt.Errorf("decode draft %s of %s: %w", sk, merchant, err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// Draft reads one draft; voice.ErrNotFound when there is none.
func (s *Voice) Draft(ctx context.Context, merchant, id string) (voice.Draft, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: voiceKey("D#"+merchant, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return voice.Draft{}, fmt.Errorf("read draft %s of %s: %w", id, merchant, translate(err))
	}
	if out.Item == nil {
		return voice.Draft{}, fmt.Errorf("read draft %s of %s: %w", id, merchant, voice.ErrNotFound)
	}
	var it bodyItem
	var d voice.Draft
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return d, fmt.Errorf("decode draft %s of %s: %w", id, merchant, err)
	}
	if err := json.Unmarshal([]byte(it.Body), &d); err != nil {
		return d, fmt.Errorf("decode draft %s of %s: %w", id, merchant, err)
	}
	return d, nil
}

// PutDrafts stores drafts a run proposed or refreshed, each only while its stored status is the one it has:
// a draft approved or rejected meanwhile is not put back to pending. Those it skips are not errors.
func (s *Voice) PutDrafts(ctx context.Context, ds []voice.Draft) error {
	for _, d := range ds {
		err := s.putDraft(ctx, d, d.Status, true)
		if err != nil && !isConditionFailed(err) {
			return fmt.Errorf("put draft %s of %s: %w", d.ID, d.Merchant, err)
		}
	}
	return nil
}

// DecideDraft stores an approved or rejected draft if the stored one is still pending; voice.ErrDecided otherwise.
func (s *Voice) DecideDraft(ctx context.Context, d voice.Draft) error {
	err := s.putDraft(ctx, d, voice.Pending, false)
	if isConditionFailed(err) {
		return fmt.Errorf("decide draft %s of %s: %w", d.ID, d.Merchant, voice.ErrDecided)
	}
	if err != nil {
		return fmt.Errorf("decide draft %s of %s: %w", d.ID, d.Merchant, err)
	}
	return nil
}

// UpdateDraft stores d if the stored draft's status is from; voice.ErrDecided otherwise. Publishing a draft moves
// it from voice.Publishing to voice.Approved (or back to voice.Pending when it cannot be published).
func (s *Voice) UpdateDraft(ctx context.Context, d voice.Draft, from voice.DraftStatus) error {
	err := s.putDraft(ctx, d, from, false)
	if isConditionFailed(err) {
		return fmt.Errorf("update draft %s of %s from %s: %w", d.ID, d.Merchant, from, voice.ErrDecided)
	}
	if err != nil {
		return fmt.Errorf("update draft %s of %s: %w", d.ID, d.Merchant, err)
	}
	return nil
}

// StageApproval stores d, approved and waiting to be published (voice.Publishing), and stages body as the catalog
// change key in cat's table, in one transaction: an approval is never stored without its change, nor a change
// without its approval. voice.ErrDecided, with nothing stored, when the stored draft is no longer pending.
func (s *Voice) StageApproval(ctx context.Context, cat *Catalog, d voice.Draft, key string, body []byte) error {
	put, err := s.draftPut(d, voice.Pending, false)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues}},
		{Put: &types.Put{TableName: &cat.table, Item: cat.stagedItem(key, body)}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 && aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return fmt.Errorf("approve draft %s of %s: %w", d.ID, d.Merchant, voice.ErrDecided)
	}
	if err != nil {
		return fmt.Errorf("approve draft %s of %s and stage %s: %w", d.ID, d.Merchant, key, translate(err))
	}
	return nil
}

// Approvals stores approvals of drafts in Voice with the changes they stage in Catalog (Voice.StageApproval).
type Approvals struct {
	Voice   *Voice
	Catalog *Catalog
}

// StageApproval is Voice.StageApproval on a's catalog.
func (a Approvals) StageApproval(ctx context.Context, d voice.Draft, key string, body []byte) error {
	return a.Voice.StageApproval(ctx, a.Catalog, d, key, body)
}

func (s *Voice) putDraft(ctx context.Context, d voice.Draft, stored voice.DraftStatus, orNew bool) error {
	in, err := s.draftPut(d, stored, orNew)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, in)
	return translate(err)
}

// draftPut is the put of d, if the stored draft's status is stored (or, with orNew, there is none).
func (s *Voice) draftPut(d voice.Draft, stored voice.DraftStatus, orNew bool) (*dynamodb.PutItemInput, error) {
	item, err := s.item("D#"+d.Merchant, d.ID, d, d.UpdatedAt.Add(draftTTL))
	if err != nil {
		return nil, err
	}
	item["status"] = str(string(d.Status))
	cond := "#s = :stored"
	if orNew {
		cond = "attribute_not_exists(pk) OR #s = :stored"
	}
	return &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":stored": str(string(stored))}}, nil
}

// Watermark is how far contacts were gathered; zero before the first gather.
func (s *Voice) Watermark(ctx context.Context) (time.Time, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: voiceKey("META", "watermark"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return time.Time{}, fmt.Errorf("read voice watermark: %w", translate(err))
	}
	v, ok := out.Item["at"].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("read voice watermark %q: %w", v.Value, err)
	}
	return fromMillis(ms), nil
}

// PutWatermark moves the watermark to t.
func (s *Voice) PutWatermark(ctx context.Context, t time.Time) error {
	item := voiceKey("META", "watermark")
	item["at"] = num(t.UnixMilli())
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("put voice watermark: %w", translate(err))
	}
	return nil
}

// MarkDigest records that owner got merchant's digest for date, reporting false when it already had.
func (s *Voice) MarkDigest(ctx context.Context, merchant, owner, date string) (bool, error) {
	item := voiceKey("G#"+merchant, owner+"#"+date)
	item["expiresAt"] = num(s.Now().Add(digestTTL).Unix())
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark digest of %s to %s: %w", merchant, owner, translate(err))
	}
	return true, nil
}

// UnmarkDigest forgets a digest that could not be sent, so the next run sends it.
func (s *Voice) UnmarkDigest(ctx context.Context, merchant, owner, date string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: voiceKey("G#"+merchant, owner+"#"+date)}); err != nil {
		return fmt.Errorf("unmark digest of %s to %s: %w", merchant, owner, translate(err))
	}
	return nil
}

// OutboxMessage is a message kept in the outbox instead of being sent (local runs).
type OutboxMessage struct {
	At      time.Time   `json:"at"`
	Owner   voice.Owner `json:"owner"`
	Kind    string      `json:"kind"`
	Subject string      `json:"subject"`
	Text    string      `json:"text"`
	Data    any         `json:"data,omitempty"`
}

var outboxSeq struct {
	sync.Mutex
	n int64
}

// Send keeps m for to in the outbox: the local stand-in for SNS, SES and webhooks, which scripts/voice prints.
func (s *Voice) Send(ctx context.Context, to voice.Owner, m voice.Message) error {
	outboxSeq.Lock()
	outboxSeq.n++
	n := outboxSeq.n
	outboxSeq.Unlock()
	now := s.Now()
	item, err := s.item("OUTBOX", fmt.Sprintf("%s#%06d", now.UTC().Format(time.RFC3339Nano), n),
		OutboxMessage{At: now, Owner: to, Kind: m.Kind, Subject: m.Subject, Text: m.Text, Data: m.Data}, now.Add(outboxTTL))
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("keep %s for %s in the outbox: %w", m.Kind, to.ID, translate(err))
	}
	return nil
}

// Outbox lists the messages kept since from.
func (s *Voice) Outbox(ctx context.Context, from time.Time) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := s.query(ctx, "OUTBOX", from.UTC().Format(time.RFC3339Nano), "~", func(sk string, it bodyItem) error {
		var m OutboxMessage
		if err := json.Unmarshal([]byte(it.Body), &m); err != nil {
			return fmt.Errorf("decode outbox message %s: %w", sk, err)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// batchWrite writes reqs 25 at a time, retrying what DynamoDB leaves unprocessed after a growing, jittered pause.
func batchWrite(ctx context.Context, db interface {
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}, table string, b Backoff, reqs []types.WriteRequest) error {
	const attempts = 8
	for start := 0; start < len(reqs); start += 25 {
		pending := reqs[start:min(start+25, len(reqs))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt == attempts {
				return fmt.Errorf("%d writes still unprocessed after %d attempts: %w", len(pending), attempt, errThrottledBatch)
			}
			if attempt > 0 {
				if err := b.wait(ctx, attempt); err != nil {
					return fmt.Errorf("%d writes unprocessed: %w", len(pending), err)
				}
			}
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: pending}})
			if err != nil {
				return translate(err)
			}
			pending = out.UnprocessedItems[table]
		}
	}
	return nil
}

// scanAPI is the part of *dynamodb.Client that ContactScan uses.
type scanAPI interface {
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// ContactScan reads the contacts whose outcome changed in a window, for the voice of the customer. The Contacts
// table has no index by time (the hot path writes nothing for voice), so this is a parallel Scan with a filter:
// it reads, and is billed for, the whole table once per run (see the voice function's cost in EVAL.md).
type ContactScan struct {
	db    scanAPI
	table string
	// Segments is how many parallel scan segments read the table.
	Segments int
	// Now is the clock for expired leases; tests set it.
	Now func() time.Time
}

// NewContactScan returns a scan of table in segments.
func NewContactScan(db scanAPI, table string, segments int) *ContactScan {
	return &ContactScan{db: db, table: table, Segments: max(1, segments), Now: time.Now}
}

// EachUpdated visits every contact whose updatedAt is in [from, to), from several segments at once; visit is
// never called concurrently.
func (s *ContactScan) EachUpdated(ctx context.Context, from, to time.Time, visit func(contact.Record) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs = make([]error, s.Segments)
	)
	now := s.Now()
	for seg := range s.Segments {
		wg.Go(func() {
			in := &dynamodb.ScanInput{
				TableName:        &s.table,
				Segment:          aws.Int32(int32(seg)),
				TotalSegments:    aws.Int32(int32(s.Segments)),
				FilterExpression: aws.String("begins_with(pk, :c) AND updatedAt >= :from AND updatedAt < :to"),
				// Everything but the token hash and the lease.
				ProjectionExpression:     aws.String("pk, id, merchant, shopperId, tier, locale, channel, #t, topic, ctx, receivedAt, recent, #s, answer, answeredBy, intent, template, confidence, priority, reasons, suggested, enqueuedAt, updatedAt"),
				ExpressionAttributeNames: map[string]string{"#t": "text", "#s": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":c": str("C#"), ":from": num(from.UnixMilli()), ":to": num(to.UnixMilli()),
				},
			}
			pages := dynamodb.NewScanPaginator(s.db, in)
			for pages.HasMorePages() {
				out, err := pages.NextPage(ctx)
				if err != nil {
					errs[seg] = fmt.Errorf("scan contacts segment %d: %w", seg, translate(err))
					cancel()
					return
				}
				for _, item := range out.Items {
					var it contactItem
					if err := attributevalue.UnmarshalMap(item, &it); err != nil {
						errs[seg] = fmt.Errorf("decode contact: %w", err)
						cancel()
						return
					}
					rec, err := it.record(now)
					if err != nil {
						errs[seg] = err
						cancel()
						return
					}
					mu.Lock()
					err = visit(rec)
					mu.Unlock()
					if err != nil {
						errs[seg] = err
						cancel()
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
