package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// Env names the agent function reads to sign agents in on the console; the stack fills them from the user pool.
const (
	envCognitoClientID   = "COGNITO_CLIENT_ID"
	envCognitoUserPoolID = "COGNITO_USER_POOL_ID"
	envCognitoRegion     = "COGNITO_REGION"
	agentFunction        = "agent"
	metricsFunction      = "metrics"
)

// functions are the Lambda functions of topology.Functions, by name.
type functions map[string]awslambda.Function

// newFunctions creates every function in topology.Functions from <assetDir>/<name>/bootstrap and grants each one
// exactly the tables and queue it names in ReadsFrom. Each has its own role with no managed policy: it may write
// its own log group and nothing else beyond its grants.
func newFunctions(scope constructs.Construct, cfg config, data tables, in *intake, pool *agents) functions {
	scope = constructs.NewConstruct(scope, jsii.String("Functions"))
	fns := functions{}
	for _, def := range topology.Functions {
		fns[def.Name] = newFunction(scope, cfg, def, data, in, pool)
	}
	return fns
}

func newFunction(scope constructs.Construct, cfg config, def topology.Function, data tables, in *intake, pool *agents) awslambda.Function {
	id := exported(def.Name)
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     logRetention(cfg.LogRetentionDays),
		RemovalPolicy: removalPolicy(cfg),
	})
	role := awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("Breakwater %s function: its log group and the grants below, nothing more", def.Name)),
	})
	logs.GrantWrite(role)

	env := map[string]*string{}
	for _, ref := range def.ReadsFrom {
		switch {
		case data[ref] != nil:
			env[tableEnv(ref)] = data[ref].TableName()
		case ref == topology.Intake.ID:
			env[topology.Intake.EnvVar] = in.Queue.QueueUrl()
		}
	}
	if _, ok := env[topology.Contacts.EnvVar]; ok {
		env[topology.EnvRetentionDays] = jsii.String(strconv.Itoa(cfg.RetentionDays))
	}
	if def.Name == agentFunction {
		env[topology.EnvAgentAuth] = jsii.String("jwt")
		env[topology.EnvAgentGroup] = jsii.String(agentsGroup)
		env[envCognitoUserPoolID] = pool.Pool.UserPoolId()
		env[envCognitoClientID] = pool.Client.UserPoolClientId()
		env[envCognitoRegion] = awscdk.Stack_Of(scope).Region()
	}

	fn := awslambda.NewFunction(scope, jsii.String(id), &awslambda.FunctionProps{
		Description:  jsii.String("Breakwater " + def.Name),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(cfg.AssetDir, def.Name)), nil),
		Timeout:      duration(def.Timeout),
		MemorySize:   jsii.Number(def.MemoryMB),
		Environment:  &env,
		Role:         role,
		LogGroup:     logs,
		// log/slog's JSON handler and Lambda's JSON format: one searchable object per line, levels filtered by Lambda.
		// INFO and no higher: EMF lines carry no "level", Lambda files them as INFO, and a stricter level would
		// drop the metrics the alarms and the dashboard read.
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
	})

	for _, ref := range def.ReadsFrom {
		switch {
		case data[ref] != nil:
			grant := "GrantReadData"
			if slices.Contains(def.WritesTo, ref) {
				grant = "GrantReadWriteData"
				data[ref].GrantReadWriteData(fn)
			} else {
				data[ref].GrantReadData(fn)
			}
			if len(tableDef(ref).Indexes) > 0 {
				suppressOn(role, "AwsSolutions-IAM5", fmt.Sprintf(
					"%s on %s adds <table>/index/*: the function queries the table's GSIs (the human queues); the actions are enumerated, only the index name is open.", grant, ref),
					"Resource::<"+ref+".Arn>/index/*")
			}
		case ref == topology.Intake.ID && def.Name == intakeConsumer:
			in.consume(fn, def.Timeout, cfg)
		case ref == topology.Intake.ID:
			in.Queue.GrantSendMessages(fn)
		}
	}
	return fn
}

func tableDef(id string) topology.Table {
	for _, t := range []topology.Table{topology.Contacts, topology.Catalog} {
		if t.ID == id {
			return t
		}
	}
	return topology.Table{}
}

func tableEnv(id string) string { return tableDef(id).EnvVar }

// exported turns a topology name into a construct id: "responder" -> "Responder".
func exported(name string) string {
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

func duration(d time.Duration) awscdk.Duration {
	if d%time.Second == 0 {
		return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
	}
	return awscdk.Duration_Millis(jsii.Number(d.Milliseconds()))
}

// logRetention picks the CloudWatch retention that keeps logs at least days long (CloudWatch allows fixed values).
func logRetention(days int) awslogs.RetentionDays {
	steps := []struct {
		days int
		r    awslogs.RetentionDays
	}{
		{1, awslogs.RetentionDays_ONE_DAY}, {3, awslogs.RetentionDays_THREE_DAYS}, {5, awslogs.RetentionDays_FIVE_DAYS},
		{7, awslogs.RetentionDays_ONE_WEEK}, {14, awslogs.RetentionDays_TWO_WEEKS}, {30, awslogs.RetentionDays_ONE_MONTH},
		{60, awslogs.RetentionDays_TWO_MONTHS}, {90, awslogs.RetentionDays_THREE_MONTHS}, {120, awslogs.RetentionDays_FOUR_MONTHS},
		{150, awslogs.RetentionDays_FIVE_MONTHS}, {180, awslogs.RetentionDays_SIX_MONTHS}, {365, awslogs.RetentionDays_ONE_YEAR},
		{400, awslogs.RetentionDays_THIRTEEN_MONTHS}, {545, awslogs.RetentionDays_EIGHTEEN_MONTHS},
		{731, awslogs.RetentionDays_TWO_YEARS}, {1827, awslogs.RetentionDays_FIVE_YEARS}, {3653, awslogs.RetentionDays_TEN_YEARS},
	}
	for _, s := range steps {
		if days <= s.days {
			return s.r
		}
	}
	return awslogs.RetentionDays_TEN_YEARS
}
