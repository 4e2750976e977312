package dynamo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/topology"
)

// catalogAPI is the part of *dynamodb.Client that Catalog uses.
type catalogAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Catalog stores the answer catalog's items: each template's and each merchant's rules' JSON, one version item
// that every change bumps (so readers check a single small item to know whether to reload), and per version a
// snapshot of the built triage; and the changes staged to be published by the next publication. What the JSON means, and when a snapshot is built, is package catalog's business.
type Catalog struct {
	db    catalogAPI
	table string
	// Backoff is how long batch writes wait before retrying unprocessed items; tests shorten it.
	Backoff Backoff
}

// NewCatalog returns a catalog store on table.
func NewCatalog(db catalogAPI, table string) *Catalog {
	return &Catalog{db: db, table: table, Backoff: DefaultBackoff}
}

const (
	templatePartition = "TEMPLATE"
	rulesPartition    = "RULES"
	metaPartition     = "META"
	// snapshotPartition holds, per catalog version, the built triage in parts with sort keys
	// <version, 20 digits>#<part, 4 digits>.
	snapshotPartition = "SNAPSHOT"
	// stagedPartition holds the changes approved but not yet published, one item per change key: its body, a tag
	// telling one staging of the key from another, and, once a publication took it, the version that did.
	stagedPartition = topology.CatalogStaged
)

// SnapshotPart is the size of a snapshot's parts: each part's item stays well under DynamoDB's 400 KB item limit.
const SnapshotPart = 300_000

func catalogKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{topology.CatalogPartition: str(pk), topology.CatalogSort: str(sk)}
}

// Version returns the catalog's version; 0 means nothing was ever written.
func (c *Catalog) Version(ctx context.Context) (int64, error) {
	v, _, err := c.Published(ctx)
	return v, err
}

// Published returns the catalog's version and the SHA-256 (hex) of the snapshot published for it, "" when none
// was: one read, so that a reader holding that very snapshot already (a responder's built-in default) need not
// read it again.
func (c *Catalog) Published(ctx context.Context) (int64, string, error) {
	out, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &c.table, Key: catalogKey(metaPartition, "version"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, "", fmt.Errorf("read catalog version: %w", translate(err))
	}
	v, ok := out.Item["version"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, "", nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("read catalog version %q: %w", v.Value, err)
	}
	var sum string
	if s, ok := out.Item["snapshotSha256"].(*types.AttributeValueMemberS); ok {
		if at, ok := out.Item["snapshotOf"].(*types.AttributeValueMemberN); ok && at.Value == v.Value {
			sum = s.Value
		}
	}
	return n, sum, nil
}

// Bump raises the version by one after a change and returns the new version.
func (c *Catalog) Bump(ctx context.Context) (int64, error) {
	out, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &c.table, Key: catalogKey(metaPartition, "version"),
		UpdateExpression:          aws.String("ADD version :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("bump catalog version: %w", translate(err))
	}
	v, ok := out.Attributes["version"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("bump catalog version: no version in the answer")
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bump catalog version to %q: %w", v.Value, err)
	}
	return n, nil
}

// EachTemplate visits every stored template's JSON, in the order of their ids.
func (c *Catalog) EachTemplate(ctx context.Context, visit func(id string, body []byte) error) error {
	return c.each(ctx, templatePartition, visit)
}

// EachRules visits every merchant's stored rules' JSON, in the order of the merchant ids.
func (c *Catalog) EachRules(ctx context.Context, visit func(merchant string, body []byte) error) error {
	return c.each(ctx, rulesPartition, visit)
}

func (c *Catalog) each(ctx context.Context, pk string, visit func(sk string, body []byte) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 &c.table,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	return eachItem(ctx, c.db, "read catalog "+pk, in, func(item map[string]types.AttributeValue) error {
		sk, _ := item[topology.CatalogSort].(*types.AttributeValueMemberS)
		body, _ := item["body"].(*types.AttributeValueMemberS)
		if sk == nil || body == nil {
			return fmt.Errorf("read catalog %s: item without sk or body", pk)
		}
		return visit(sk.Value, []byte(body.Value))
	})
}

// PutTemplates stores templates' JSON by id, replacing what was stored under the same ids. It does not bump the
// version: the caller does, once the whole change is stored.
func (c *Catalog) PutTemplates(ctx context.Context, bodies map[string][]byte) error {
	reqs := make([]types.WriteRequest, 0, len(bodies))
	for id, body := range bodies {
		item := catalogKey(templatePartition, id)
		item["body"] = str(string(body))
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	if err := c.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("put %d templates: %w", len(bodies), err)
	}
	return nil
}

// PutRules stores one merchant's rules' JSON. Like PutTemplates, it does not bump the version.
func (c *Catalog) PutRules(ctx context.Context, merchant string, body []byte) error {
	item := catalogKey(rulesPartition, merchant)
	item["body"] = str(string(body))
	if _, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &c.table, Item: item}); err != nil {
		return fmt.Errorf("put rules of %s: %w", merchant, translate(err))
	}
	return nil
}

