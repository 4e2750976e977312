package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// push is the WebSocket API that pokes the pages while a person is part of a conversation: its stage, whose
// callback URL the pushing functions post to, and whose URL the pages connect to.
type push struct {
	API   awsapigatewayv2.WebSocketApi
	Stage awsapigatewayv2.WebSocketStage
}

// pushAccessLogFormat is one JSON object per frame or connection event; a WebSocket request carries no query
// string here (the pages send none), and none is logged.
var pushAccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTimeEpoch",` +
	`"routeKey":"$context.routeKey","eventType":"$context.eventType","status":"$context.status",` +
	`"integrationError":"$context.integrationErrorMessage","latencyMs":"$context.integrationLatency"}`

// newPush creates the WebSocket API and its stage, routed by topology.WebSocketRouteSelection. It has no
// $connect or $disconnect integration: connections are accepted, and a stale one is found by PostToConnection's
// 410 Gone. Routes come with route(), once the functions exist (their environment needs this stage's URLs).
// The stage's throttle is its share of the account's request quota (topology.WebSocketShare), which WebSocket
// APIs share with the HTTP API.
func newPush(scope constructs.Construct, cfg config) *push {
	scope = constructs.NewConstruct(scope, jsii.String("Push"))
	ws := awsapigatewayv2.NewWebSocketApi(scope, jsii.String("Api"), &awsapigatewayv2.WebSocketApiProps{
		Description:              jsii.String("Breakwater " + cfg.Stage + ": content-free pokes to the pages while a person is part of a conversation"),
		RouteSelectionExpression: jsii.String(topology.WebSocketRouteSelection),
	})
	logs := awslogs.NewLogGroup(scope, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     logRetention(cfg.LogRetentionDays),
		RemovalPolicy: removalPolicy(cfg),
	})
	th := cfg.Capacity.WebSocketThrottle()
	stage := awsapigatewayv2.NewWebSocketStage(scope, jsii.String("Stage"), &awsapigatewayv2.WebSocketStageProps{
		WebSocketApi: ws,
		StageName:    jsii.String(topology.PushStage),
		AutoDeploy:   jsii.Bool(true),
		Throttle:     &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(th.Rate), BurstLimit: jsii.Number(th.Burst)},
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         jsii.String(pushAccessLogFormat),
	})
	return &push{API: ws, Stage: stage}
}

// route adds topology.WebSocketRoutes: a function's route through a Lambda integration, with a route response
// where the route answers; a mock integration otherwise.
func (p *push) route(fns functions) {
	for _, r := range topology.WebSocketRoutes {
		var integ awsapigatewayv2.WebSocketRouteIntegration
		if r.Function == "" {
			integ = awsapigatewayv2integrations.NewWebSocketMockIntegration(jsii.String(exported(r.Key)+"Mock"), nil)
		} else {
			integ = awsapigatewayv2integrations.NewWebSocketLambdaIntegration(jsii.String(exported(r.Key)+"Integration"), fns[r.Function], nil)
		}
		route := p.API.AddRoute(jsii.String(r.Key), &awsapigatewayv2.WebSocketRouteOptions{Integration: integ, ReturnResponse: jsii.Bool(r.Response)})
		suppress(route, "AwsSolutions-APIG4", fmt.Sprintf(
			"WebSocket route %s: pages of anonymous shoppers connect; a connection receives pokes only once the authenticated HTTP API registered it, and a poke carries no content.", r.Key))
	}
}

// grant lets fn post to the stage's connections (execute-api:ManageConnections, POST on its @connections/*), and
// nothing else: the functions only poke; they neither read nor close a connection.
func (p *push) grant(fn awslambda.Function) {
	stack := awscdk.Stack_Of(fn)
	arn := fmt.Sprintf("arn:%s:execute-api:%s:%s:%s/%s/POST/@connections/*", *stack.Partition(), *stack.Region(), *stack.Account(), *p.API.ApiId(), topology.PushStage)
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PokePages"),
		Actions:   jsii.Strings("execute-api:ManageConnections"),
		Resources: jsii.Strings(arn),
	}))
	api := *stack.GetLogicalId(p.API.Node().DefaultChild().(awscdk.CfnElement))
	suppressOn(fn.Role(), "AwsSolutions-IAM5",
		"execute-api:ManageConnections on POST of this WebSocket stage's @connections/*: a connection id is only known at run time; the stage, the method and the action are fixed.",
		fmt.Sprintf("Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<%s>/%s/POST/@connections/*", api, topology.PushStage))
}

// environment is the push settings of the functions: where to post pokes and where the pages connect.
func (p *push) environment(env map[string]*string) map[string]*string {
	env[topology.EnvPushEndpoint] = p.Stage.CallbackUrl()
	env[topology.EnvPushURL] = p.Stage.Url()
	return env
}
