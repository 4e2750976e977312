package dynamo

import (
	"bytes"
	"context"
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
}

// Catalog stores the answer catalog's items: each template's and each merchant's rules' JSON, one version item
// that every change bumps (so readers check a single small item to know whether to reload), and per version a
// snapshot of the built triage. What the JSON means, and when a snapshot is built, is package catalog's business.
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
	// snapshotPart keeps each part's item well under DynamoDB's 400 KB item limit.
	snapshotPart = 300_000
)

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

// PutSnapshot stores the snapshot of version b, in parts with a part count and a checksum. The version before
// stays for readers that are reading it now; older ones go.
func (c *Catalog) PutSnapshot(ctx context.Context, version int64, b []byte) error {
	sum := sha256.Sum256(b)
	parts := (len(b) + snapshotPart - 1) / snapshotPart
	var reqs []types.WriteRequest
	for i := range parts {
		item := catalogKey(snapshotPartition, snapshotKey(version, i))
		item["data"] = &types.AttributeValueMemberB{Value: b[i*snapshotPart : min(len(b), (i+1)*snapshotPart)]}
		item["parts"] = num(int64(parts))
		item["sha256"] = str(hex.EncodeToString(sum[:]))
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	old, err := c.snapshotKeysBefore(ctx, version-1)
	if err != nil {
		return fmt.Errorf("put catalog snapshot of version %d: %w", version, err)
	}
	for _, sk := range old {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: catalogKey(snapshotPartition, sk)}})
	}
	if err := c.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("put catalog snapshot of version %d: %w", version, err)
	}
	// The version item names the snapshot of its version, unless a later change already moved it on.
	_, err = c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &c.table, Key: catalogKey(metaPartition, "version"),
		UpdateExpression:          aws.String("SET snapshotSha256 = :sum, snapshotOf = :v"),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":sum": str(hex.EncodeToString(sum[:])), ":v": num(version)},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("name catalog snapshot of version %d: %w", version, translate(err))
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
