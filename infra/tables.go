package main

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// tables are the DynamoDB tables of topology, by topology ID.
type tables map[string]awsdynamodb.Table

// newTables creates the Contacts, Catalog and Messages tables exactly as topology describes them.
// Their logical ids are the topology IDs, so refactoring the construct tree never replaces a table.
func newTables(scope constructs.Construct, cfg config) tables {
	scope = constructs.NewConstruct(scope, jsii.String("Data"))
	t := tables{}
	for _, def := range []topology.Table{topology.Contacts, topology.Catalog, topology.Messages} {
		t[def.ID] = newTable(scope, cfg, def)
	}
	return t
}

func newTable(scope constructs.Construct, cfg config, def topology.Table) awsdynamodb.Table {
	props := &awsdynamodb.TableProps{
		PartitionKey: attribute(def.PartitionKey),
		// On-demand: a surge is exactly the load that provisioned capacity gets wrong.
		BillingMode: awsdynamodb.BillingMode_PAY_PER_REQUEST,
		// The aws/dynamodb KMS key: encryption with a key CloudTrail can show being used, at no key cost.
		Encryption: awsdynamodb.TableEncryption_AWS_MANAGED,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(def.PointInTimeRecovery),
		},
		DeletionProtection: jsii.Bool(cfg.prod()),
		RemovalPolicy:      removalPolicy(cfg),
	}
	if def.SortKey.Name != "" {
		props.SortKey = attribute(def.SortKey)
	}
	if def.TTLAttribute != "" {
		props.TimeToLiveAttribute = jsii.String(def.TTLAttribute)
	}
	// Pre-warming (context warm*): the Contacts table and its indexes take the peak's writes and reads at once
	// instead of throttling while on-demand adapts (scripts/plan says how much). 0 leaves DynamoDB's own.
	if def.ID == topology.Contacts.ID {
		props.WarmThroughput = warmThroughput(cfg.Capacity.WarmReads, cfg.Capacity.WarmWrites)
	}
	table := awsdynamodb.NewTable(scope, jsii.String(def.ID), props)
	for _, ix := range def.Indexes {
		gsi := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   attribute(ix.PartitionKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		}
		if ix.SortKey.Name != "" {
			gsi.SortKey = attribute(ix.SortKey)
		}
		if def.ID == topology.Contacts.ID {
			gsi.WarmThroughput = warmThroughput(cfg.Capacity.WarmIndexReads, cfg.Capacity.WarmIndexWrites)
		}
		if len(ix.NonKeyAttributes) > 0 {
			gsi.ProjectionType = awsdynamodb.ProjectionType_INCLUDE
			gsi.NonKeyAttributes = jsii.Strings(ix.NonKeyAttributes...)
		}
		table.AddGlobalSecondaryIndex(gsi)
	}
	table.Node().DefaultChild().(awscdk.CfnResource).OverrideLogicalId(jsii.String(def.ID))
	if !def.PointInTimeRecovery {
		suppress(table, "AwsSolutions-DDB3", fmt.Sprintf(
			"%s holds short-lived contacts that expire by TTL; restoring them to an earlier second has no use, and PITR would bill for every write of the surge.", def.ID))
	}
	return table
}

// warmThroughput is the warm throughput to ask for, nil when neither is set.
func warmThroughput(reads, writes int) *awsdynamodb.WarmThroughput {
	if reads == 0 && writes == 0 {
		return nil
	}
	w := &awsdynamodb.WarmThroughput{}
	if reads > 0 {
		w.ReadUnitsPerSecond = jsii.Number(reads)
	}
	if writes > 0 {
		w.WriteUnitsPerSecond = jsii.Number(writes)
	}
	return w
}

// grant lets fn call exactly the DynamoDB actions u lists on the table u names, and on its indexes when it
// queries; a write action needs ReadWrite access, and DeleteItem can be kept to keys with a prefix.
func (t tables) grant(fn awslambda.Function, u topology.Use) {
	table := t[u.Resource]
	var actions []string
	del := false
	for _, a := range u.Actions {
		if isWrite(a) && u.Access != topology.ReadWrite {
			awscdk.Annotations_Of(fn).AddError(jsii.String(fmt.Sprintf("%s on %s is a write, but the function only reads it", a, u.Resource)))
			return
		}
		if a == "DeleteItem" && u.DeleteKeys != "" {
			del = true
			continue
		}
		actions = append(actions, "dynamodb:"+a)
	}
	resources := []*string{table.TableArn()}
	if slices.Contains(u.Actions, "Query") && len(tableDef(u.Resource).Indexes) > 0 {
		resources = append(resources, jsii.String(*table.TableArn()+"/index/*"))
		suppressOn(fn.Role(), "AwsSolutions-IAM5", fmt.Sprintf(
			"Query on %s includes <table>/index/*: the function queries the table's GSIs (the human queues); the actions are enumerated, only the index name is open.", u.Resource),
			"Resource::<"+u.Resource+".Arn>/index/*")
	}
	if len(actions) > 0 {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(actions...), Resources: &resources,
		}))
	}
	if del {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("dynamodb:DeleteItem"),
			Resources: &[]*string{table.TableArn()},
			Conditions: &map[string]any{
				"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{u.DeleteKeys + "*"}},
			},
		}))
	}
	// The table is encrypted with the AWS managed key: no key grant is needed.
}

// isWrite reports the DynamoDB actions that change data.
func isWrite(action string) bool {
	switch action {
	case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem":
		return true
	}
	return false
}

func tableDef(id string) topology.Table {
	for _, t := range topology.Tables {
		if t.ID == id {
			return t
		}
	}
	return topology.Table{}
}

func attribute(a topology.Attr) *awsdynamodb.Attribute {
	t := awsdynamodb.AttributeType_STRING
	switch a.Type {
	case "N":
		t = awsdynamodb.AttributeType_NUMBER
	case "B":
		t = awsdynamodb.AttributeType_BINARY
	}
	return &awsdynamodb.Attribute{Name: jsii.String(a.Name), Type: t}
}
