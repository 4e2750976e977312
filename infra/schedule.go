package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// schedule runs the metrics function every topology.MetricsSchedule; invocations EventBridge could not deliver
// land in DLQ, which an alarm watches.
type schedule struct {
	Rule awsevents.Rule
	DLQ  awssqs.Queue
}

func newSchedule(scope constructs.Construct, cfg config, fn awslambda.Function, al *alarms) *schedule {
	scope = constructs.NewConstruct(scope, jsii.String("MetricsSchedule"))
	dlq := awssqs.NewQueue(scope, jsii.String("DLQ"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RemovalPolicy:   removalPolicy(cfg),
	})
	suppress(dlq, "AwsSolutions-SQS3",
		"This queue is itself the dead-letter queue of the metrics schedule's EventBridge target; it is watched by an alarm and needs no DLQ of its own.")
	rule := awsevents.NewRule(scope, jsii.String("Rule"), &awsevents.RuleProps{
		Description: jsii.String("Publish human-queue depth and oldest wait per priority"),
		Schedule:    awsevents.Schedule_Rate(duration(topology.MetricsSchedule)),
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
		DeadLetterQueue: dlq,
		// A depth reading is stale by the next tick: retry briefly, then give up into the DLQ.
		RetryAttempts: jsii.Number(2),
		MaxEventAge:   duration(2 * topology.MetricsSchedule),
	}))
	al.watch(scope, "DLQMessages", "EventBridge could not invoke the metrics function: human-queue depth and wait are not being published.",
		dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(1))}),
		1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	return &schedule{Rule: rule, DLQ: dlq}
}