// batchWrite writes reqs 25 at a time, retrying what DynamoDB leaves unprocessed after a growing, jittered pause:
// unprocessed items mean the table is throttling, and retrying at once would only be throttled again.
func (c *Catalog) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	const attempts = 8
	for start := 0; start < len(reqs); start += 25 {
		pending := reqs[start:min(start+25, len(reqs))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt == attempts {
				return fmt.Errorf("%d writes still unprocessed after %d attempts: %w", len(pending), attempt, errThrottledBatch)
			}
			if attempt > 0 {
				if err := c.Backoff.wait(ctx, attempt); err != nil {
					return fmt.Errorf("%d writes unprocessed: %w", len(pending), err)
				}
			}
			out, err := c.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{c.table: pending}})
			if err != nil {
				return translate(err)
			}
			pending = out.UnprocessedItems[c.table]
		}
	}
	return nil
}

// PutSnapshot stores the snapshot of version b, in parts with a part count and a checksum, and names it on the
// version item if version is still the catalog's. The version before stays for readers that are reading it now;
// older ones go.
func (c *Catalog) PutSnapshot(ctx context.Context, version int64, b []byte) error {
	sum, err := c.StoreSnapshot(ctx, version, b)
	if err != nil {
		return err
	}
	// The version item names the snapshot of its version, unless a later change already moved it on.
	_, err = c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &c.table, Key: catalogKey(metaPartition, "version"),
		UpdateExpression:          aws.String("SET snapshotSha256 = :sum, snapshotOf = :v"),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":sum": str(sum), ":v": num(version)},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("name catalog snapshot of version %d: %w", version, translate(err))
	}
	return nil
}

// StoreSnapshot stores the snapshot of version b in parts, without naming it, and returns its SHA-256 (hex):
// Advance names it when it makes version the catalog's. Parts of versions before version-1 go.
func (c *Catalog) StoreSnapshot(ctx context.Context, version int64, b []byte) (string, error) {
	h := sha256.Sum256(b)
	sum := hex.EncodeToString(h[:])
	parts := (len(b) + SnapshotPart - 1) / SnapshotPart
	var reqs []types.WriteRequest
	for i := range parts {
		item := catalogKey(snapshotPartition, snapshotKey(version, i))
		item["data"] = &types.AttributeValueMemberB{Value: b[i*SnapshotPart : min(len(b), (i+1)*SnapshotPart)]}
		item["parts"] = num(int64(parts))
		item["sha256"] = str(sum)
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	old, err := c.snapshotKeysBefore(ctx, version-1)
	if err != nil {
		return "", fmt.Errorf("put catalog snapshot of version %d: %w", version, err)
	}
	for _, sk := range old {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: catalogKey(snapshotPartition, sk)}})
	}
	if err := c.batchWrite(ctx, reqs); err != nil {
		return "", fmt.Errorf("put catalog snapshot of version %d: %w", version, err)
	}
	return sum, nil
}

// Stage stores body as the change named key, to be published later, replacing a change staged under the same
// key. It does not bump the version.
func (c *Catalog) Stage(ctx context.Context, key string, body []byte) error {
	if _, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &c.table, Item: c.stagedItem(key, body)}); err != nil {
		return fmt.Errorf("stage catalog change %s: %w", key, translate(err))
	}
	return nil
}

// stagedItem is the item of a change staged under key, with a fresh tag.
func (c *Catalog) stagedItem(key string, body []byte) map[string]types.AttributeValue {
	item := catalogKey(stagedPartition, key)
	item["body"] = str(string(body))
	item["tag"] = str(newTag())
	return item
}

func newTag() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// EachStaged visits every staged change, in the order of their keys: its key, body and tag, and the version whose
// publication took it (0 while it waits).
func (c *Catalog) EachStaged(ctx context.Context, visit func(key string, body []byte, tag string, publishedIn int64) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 &c.table,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(stagedPartition)},
		ConsistentRead:            aws.Bool(true),
	}
	return eachItem(ctx, c.db, "read staged catalog changes", in, func(item map[string]types.AttributeValue) error {
		sk, _ := item[topology.CatalogSort].(*types.AttributeValueMemberS)
		body, _ := item["body"].(*types.AttributeValueMemberS)
		tag, _ := item["tag"].(*types.AttributeValueMemberS)
		if sk == nil || body == nil || tag == nil {
			return fmt.Errorf("read staged catalog changes: item without sk, body or tag")
		}
		var in int64
		if v, ok := item["publishedIn"].(*types.AttributeValueMemberN); ok {
			n, err := strconv.ParseInt(v.Value, 10, 64)
			if err != nil {
				return fmt.Errorf("read staged catalog change %s: publishedIn %q: %w", sk.Value, v.Value, err)
			}
			in = n
		}
		return visit(sk.Value, []byte(body.Value), tag.Value, in)
	})
}

