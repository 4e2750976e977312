package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/answer"
	"breakwater/shared/priority"
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
	for {
		out, err := c.db.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("read catalog %s: %w", pk, translate(err))
		}
		for _, item := range out.Items {
			sk, _ := item[topology.CatalogSort].(*types.AttributeValueMemberS)
			body, _ := item["body"].(*types.AttributeValueMemberS)
			if sk == nil || body == nil {
				return fmt.Errorf("read catalog %s: item without sk or body", pk)
			}
			if err := visit(sk.Value, []byte(body.Value)); err != nil {
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
	for start := 0; start < len(reqs); start += 25 {
		pending := reqs[start:min(start+25, len(reqs))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt == 8 {
				return fmt.Errorf("put templates: %d writes still unprocessed after %d attempts", len(pending), attempt)
			}
			out, err := c.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{c.table: pending}})
			if err != nil {
				return fmt.Errorf("put templates: %w", translate(err))
			}
			pending = out.UnprocessedItems[c.table]
		}
	}
	return c.bump(ctx)
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
	return c.bump(ctx)
}
