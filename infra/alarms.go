package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// alarms wake someone when contacts pile up, wait too long or land in a dead-letter queue.
type alarms struct {
	Topic  awssns.Topic
	Alarms []awscloudwatch.Alarm
}

// humanQueueMetric is a metric the metrics function publishes per priority in Embedded Metric Format.
func humanQueueMetric(name string, p priority.Priority, stat string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(topology.MetricsNamespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{topology.DimensionPriority: jsii.String(p.String())},
		Statistic:     jsii.String(stat),
		Period:        duration(topology.MetricsSchedule),
	})
}

// newAlarms creates the alarm topic, and the alarms on the human queues' waits; the constructs that own the
// other resources add theirs with watch. Missing data is "not breaching" throughout: SQS stops reporting a queue
// idle for six hours and Lambda reports no Errors or Throttles for a function nobody calls, so there no data means
// nothing is wrong. The metrics function publishes every priority every minute, even at zero, so its waits go
// missing only when it stops running; that is reported once by its Errors alarm or the schedule's DLQ alarm,
// instead of four wait alarms paging at once with nothing waiting.
func newAlarms(scope constructs.Construct, cfg config) *alarms {
	// SNS has no AWS-owned encryption, and CloudWatch cannot use the aws/sns key: a customer key that lets
	// CloudWatch encrypt what it publishes.
	scope = constructs.NewConstruct(scope, jsii.String("Alarms"))
	key := awskms.NewKey(scope, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts Breakwater's alarm notifications"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removalPolicy(cfg),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"), // in a key policy "*" means this key
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Stack_Of(scope).Account()},
		},
	}), jsii.Bool(true))
	topic := awssns.NewTopic(scope, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Breakwater " + cfg.Stage + " alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if cfg.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(cfg.AlarmEmail), nil))
	}
	a := &alarms{Topic: topic}
	targets := humanqueue.DefaultTargets()
	for _, p := range priority.All {
		a.watch(scope, "HumanQueueWait"+exported(p.String()),
			fmt.Sprintf("A %s contact has waited more than its %s target for an agent.", p, targets[p]),
			humanQueueMetric(topology.MetricOldestWait, p, "Maximum"), targets[p].Seconds(), awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
	}
	return a
}

// watch adds, in scope, an alarm that notifies the topic when metric crosses threshold in one period, and again
// when it is back to normal.
func (a *alarms) watch(scope constructs.Construct, id, description string, metric awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator) {
	alarm := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: op,
		EvaluationPeriods:  jsii.Number(1),
		DatapointsToAlarm:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(a.Topic))
	alarm.AddOkAction(awscloudwatchactions.NewSnsAction(a.Topic))
	a.Alarms = append(a.Alarms, alarm)
}
