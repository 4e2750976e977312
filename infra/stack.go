package main

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// stackName is the CloudFormation stack of a stage.
func stackName(stage string) string { return "Breakwater-" + stage }

// newStack composes Breakwater for one stage. The stack is environment-agnostic (no account or region, no
// lookups), so `cdk synth` needs no credentials; `cdk deploy` takes both from the caller's profile.
func newStack(scope constructs.Construct, cfg config) *deployment {
	stack := awscdk.NewStack(scope, jsii.String(stackName(cfg.Stage)), &awscdk.StackProps{
		StackName:   jsii.String(stackName(cfg.Stage)),
		Description: jsii.String("Breakwater " + cfg.Stage + ": peak-traffic overflow responder for customer service"),
	})
	awscdk.Tags_Of(stack).Add(jsii.String("app"), jsii.String("breakwater"), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("stage"), jsii.String(cfg.Stage), nil)

	al := newAlarms(stack, cfg)
	data := newTables(stack, cfg)
	vc := newVoice(stack, cfg, data)
	in := newIntake(stack, cfg, al)
	pool := newAgents(stack, cfg)
	pu := newPush(stack, cfg)
	fns := newFunctions(stack, cfg, pu.environment(vc.environment(environment(stack, cfg, data, in, pool))), al)
	grantUses(fns, data, in, pu, cfg)
	pu.route(fns)
	vc.schedule(stack, cfg, fns[voiceFunction], al)
	web := newAPI(stack, cfg, fns, pool)
	sched := newSchedule(stack, cfg, fns[metricsFunction], al)
	dash := newDashboard(stack, cfg, in, fns, al)

	out := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	out("ApiUrl", "Shopper chat page and API (POST /contacts)", web.Stage.Url())
	out("ConsoleUrl", "Agent console", web.consoleURL())
	out("PushUrl", "WebSocket the pages connect to for pokes", pu.Stage.Url())
	out("UserPoolId", "Cognito user pool agents sign in to", pool.Pool.UserPoolId())
	out("UserPoolClientId", "App client the console signs in with", pool.Client.UserPoolClientId())
	out("AgentsGroup", "Cognito group an agent must belong to", jsii.String(agentsGroup))
	out("ContactsTableName", topology.Contacts.EnvVar, data[topology.Contacts.ID].TableName())
	out("CatalogTableName", topology.Catalog.EnvVar+" (seed templates here)", data[topology.Catalog.ID].TableName())
	out("IntakeQueueUrl", topology.Intake.EnvVar, in.Queue.QueueUrl())
	out("IntakeDLQUrl", "Contacts the responder failed on; redrive after a fix", in.DLQ.QueueUrl())
	out("MetricsScheduleDLQUrl", "Metrics schedule deliveries that failed", sched.DLQ.QueueUrl())
	out("AlarmTopicArn", "SNS topic every alarm notifies", al.Topic.TopicArn())
	out("VoiceTableName", topology.Voice.EnvVar+" (put merchants' routing rules here: go run ./scripts/voice -routing FILE)", vc.Table.TableName())
	out("VoiceTopicArn", "SNS topic of the voice of the customer's default owner", vc.Topic.TopicArn())
	out("VoiceScheduleDLQUrl", "Voice schedule deliveries that failed", vc.DLQ.QueueUrl())
	return &deployment{Stack: stack, Tables: data, Intake: in, Agents: pool, Functions: fns, Web: web, Schedule: sched, Alarms: al, Dashboard: dash, Voice: vc, Push: pu}
}

// environment is the value of every environment variable a function may read (topology.Function.Env): the
// names of the tables and the queue, the agents' sign-in, and the settings from context.
func environment(stack awscdk.Stack, cfg config, data tables, in *intake, pool *agents) map[string]*string {
	itoa := func(n int) *string { return jsii.String(strconv.Itoa(n)) }
	return map[string]*string{
		topology.Contacts.EnvVar:         data[topology.Contacts.ID].TableName(),
		topology.Catalog.EnvVar:          data[topology.Catalog.ID].TableName(),
		topology.Messages.EnvVar:         data[topology.Messages.ID].TableName(),
		topology.Intake.EnvVar:           in.Queue.QueueUrl(),
		topology.EnvRetentionDays:        itoa(cfg.RetentionDays),
		topology.EnvTemplateTTL:          jsii.String(cfg.TemplateRefresh.String()),
		topology.EnvLeaseSeconds:         itoa(cfg.LeaseSeconds),
		topology.EnvAverageHandleSeconds: itoa(cfg.HandleSeconds),
		topology.EnvStorefrontSecrets:    jsii.String(storefrontPrefix(cfg)),
		topology.EnvAgentAuth:            jsii.String("jwt"),
		topology.EnvAgentGroup:           jsii.String(agentsGroup),
		topology.EnvCognitoRegion:        stack.Region(),
		topology.EnvCognitoClientID:      pool.Client.UserPoolClientId(),
	}
}

// deployment is one stage's stack and its parts, for tests to find resources by construct rather than by name.
type deployment struct {
	Stack     awscdk.Stack
	Tables    tables
	Intake    *intake
	Agents    *agents
	Functions functions
	Web       *api
	Schedule  *schedule
	Alarms    *alarms
	Dashboard awscloudwatch.Dashboard
	Voice     *voice
	Push      *push
}

// logicalID is the CloudFormation logical id of c's default resource.
func (d *deployment) logicalID(c constructs.IConstruct) string {
	// Resolving the element's LogicalId token honours OverrideLogicalId, which Stack.GetLogicalId does not.
	id, _ := d.Stack.Resolve(c.Node().DefaultChild().(awscdk.CfnElement).LogicalId()).(string)
	return id
}

// removalPolicy keeps prod's data (tables, queues, users, keys, logs) when a resource leaves the stack or the
// stack is deleted; other stages are disposable, and retained tables would only collect cost and block re-creation.
func removalPolicy(cfg config) awscdk.RemovalPolicy {
	if cfg.prod() {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}