// maxAdvance bounds the staged changes one Advance marks: a transaction holds at most 100 items, one of them the
// version.
const maxAdvance = 99

// Advance makes from+1 the catalog's version, naming its snapshot (stored already with StoreSnapshot, whose SHA-256
// is sum), and marks the staged changes (key to tag) as published in it, in one transaction: readers never see the
// version without its snapshot, and a staged change is never published without it saying so. It reports false,
// changing nothing, when the version is no longer from or a staged change is gone or was staged again.
func (c *Catalog) Advance(ctx context.Context, from int64, sum string, staged map[string]string) (bool, error) {
	if len(staged) > maxAdvance {
		return false, fmt.Errorf("advance catalog version %d: %d staged changes, at most %d at once", from, len(staged), maxAdvance)
	}
	next := from + 1
	cond := "version = :from"
	values := map[string]types.AttributeValue{":from": num(from), ":next": num(next), ":sum": str(sum)}
	if from == 0 {
		cond = "attribute_not_exists(version)"
		delete(values, ":from")
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &c.table, Key: catalogKey(metaPartition, "version"),
		UpdateExpression:          aws.String("SET version = :next, snapshotSha256 = :sum, snapshotOf = :next"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: values,
	}}}
	for key, tag := range staged {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &c.table, Key: catalogKey(stagedPartition, key),
			UpdateExpression:          aws.String("SET publishedIn = :next"),
			ConditionExpression:       aws.String("tag = :tag"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":next": num(next), ":tag": str(tag)},
		}})
	}
	_, err := c.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		for _, r := range canceled.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				return false, nil
			}
		}
	}
	if err != nil {
		return false, fmt.Errorf("advance catalog version %d with %d staged changes: %w", from, len(staged), translate(err))
	}
	return true, nil
}

// Unstage removes the staged change key if it still carries tag; a change staged again since stays.
func (c *Catalog) Unstage(ctx context.Context, key, tag string) error {
	_, err := c.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &c.table, Key: catalogKey(stagedPartition, key),
		ConditionExpression:       aws.String("tag = :tag"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":tag": str(tag)}})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("unstage catalog change %s: %w", key, translate(err))
	}
	return nil
}

func snapshotKey(version int64, part int) string { return fmt.Sprintf("%020d#%04d", version, part) }

// snapshotKeysBefore lists the sort keys of snapshot parts of versions before version.
func (c *Catalog) snapshotKeysBefore(ctx context.Context, version int64) ([]string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &c.table,
		KeyConditionExpression:    aws.String("pk = :pk AND sk < :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(snapshotPartition), ":before": str(snapshotKey(version, 0))},
		ProjectionExpression:      aws.String("sk"),
	}
	var keys []string
	err := eachItem(ctx, c.db, "list old snapshots", in, func(item map[string]types.AttributeValue) error {
		if sk, ok := item[topology.CatalogSort].(*types.AttributeValueMemberS); ok {
			keys = append(keys, sk.Value)
		}
		return nil
	})
	return keys, err
}

// ErrSnapshotDamaged reports a snapshot whose parts do not add up; readers build from the templates instead.
var ErrSnapshotDamaged = errors.New("catalog snapshot damaged")

// Snapshot returns the snapshot stored for version, or nil when there is none (a catalog written before
// snapshots existed, or a publish that failed).
func (c *Catalog) Snapshot(ctx context.Context, version int64) ([]byte, error) {
	in := &dynamodb.QueryInput{
		TableName:              &c.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :version)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(snapshotPartition), ":version": str(snapshotKey(version, 0)[:21]),
		},
		ConsistentRead: aws.Bool(true),
	}
	var (
		data  bytes.Buffer
		parts int
		sum   string
		got   int
	)
	err := eachItem(ctx, c.db, fmt.Sprintf("read catalog snapshot of version %d", version), in, func(item map[string]types.AttributeValue) error {
		d, _ := item["data"].(*types.AttributeValueMemberB)
		n, _ := item["parts"].(*types.AttributeValueMemberN)
		s, _ := item["sha256"].(*types.AttributeValueMemberS)
		if d == nil || n == nil || s == nil || (sum != "" && s.Value != sum) {
			return fmt.Errorf("read catalog snapshot of version %d: %w: parts of different snapshots", version, ErrSnapshotDamaged)
		}
		var err error
		if parts, err = strconv.Atoi(n.Value); err != nil {
			return fmt.Errorf("read catalog snapshot of version %d: %w: parts %q", version, ErrSnapshotDamaged, n.Value)
		}
		sum = s.Value
		data.Write(d.Value)
		got++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if got == 0 {
		return nil, nil
	}
	if h := sha256.Sum256(data.Bytes()); got != parts || hex.EncodeToString(h[:]) != sum {
		return nil, fmt.Errorf("read catalog snapshot of version %d: %w: %d of %d parts, checksum mismatch", version, ErrSnapshotDamaged, got, parts)
	}
	return data.Bytes(), nil
}
