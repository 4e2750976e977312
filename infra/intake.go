package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// intake is the surge buffer between the shopper API and the responder: the queue, its DLQ, the event source
// that feeds its consumer, the grants to send and consume, and the alarms on all of them.
type intake struct {
	Queue awssqs.Queue
	DLQ   awssqs.Queue
	scope constructs.Construct
	cfg   config
	al    *alarms
}

// newIntake creates the intake queue and its dead-letter queue as topology.Intake describes them, with alarms on a
// dead letter and on an old message. Stable logical ids: messages in flight must survive any refactoring of the
// construct tree.
func newIntake(scope constructs.Construct, cfg config, al *alarms) *intake {
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

	maxPerMinute := &awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(1))}
	al.watch(scope, "DLQMessages", fmt.Sprintf("Contacts failed the responder %d times and wait in the intake DLQ: fix the cause, then redrive.", def.MaxReceiveCount),
		dlq.MetricApproximateNumberOfMessagesVisible(maxPerMinute), 1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	al.watch(scope, "OldestMessageAge", fmt.Sprintf("The oldest contact in the intake queue waited more than %.0f s: the responder is not keeping up.", cfg.IntakeAgeAlarm.Seconds()),
		q.MetricApproximateAgeOfOldestMessage(maxPerMinute), cfg.IntakeAgeAlarm.Seconds(), awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
	return &intake{Queue: q, DLQ: dlq, scope: scope, cfg: cfg, al: al}
}

// grant lets fn send to the queue, or makes fn the queue's consumer.
func (in *intake) grant(fn awslambda.Function, def topology.Function, access topology.Access) {
	switch access {
	case topology.Send:
		in.Queue.GrantSendMessages(fn)
	case topology.Consume:
		in.consume(fn, def)
	default:
		awscdk.Annotations_Of(fn).AddError(jsii.String(fmt.Sprintf("the %s function may only send to or consume the intake queue", def.Name)))
	}
}

// consume makes fn the queue's consumer: partial batch failures, topology's batching, and a concurrency cap that
// protects DynamoDB and the catalog at the peak. The event source grants fn exactly the consume actions; an alarm
// says when the account's concurrency throttles the consumer below that cap.
func (in *intake) consume(fn awslambda.Function, def topology.Function) {
	if vis, min := topology.Intake.VisibilityTimeout.Seconds(), 6*def.Timeout.Seconds(); vis < min {
		// Lambda would see messages return to the queue while a slow batch is still being answered.
		awscdk.Annotations_Of(in.Queue).AddError(jsii.String(fmt.Sprintf(
			"intake visibility timeout %.0fs is less than 6x the %s timeout (%.0fs)", vis, def.Name, min)))
	}
	src := topology.IntakeSource
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(in.Queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(src.BatchSize),
		MaxBatchingWindow:       duration(src.MaxBatchingWindow),
		MaxConcurrency:          jsii.Number(in.cfg.Capacity.MaxConcurrency),
		ReportBatchItemFailures: jsii.Bool(true),
	}))
	in.al.watch(in.scope, "ConsumerThrottles", fmt.Sprintf("The %s was throttled: account concurrency is exhausted below the event source's maximum concurrency.", def.Name),
		fn.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(1))}),
		1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
}
