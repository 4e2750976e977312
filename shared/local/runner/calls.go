package runner

import (
	"context"
	"slices"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/local/emulators"
)

// Calls records the DynamoDB actions made through a client, by table: what IAM sees, so a transaction counts as
// the actions inside it.
type Calls struct {
	mu      sync.Mutex
	byTable map[string]map[string]bool
}

// Actions returns the actions made on table, sorted.
func (c *Calls) Actions(table string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for a := range c.byTable[table] {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

func (c *Calls) add(table, action string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byTable == nil {
		c.byTable = map[string]map[string]bool{}
	}
	if c.byTable[table] == nil {
		c.byTable[table] = map[string]bool{}
	}
	c.byTable[table][action] = true
}

// RecordingDynamoDB returns a client on the fixture's DynamoDB Local that records every action it makes.
func (f Fixture) RecordingDynamoDB() (*dynamodb.Client, *Calls) {
	calls := &Calls{}
	record := middleware.InitializeMiddlewareFunc("RecordActions", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		op := awsmiddleware.GetOperationName(ctx)
		switch p := in.Parameters.(type) {
		case *dynamodb.TransactWriteItemsInput:
			for _, it := range p.TransactItems {
				switch {
				case it.Put != nil:
					calls.add(*it.Put.TableName, "PutItem")
				case it.Update != nil:
					calls.add(*it.Update.TableName, "UpdateItem")
				case it.Delete != nil:
					calls.add(*it.Delete.TableName, "DeleteItem")
				case it.ConditionCheck != nil:
					calls.add(*it.ConditionCheck.TableName, "ConditionCheckItem")
				}
			}
		case *dynamodb.BatchGetItemInput:
			for table := range p.RequestItems {
				calls.add(table, op)
			}
		case *dynamodb.BatchWriteItemInput:
			for table := range p.RequestItems {
				calls.add(table, op)
			}
		default:
			if t := tableOf(in.Parameters); t != "" {
				calls.add(t, op)
			}
		}
		return next.HandleInitialize(ctx, in)
	})
	db := sdkconfig.DynamoDB(f.Config, emulators.DynamoOptions, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Initialize.Add(record, middleware.After) })
	})
	return db, calls
}

// tableOf reads the table name of the single-table inputs.
func tableOf(in any) string {
	switch p := in.(type) {
	case *dynamodb.GetItemInput:
		return *p.TableName
	case *dynamodb.PutItemInput:
		return *p.TableName
	case *dynamodb.UpdateItemInput:
		return *p.TableName
	case *dynamodb.DeleteItemInput:
		return *p.TableName
	case *dynamodb.QueryInput:
		return *p.TableName
	case *dynamodb.ScanInput:
		return *p.TableName
	}
	return ""
}
