// Package runner runs the whole of Breakwater on one machine: emulators, tables and queues made from the
// shared topology, the function binaries behind the Lambda Runtime API, the SQS event source and the HTTP API.
package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"breakwater/shared/topology"
)

// Resources are the physical names the local stack made.
type Resources struct {
	Tables   map[string]string // topology table ID -> table name
	QueueURL string
	QueueARN string
	DLQURL   string
	DLQARN   string
}

// tableAPI is the part of *dynamodb.Client provisioning uses.
type tableAPI interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	UpdateTimeToLive(context.Context, *dynamodb.UpdateTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// queueAdminAPI is the part of *sqs.Client provisioning uses.
type queueAdminAPI interface {
	CreateQueue(context.Context, *sqs.CreateQueueInput, ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// CreateTable makes t as the stack declares it: on-demand, with its indexes and TTL.
func CreateTable(ctx context.Context, db tableAPI, name string, t topology.Table) error {
	attrs := map[string]string{t.PartitionKey.Name: t.PartitionKey.Type}
	keys := []ddbtypes.KeySchemaElement{{AttributeName: aws.String(t.PartitionKey.Name), KeyType: ddbtypes.KeyTypeHash}}
	if t.SortKey.Name != "" {
		attrs[t.SortKey.Name] = t.SortKey.Type
		keys = append(keys, ddbtypes.KeySchemaElement{AttributeName: aws.String(t.SortKey.Name), KeyType: ddbtypes.KeyTypeRange})
	}
	var gsis []ddbtypes.GlobalSecondaryIndex
	for _, ix := range t.Indexes {
		attrs[ix.PartitionKey.Name] = ix.PartitionKey.Type
		ks := []ddbtypes.KeySchemaElement{{AttributeName: aws.String(ix.PartitionKey.Name), KeyType: ddbtypes.KeyTypeHash}}
		if ix.SortKey.Name != "" {
			attrs[ix.SortKey.Name] = ix.SortKey.Type
			ks = append(ks, ddbtypes.KeySchemaElement{AttributeName: aws.String(ix.SortKey.Name), KeyType: ddbtypes.KeyTypeRange})
		}
		proj := &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}
		if len(ix.NonKeyAttributes) > 0 {
			proj = &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeInclude, NonKeyAttributes: ix.NonKeyAttributes}
		}
		gsis = append(gsis, ddbtypes.GlobalSecondaryIndex{IndexName: aws.String(ix.Name), KeySchema: ks, Projection: proj})
	}
	var defs []ddbtypes.AttributeDefinition
	for n, typ := range attrs {
		defs = append(defs, ddbtypes.AttributeDefinition{AttributeName: aws.String(n), AttributeType: ddbtypes.ScalarAttributeType(typ)})
	}
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: &name, AttributeDefinitions: defs, KeySchema: keys, GlobalSecondaryIndexes: gsis,
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if t.TTLAttribute != "" {
		_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &name,
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("enable TTL on %s: %w", name, err)
		}
	}
	return nil
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// CreateQueue makes q and its dead-letter queue as the stack declares them; visibility overrides q's timeout when non-zero.
func CreateQueue(ctx context.Context, sq queueAdminAPI, name string, q topology.Queue, visibility time.Duration) (Resources, error) {
	var r Resources
	dlq, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq"),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNameMessageRetentionPeriod): seconds(q.DLQRetention)}})
	if err != nil {
		return r, fmt.Errorf("create queue %s-dlq: %w", name, err)
	}
	r.DLQURL = aws.ToString(dlq.QueueUrl)
	if r.DLQARN, err = queueARN(ctx, sq, r.DLQURL); err != nil {
		return r, err
	}
	redrive, _ := json.Marshal(map[string]string{"deadLetterTargetArn": r.DLQARN, "maxReceiveCount": strconv.Itoa(q.MaxReceiveCount)})
	if visibility == 0 {
		visibility = q.VisibilityTimeout
	}
	out, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: map[string]string{
		string(sqstypes.QueueAttributeNameVisibilityTimeout):      seconds(visibility),
		string(sqstypes.QueueAttributeNameMessageRetentionPeriod): seconds(q.Retention),
		string(sqstypes.QueueAttributeNameRedrivePolicy):          string(redrive),
	}})
	if err != nil {
		return r, fmt.Errorf("create queue %s: %w", name, err)
	}
	r.QueueURL = aws.ToString(out.QueueUrl)
	r.QueueARN, err = queueARN(ctx, sq, r.QueueURL)
	return r, err
}

func queueARN(ctx context.Context, sq queueAdminAPI, url string) (string, error) {
	out, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("read ARN of %s: %w", url, err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}
