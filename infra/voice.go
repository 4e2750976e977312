package main

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

const voiceFunction = "voice"

// voice is the voice of the customer's infrastructure: its table, the topic of the default owner (merchants
// without routing rules of their own), the hourly schedule and the publication's frequent one with their
// dead-letter queue and alarm, and the grants to publish and e-mail. Context: voiceSubscriber (an e-mail address subscribed to the topic) and voiceEmailFrom
// (a verified SES identity; without it, e-mail owners' messages go to the topic).
type voice struct {
	Table awsdynamodb.Table
	Topic awssns.Topic
	Rule  awsevents.Rule
	// Publish invokes the function every topology.VoicePublishSchedule with a publish event: it publishes the
	// templates agents approved since.
	Publish   awsevents.Rule
	DLQ       awssqs.Queue
	EmailFrom string
}

// newVoice creates the table and the topic, and adds the table to data so grantUses grants what topology says.
func newVoice(scope constructs.Construct, cfg config, data tables) *voice {
	stack := awscdk.Stack_Of(scope)
	scope = constructs.NewConstruct(scope, jsii.String("Voice"))
	table := newTable(scope, cfg, topology.Voice)
	data[topology.Voice.ID] = table
	topic := awssns.NewTopic(scope, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Breakwater " + cfg.Stage + " voice of the customer"),
		// Only the voice function publishes; the AWS-managed key serves it (CloudWatch does not publish here).
		MasterKey:  awskms.Alias_FromAliasName(scope, jsii.String("TopicKey"), jsii.String("alias/aws/sns")),
		EnforceSSL: jsii.Bool(true),
	})
	if sub := str(stack.Node(), "voiceSubscriber", ""); sub != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(sub), nil))
	}
	return &voice{Table: table, Topic: topic, EmailFrom: str(stack.Node(), "voiceEmailFrom", "")}
}

// environment adds the voice function's variables to env.
func (v *voice) environment(env map[string]*string) map[string]*string {
	env[topology.Voice.EnvVar] = v.Table.TableName()
	env[topology.EnvVoiceTopic] = v.Topic.TopicArn()
	env[topology.EnvVoiceNotify] = jsii.String(topology.DefaultVoiceNotify)
	env[topology.EnvVoiceEmailFrom] = jsii.String(v.EmailFrom)
	env[topology.EnvVoiceRetentionDays] = jsii.String(strconv.Itoa(topology.DefaultVoiceRetentionDays))
	return env
}

// schedule runs fn five minutes past every hour (the hour just ended has settled by then), with a dead-letter
// queue for invocations EventBridge could not deliver and an alarm on it, and grants fn what it sends with.
func (v *voice) schedule(scope constructs.Construct, cfg config, fn awslambda.Function, al *alarms) {
	scope = constructs.NewConstruct(scope, jsii.String("VoiceSchedule"))
	v.DLQ = awssqs.NewQueue(scope, jsii.String("DLQ"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RemovalPolicy:   removalPolicy(cfg),
	})
	suppress(v.DLQ, "AwsSolutions-SQS3",
		"This queue is itself the dead-letter queue of the voice schedule's EventBridge target; it is watched by an alarm and needs no DLQ of its own.")
	v.Rule = awsevents.NewRule(scope, jsii.String("Rule"), &awsevents.RuleProps{
		Description: jsii.String("Voice of the customer: gather, group, alert and digest the hour just ended"),
		Schedule:    awsevents.Schedule_Cron(&awsevents.CronOptions{Minute: jsii.String("5")}),
	})
	v.Rule.AddTarget(awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
		DeadLetterQueue: v.DLQ,
		// The next run gathers whatever this one missed; retry a little, then give up into the DLQ.
		RetryAttempts: jsii.Number(2),
		MaxEventAge:   duration(topology.VoiceSchedule),
	}))
	v.Publish = awsevents.NewRule(scope, jsii.String("Publish"), &awsevents.RuleProps{
		Description: jsii.String("Voice of the customer: publish the templates agents approved since the last run"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(topology.VoicePublishSchedule.Minutes()))),
	})
	v.Publish.AddTarget(awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
		Event:           awsevents.RuleTargetInput_FromObject(publishEvent),
		DeadLetterQueue: v.DLQ,
		// What a tick does not publish stays staged for the next, minutes later.
		RetryAttempts: jsii.Number(2),
		MaxEventAge:   duration(topology.VoicePublishSchedule),
	}))
	al.watch(scope, "DLQMessages", "EventBridge could not invoke the voice function: problems are not being grouped, alerted or digested, or approved templates not published.",
		v.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}),
		1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	// sns:Publish on the topic only. Topic.GrantPublish would add kms:GenerateDataKey* on key/* because it cannot
	// resolve the alias; the AWS-managed key needs no IAM grant to be used through SNS by the account's roles.
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sns:Publish"),
		Resources: &[]*string{v.Topic.TopicArn()},
	}))
	if v.EmailFrom != "" {
		stack := awscdk.Stack_Of(scope)
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ses:SendEmail"),
			Resources: jsii.Strings(fmt.Sprintf("arn:%s:ses:%s:%s:identity/%s", *stack.Partition(), *stack.Region(), *stack.Account(),
				identity(v.EmailFrom))),
		}))
	}
}

// publishEvent is the publish schedule's event (events/voice/publish.json): the voice function publishes staged
// templates and does nothing else.
var publishEvent = map[string]any{"source": "breakwater.voice", "detail-type": "Publish", "detail": map[string]any{"publish": true}}

// identity is the SES identity an address sends as: its domain, which is what is usually verified.
func identity(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == '@' {
			return addr[i+1:]
		}
	}
	return addr
}
