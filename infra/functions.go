package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// Function names the stack refers to.
const (
	metricsFunction = "metrics"
)

// functions are the Lambda functions of topology.Functions, by name.
type functions map[string]awslambda.Function

// newFunctions creates every function in topology.Functions from <assetDir>/<name>/bootstrap, each with exactly the
// environment variables topology lists for it (values from env) and an alarm on its errors. Each has its own role
// with no managed policy: it may write its own log group, and the constructs that own tables and queues grant the
// rest (see grantUses).
func newFunctions(scope constructs.Construct, cfg config, env map[string]*string, al *alarms) functions {
	scope = constructs.NewConstruct(scope, jsii.String("Functions"))
	fns := functions{}
	for _, def := range topology.Functions {
		fn := newFunction(scope, cfg, def, env)
		al.watch(scope, exported(def.Name)+"Errors", fmt.Sprintf("The %s function failed invocations.", def.Name),
			fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(1))}),
			1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
		fns[def.Name] = fn
	}
	return fns
}

func newFunction(scope constructs.Construct, cfg config, def topology.Function, values map[string]*string) awslambda.Function {
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
	var missing []string
	for _, name := range def.Env {
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		env[name] = v
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
	// Reserved concurrency where one function could starve another (topology.Capacity): the responder's equals its
	// event source's MaximumConcurrency, the agent function's keeps agents working through the intake's surge.
	if n := cfg.Capacity.Reserved(def.Name); n > 0 {
		fn.Node().DefaultChild().(awslambda.CfnFunction).SetReservedConcurrentExecutions(jsii.Number(n))
	}
	if len(missing) > 0 {
		awscdk.Annotations_Of(fn).AddError(jsii.String(fmt.Sprintf("the %s function reads %s, which the stack gives no value", def.Name, strings.Join(missing, ", "))))
	}
	return fn
}

// grantUses gives each function exactly the access topology lists for it, each grant made by the construct that
// owns the table or queue.
func grantUses(fns functions, data tables, in *intake, pu *push, cfg config) {
	for _, def := range topology.Functions {
		fn := fns[def.Name]
		for _, u := range def.Uses {
			switch {
			case data[u.Resource] != nil:
				data.grant(fn, u)
			case u.Resource == topology.Intake.ID:
				in.grant(fn, def, u.Access)
			case u.Resource == topology.StorefrontKeys && u.Access == topology.Read:
				grantStorefrontKeys(fn, cfg)
			case u.Resource == topology.PushConnections && u.Access == topology.Manage:
				pu.grant(fn)
			default:
				awscdk.Annotations_Of(fn).AddError(jsii.String(fmt.Sprintf("the %s function uses %q, which the stack does not have", def.Name, u.Resource)))
			}
		}
	}
}

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
