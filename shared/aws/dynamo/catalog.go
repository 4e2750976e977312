package dynamo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/answer"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
)

// catalogAPI is the part of *dynamodb.Client that Catalog uses.
type catalogAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Catalog stores answer templates and priority rules. Every change bumps one version item, so readers
// check a single small item to know whether to reload.
type Catalog struct {
	db    catalogAPI
	table string
}

// NewCatalog returns a catalog store on table.
func NewCatalog(db catalogAPI, table string) *Catalog { return &Catalog{db: db, table: table} }

const (
	templatePartition = "TEMPLATE"
	rulesPartition    = "RULES"
	metaPartition     = "META"
	// snapshotPartition holds, per catalog version, the built triage (index, trained model, rules) in parts
	// with sort keys <version, 20 digits>#<part, 4 digits>.
	snapshotPartition = "SNAPSHOT"
	// snapshotPart keeps each part's item well under DynamoDB's 400 KB item limit.
	snapshotPart = 300_000
)

func catalogKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{topology.CatalogPartition: str(pk), topology.CatalogSort: str(sk)}
}

// Version returns the catalog's version; 0 means nothing was ever written.
func (c *Catalog) Version(ctx context.Context) (int64, error) {
	out, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &c.table, Key: catalogKey(metaPartition, "version"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("read catalog version: %w", translate(err))
	}
	v, ok := out.Item["version"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read catalog version %q: %w", v.Value, err)
	}
	return n, nil
}

// changed bumps the version after a write and publishes the snapshot of the new version.
func (c *Catalog) changed(ctx context.Context) error {
	if err := c.bump(ctx); err != nil {
		return err
	}
	return c.publish(ctx)
}

func (c *Catalog) bump(ctx context.Context) error {
	_, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &c.table, Key: catalogKey(metaPartition, "version"),
		UpdateExpression:          aws.String("ADD version :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
	})
	if err != nil {
		return fmt.Errorf("bump catalog version: %w", translate(err))
	}
	return nil
}

