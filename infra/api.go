package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// api is the HTTP API in front of the functions, with its $default stage.
type api struct {
	API   awsapigatewayv2.HttpApi
	Stage awsapigatewayv2.HttpStage
}

// accessLogFormat is one JSON object per request, enough to find a shopper's failed POST or an agent's 401.
var accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTimeEpoch",` +
	`"routeKey":"$context.routeKey","status":"$context.status","latencyMs":"$context.responseLatency",` +
	`"integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error",` +
	`"responseLength":"$context.responseLength"}`

// newAPI creates the HTTP API with exactly topology.Routes: agent routes behind a JWT authorizer on the agents
// pool, shopper routes and the two pages public. Each route has its own throttle, a share of the account's quota
// (topology.Capacity.RouteThrottle), so a burst of shoppers cannot starve the agents' routes nor the other way
// round, and together they stay within the account's quota.
// No CORS: the pages are served by the same API, so every call is same-origin.
func newAPI(scope constructs.Construct, cfg config, fns functions, pool *agents) *api {
	scope = constructs.NewConstruct(scope, jsii.String("Web"))
	httpAPI := awsapigatewayv2.NewHttpApi(scope, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("Breakwater " + cfg.Stage + ": shopper contacts and the agent console"),
		CreateDefaultStage: jsii.Bool(false),
	})
	logs := awslogs.NewLogGroup(scope, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     logRetention(cfg.LogRetentionDays),
		RemovalPolicy: removalPolicy(cfg),
	})
	stage := awsapigatewayv2.NewHttpStage(scope, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    httpAPI,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		// Routes not in topology.RouteShares (the pages, rare agent actions) share this default.
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(cfg.Capacity.DefaultThrottle().Rate),
			BurstLimit: jsii.Number(cfg.Capacity.DefaultThrottle().Burst),
		},
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})

	region := awscdk.Stack_Of(scope).Region()
	authorizer := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("AgentJwt"),
		jsii.String(fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", *region, *pool.Pool.UserPoolId())),
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
			// Cognito access tokens carry client_id, id tokens aud; API Gateway accepts either against this list.
			JwtAudience:    jsii.Strings(*pool.Client.UserPoolClientId()),
			IdentitySource: jsii.Strings("$request.header.Authorization"),
		})

	cfnStage := stage.Node().DefaultChild().(awsapigatewayv2.CfnStage)
	routeSettings := map[string]any{}
	integrations := map[string]awsapigatewayv2.HttpRouteIntegration{}
	for _, r := range topology.Routes {
		integ, ok := integrations[r.Function]
		if !ok {
			integ = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(exported(r.Function)+"Integration"), fns[r.Function],
				&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
					PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				})
			integrations[r.Function] = integ
		}
		opts := &awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: integ,
		}
		if r.Agent {
			opts.Authorizer = authorizer
		}
		key := r.Method + " " + r.Path
		if _, ok := topology.RouteShares[key]; ok {
			th := cfg.Capacity.RouteThrottle(key)
			// RouteSettings is plain JSON to CloudFormation: CloudFormation's property names, as they are.
			routeSettings[key] = map[string]any{"ThrottlingRateLimit": th.Rate, "ThrottlingBurstLimit": th.Burst}
		}
		for _, route := range *httpAPI.AddRoutes(opts) {
			// A stage's route settings name routes by key: the routes must exist first.
			cfnStage.Node().AddDependency(route)
			if !r.Agent {
				suppress(route, "AwsSolutions-APIG4", fmt.Sprintf(
					"%s %s is a shopper route or page: shoppers are anonymous; GET /contacts/{id} checks the per-contact token, and the stage throttles.", r.Method, r.Path))
			}
		}
	}
	cfnStage.SetRouteSettings(routeSettings)
	return &api{API: httpAPI, Stage: stage}
}

// consoleURL is where agents open the console.
func (a *api) consoleURL() *string {
	// ApiEndpoint has no trailing slash, and the $default stage has no path prefix.
	return jsii.String(*a.API.ApiEndpoint() + "/console")
}
