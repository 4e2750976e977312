package main

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// intakeConsumer is the function that drains the intake queue; every other function that names Intake sends to it.
const intakeConsumer = "responder"

// intake is the surge buffer between the shopper API and the responder: a queue, its DLQ and the event source.
type intake struct {
	Queue awssqs.Queue
	DLQ   awssqs.Queue
}

// newIntake creates the intake queue and its dead-letter queue as topology.Intake describes them.
// Stable logical ids: messages in flight must survive any refactoring of the construct tree.
func newIntake(scope constructs.Construct, cfg config) *intake {
	def := topology.Intake
	scope = constructs.NewConstruct(scope, jsii.String("Intake"))
	dlq := awssqs.NewQueue(scope, jsii.String("DLQ"), &awssqs.QueueProps{
		RetentionPeriod: duration(def.DLQRetention),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RemovalPolicy:   removalPolicy(cfg),
	})
	dlq.Node().DefaultChild().(awscdk.CfnResource).OverrideLogicalId(jsii.String(def.ID + "DLQ"))
	q := awssqs.NewQueue(scope, jsii.String("Queue"), &awssqs.QueueProps{
		VisibilityTimeout: duration(def.VisibilityTimeout),
		RetentionPeriod:   duration(def.Retention),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(def.MaxReceiveCount),
		},
		Encryption:    awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:    jsii.Bool(true),
		RemovalPolicy: removalPolicy(cfg),
	})
	q.Node().DefaultChild().(awscdk.CfnResource).OverrideLogicalId(jsii.String(def.ID))
	return &intake{Queue: q, DLQ: dlq}
}

// consume makes fn the queue's consumer: partial batch failures, topology's batching, and a concurrency cap that
// protects DynamoDB and the catalog at the peak. The event source grants fn exactly the consume actions.
func (in *intake) consume(fn awslambda.Function, fnTimeout time.Duration, cfg config) {
	if vis, min := topology.Intake.VisibilityTimeout.Seconds(), 6*fnTimeout.Seconds(); vis < min {
		// Lambda would see messages return to the queue while a slow batch is still being answered.
		awscdk.Annotations_Of(in.Queue).AddError(jsii.String(fmt.Sprintf(
			"intake visibility timeout %.0fs is less than 6x the %s timeout (%.0fs)", vis, intakeConsumer, min)))
	}
	src := topology.IntakeSource
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(in.Queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(src.BatchSize),
		MaxBatchingWindow:       duration(src.MaxBatchingWindow),
		MaxConcurrency:          jsii.Number(cfg.MaxConcurrency),
		ReportBatchItemFailures: jsii.Bool(true),
	}))
}