// Load reads every template and every merchant's rules, with the version they belong to.
func (c *Catalog) Load(ctx context.Context) ([]answer.Template, map[string]priority.Rules, int64, error) {
	version, err := c.Version(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	var ts []answer.Template
	err = c.each(ctx, templatePartition, func(sk string, body []byte) error {
		var t answer.Template
		if err := json.Unmarshal(body, &t); err != nil {
			return fmt.Errorf("decode template %s: %w", sk, err)
		}
		ts = append(ts, t)
		return nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	rules := map[string]priority.Rules{}
	err = c.each(ctx, rulesPartition, func(sk string, body []byte) error {
		var r priority.Rules
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("decode rules of %s: %w", sk, err)
		}
		if err := r.Validate(); err != nil {
			return fmt.Errorf("rules of %s: %w", sk, err)
		}
		rules[sk] = r
		return nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	return ts, rules, version, nil
}

// Templates reads every template.
func (c *Catalog) Templates(ctx context.Context) ([]answer.Template, error) {
	ts, _, _, err := c.Load(ctx)
	return ts, err
}

func (c *Catalog) each(ctx context.Context, pk string, visit func(sk string, body []byte) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 &c.table,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	return c.query(ctx, "read catalog "+pk, in, func(item map[string]types.AttributeValue) error {
		sk, _ := item[topology.CatalogSort].(*types.AttributeValueMemberS)
		body, _ := item["body"].(*types.AttributeValueMemberS)
		if sk == nil || body == nil {
			return fmt.Errorf("read catalog %s: item without sk or body", pk)
		}
		return visit(sk.Value, []byte(body.Value))
	})
}

// query runs in page by page and visits every item, stopping at the first error; what names the read in errors.
func (c *Catalog) query(ctx context.Context, what string, in *dynamodb.QueryInput, visit func(map[string]types.AttributeValue) error) error {
	for {
		out, err := c.db.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("%s: %w", what, translate(err))
		}
		for _, item := range out.Items {
			if err := visit(item); err != nil {
				return err
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// PutTemplates writes ts (replacing templates with the same id) and bumps the version.
func (c *Catalog) PutTemplates(ctx context.Context, ts []answer.Template) error {
	reqs := make([]types.WriteRequest, 0, len(ts))
	for _, t := range ts {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("put templates: %w", err)
		}
		body, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("encode template %s: %w", t.ID, err)
		}
		item := catalogKey(templatePartition, t.ID)
		item["body"] = str(string(body))
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	if err := c.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("put templates: %w", err)
	}
	return c.changed(ctx)
}

// batchWrite writes reqs 25 at a time, retrying what DynamoDB leaves unprocessed.
func (c *Catalog) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for start := 0; start < len(reqs); start += 25 {
		pending := reqs[start:min(start+25, len(reqs))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt == 8 {
				return fmt.Errorf("%d writes still unprocessed after %d attempts", len(pending), attempt)
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

// PutRules writes the priority rules of merchant (answer.Platform for the default) and bumps the version.
func (c *Catalog) PutRules(ctx context.Context, merchant string, r priority.Rules) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("put rules of %s: %w", merchant, err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode rules of %s: %w", merchant, err)
	}
	item := catalogKey(rulesPartition, merchant)
	item["body"] = str(string(body))
	if _, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &c.table, Item: item}); err != nil {
		return fmt.Errorf("put rules of %s: %w", merchant, translate(err))
	}
	return c.changed(ctx)
}

// publish builds the triage of the catalog as it is now and stores its snapshot under the version it read, so
// responders and agents decode it at a cold start instead of training the matcher again. A snapshot holds at
// least every change up to its version; readers use it only for that exact version.
func (c *Catalog) publish(ctx context.Context) error {
	ts, rules, version, err := c.Load(ctx)
	if err != nil {
		return fmt.Errorf("publish catalog snapshot: %w", err)
	}
	t, err := triage.New(ts, rules)
	if err != nil {
		return fmt.Errorf("publish catalog snapshot of version %d: %w", version, err)
	}
	b, err := t.AppendBinary(nil)
	if err != nil {
		return fmt.Errorf("publish catalog snapshot of version %d: %w", version, err)
	}
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
	// The version before stays for readers that are reading it now; older ones go.
	old, err := c.snapshotKeysBefore(ctx, version-1)
	if err != nil {
		return fmt.Errorf("publish catalog snapshot of version %d: %w", version, err)
	}
	for _, sk := range old {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: catalogKey(snapshotPartition, sk)}})
	}
	if err := c.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("publish catalog snapshot of version %d: %w", version, err)
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
	err := c.query(ctx, "list old snapshots", in, func(item map[string]types.AttributeValue) error {
		if sk, ok := item[topology.CatalogSort].(*types.AttributeValueMemberS); ok {
			keys = append(keys, sk.Value)
		}
		return nil
	})
	return keys, err
}

// errSnapshotDamaged reports a snapshot whose parts do not add up; readers build from the templates instead.
var errSnapshotDamaged = errors.New("catalog snapshot damaged")

// Snapshot returns the snapshot published for version, or nil when there is none (a catalog written before
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
	err := c.query(ctx, fmt.Sprintf("read catalog snapshot of version %d", version), in, func(item map[string]types.AttributeValue) error {
		d, _ := item["data"].(*types.AttributeValueMemberB)
		n, _ := item["parts"].(*types.AttributeValueMemberN)
		s, _ := item["sha256"].(*types.AttributeValueMemberS)
		if d == nil || n == nil || s == nil || (sum != "" && s.Value != sum) {
			return fmt.Errorf("read catalog snapshot of version %d: %w: parts of different snapshots", version, errSnapshotDamaged)
		}
		var err error
		if parts, err = strconv.Atoi(n.Value); err != nil {
			return fmt.Errorf("read catalog snapshot of version %d: %w: parts %q", version, errSnapshotDamaged, n.Value)
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
		return nil, fmt.Errorf("read catalog snapshot of version %d: %w: %d of %d parts, checksum mismatch", version, errSnapshotDamaged, got, parts)
	}
	return data.Bytes(), nil
}
