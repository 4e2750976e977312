package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// These tests prove the template says what shared/topology says, the definition the local runner also reads.

func TestTablesMatchTopology(t *testing.T) {
	dev, _ := stages(t)
	for _, def := range topology.Tables {
		t.Run(def.ID, func(t *testing.T) {
			// The logical id is the topology ID: a refactoring must never replace a table.
			r := dev.resource(t, def.ID)
			if got, want := r.Type, "AWS::DynamoDB::Table"; got != want {
				t.Fatalf("type = %s, want %s", got, want)
			}
			p := r.Properties
			keys := []any{map[string]any{"AttributeName": def.PartitionKey.Name, "KeyType": "HASH"}}
			if def.SortKey.Name != "" {
				keys = append(keys, map[string]any{"AttributeName": def.SortKey.Name, "KeyType": "RANGE"})
			}
			if got, want := js(p["KeySchema"]), js(keys); got != want {
				t.Errorf("KeySchema = %s, want %s", got, want)
			}
			attrs := map[string]string{def.PartitionKey.Name: def.PartitionKey.Type}
			if def.SortKey.Name != "" {
				attrs[def.SortKey.Name] = def.SortKey.Type
			}
			for _, ix := range def.Indexes {
				attrs[ix.PartitionKey.Name] = ix.PartitionKey.Type
				if ix.SortKey.Name != "" {
					attrs[ix.SortKey.Name] = ix.SortKey.Type
				}
			}
			got := map[string]string{}
			for _, a := range p["AttributeDefinitions"].([]any) {
				a := a.(map[string]any)
				got[a["AttributeName"].(string)] = a["AttributeType"].(string)
			}
			if !maps.Equal(got, attrs) {
				t.Errorf("AttributeDefinitions = %v, want %v", got, attrs)
			}
			if got, want := p["BillingMode"], "PAY_PER_REQUEST"; got != want {
				t.Errorf("BillingMode = %v, want %v (on-demand)", got, want)
			}
			if got, want := js(p["SSESpecification"]), `{"SSEEnabled":true}`; got != want {
				t.Errorf("SSESpecification = %s, want %s (the AWS-managed aws/dynamodb key)", got, want)
			}
			pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any)
			if got, want := pitr["PointInTimeRecoveryEnabled"] == true, def.PointInTimeRecovery; got != want {
				t.Errorf("point-in-time recovery = %v, want %v", got, want)
			}
			ttl, _ := p["TimeToLiveSpecification"].(map[string]any)
			if def.TTLAttribute == "" {
				if ttl != nil {
					t.Errorf("TimeToLiveSpecification = %v, want none", ttl)
				}
			} else if got, want := js(ttl), js(map[string]any{"AttributeName": def.TTLAttribute, "Enabled": true}); got != want {
				t.Errorf("TimeToLiveSpecification = %s, want %s", got, want)
			}
			var gsis []string
			for _, g := range asSlice(p["GlobalSecondaryIndexes"]) {
				gsis = append(gsis, js(g))
			}
			var want []string
			for _, ix := range def.Indexes {
				ks := []any{map[string]any{"AttributeName": ix.PartitionKey.Name, "KeyType": "HASH"}}
				if ix.SortKey.Name != "" {
					ks = append(ks, map[string]any{"AttributeName": ix.SortKey.Name, "KeyType": "RANGE"})
				}
				proj := map[string]any{"ProjectionType": "ALL"}
				if len(ix.NonKeyAttributes) > 0 {
					proj = map[string]any{"ProjectionType": "INCLUDE", "NonKeyAttributes": ix.NonKeyAttributes}
				}
				want = append(want, js(map[string]any{"IndexName": ix.Name, "KeySchema": ks, "Projection": proj}))
			}
			if !slices.Equal(gsis, want) {
				t.Errorf("GlobalSecondaryIndexes = %v, want %v", gsis, want)
			}
		})
	}
}

func TestIntakeQueueMatchesTopology(t *testing.T) {
	dev, _ := stages(t)
	def := topology.Intake
	if got, want := dev.logicalID(dev.Intake.Queue), def.ID; got != want {
		t.Errorf("intake queue logical id = %s, want %s", got, want)
	}
	if got, want := dev.logicalID(dev.Intake.DLQ), def.ID+"DLQ"; got != want {
		t.Errorf("intake DLQ logical id = %s, want %s", got, want)
	}
	check(t, "intake queue", func() {
		dev.Template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"VisibilityTimeout":      def.VisibilityTimeout.Seconds(),
			"MessageRetentionPeriod": def.Retention.Seconds(),
			"SqsManagedSseEnabled":   true,
			"RedrivePolicy": map[string]any{
				"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []any{def.ID + "DLQ", "Arn"}},
				"maxReceiveCount":     def.MaxReceiveCount,
			},
		})
	})
	check(t, "intake DLQ", func() {
		dev.Template.HasResource(jsii.String("AWS::SQS::Queue"), map[string]any{
			"Properties": map[string]any{"MessageRetentionPeriod": def.DLQRetention.Seconds(), "SqsManagedSseEnabled": true},
		})
	})
	if def.MaxReceiveCount < 5 {
		t.Errorf("topology.Intake.MaxReceiveCount = %d, want at least 5", def.MaxReceiveCount)
	}
	if def.Retention < 72*3600e9 {
		t.Errorf("topology.Intake.Retention = %v, want a weekend (at least 72h)", def.Retention)
	}
}

func TestEventSourceMatchesTopologyAndContext(t *testing.T) {
	dev, prod := stages(t)
	for _, s := range []*synthesized{dev, prod} {
		t.Run(s.Config.Stage, func(t *testing.T) {
			src := topology.IntakeSource
			check(t, "event source mapping", func() {
				s.Template.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(1))
				s.Template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
					"EventSourceArn":                 map[string]any{"Fn::GetAtt": []any{topology.Intake.ID, "Arn"}},
					"FunctionName":                   map[string]any{"Ref": s.logicalID(s.Functions[topology.ConsumerOf(topology.Intake.ID)])},
					"BatchSize":                      src.BatchSize,
					"MaximumBatchingWindowInSeconds": src.MaxBatchingWindow.Seconds(),
					"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
					"ScalingConfig":                  map[string]any{"MaximumConcurrency": s.Config.Capacity.MaxConcurrency},
				})
			})
		})
	}
	if got, want := dev.Config.Capacity.MaxConcurrency, topology.IntakeSource.MaxConcurrency; got != want {
		t.Errorf("default maxConcurrency = %d, want topology's %d", got, want)
	}
}

func TestVisibilityTimeoutIsSixTimesConsumerTimeout(t *testing.T) {
	dev, _ := stages(t)
	fn := dev.resource(t, dev.logicalID(dev.Functions[topology.ConsumerOf(topology.Intake.ID)]))
	q := dev.resource(t, topology.Intake.ID)
	timeout, vis := num(fn.Properties["Timeout"]), num(q.Properties["VisibilityTimeout"])
	if timeout <= 0 || vis < 6*timeout {
		t.Errorf("intake visibility timeout = %vs, %s timeout = %vs: want visibility >= 6x timeout", vis, topology.ConsumerOf(topology.Intake.ID), timeout)
	}
	if got, want := topology.ResponderTimeout, findFunction(topology.ConsumerOf(topology.Intake.ID)).Timeout; got != want {
		t.Errorf("topology.ResponderTimeout = %v, but the %s function's timeout is %v", got, topology.ConsumerOf(topology.Intake.ID), want)
	}
}

func findFunction(name string) topology.Function {
	for _, f := range topology.Functions {
		if f.Name == name {
			return f
		}
	}
	return topology.Function{}
}

func TestFunctionsMatchTopology(t *testing.T) {
	dev, prod := stages(t)
	if got, want := len(dev.resources("AWS::Lambda::Function")), len(topology.Functions); got != want {
		t.Errorf("Lambda functions = %d, want %d (topology.Functions)", got, want)
	}
	for _, s := range []*synthesized{dev, prod} {
		for _, def := range topology.Functions {
			t.Run(s.Config.Stage+"/"+def.Name, func(t *testing.T) {
				fn, ok := s.Functions[def.Name]
				if !ok {
					t.Fatalf("no function %s in the stack", def.Name)
				}
				p := s.resource(t, s.logicalID(fn)).Properties
				for _, c := range []struct {
					field string
					got   any
					want  any
				}{
					{"Runtime", p["Runtime"], "provided.al2023"},
					{"Architectures", js(p["Architectures"]), `["arm64"]`},
					{"Handler", p["Handler"], "bootstrap"},
					{"Timeout", num(p["Timeout"]), def.Timeout.Seconds()},
					{"MemorySize", num(p["MemorySize"]), float64(def.MemoryMB)},
					{"LoggingConfig.LogFormat", asMap(p["LoggingConfig"])["LogFormat"], "JSON"},
				} {
					if c.got != c.want {
						t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
					}
				}
				env := asMap(asMap(p["Environment"])["Variables"])
				want := map[string]bool{}
				for _, name := range def.Env {
					want[name] = true
				}
				refs := map[string]string{topology.Contacts.EnvVar: topology.Contacts.ID, topology.Catalog.EnvVar: topology.Catalog.ID, topology.Messages.EnvVar: topology.Messages.ID,
					topology.Intake.EnvVar: topology.Intake.ID, topology.EnvCognitoClientID: s.logicalID(s.Agents.Client),
					topology.Voice.EnvVar: topology.Voice.ID, topology.EnvVoiceTopic: s.logicalID(s.Voice.Topic),
					topology.EnvPushEndpoint: s.logicalID(s.Push.API), topology.EnvPushURL: s.logicalID(s.Push.API)}
				values := map[string]string{topology.EnvVoiceNotify: "aws", topology.EnvVoiceRetentionDays: strconv.Itoa(topology.DefaultVoiceRetentionDays),
					topology.EnvRetentionDays: strconv.Itoa(s.Config.RetentionDays),
					topology.EnvLeaseSeconds:  strconv.Itoa(s.Config.LeaseSeconds), topology.EnvAverageHandleSeconds: strconv.Itoa(s.Config.HandleSeconds),
					topology.EnvStorefrontSecrets: storefrontPrefix(s.Config), topology.EnvTemplateTTL: s.Config.TemplateRefresh.String(),
					topology.EnvAgentAuth: "jwt", topology.EnvAgentGroup: agentsGroup}
				for name := range want {
					switch ref, value := refs[name], values[name]; {
					case ref != "":
						if !refersTo(env[name], ref) {
							t.Errorf("%s = %v, want a reference to %s", name, env[name], ref)
						}
					case value != "":
						if env[name] != value {
							t.Errorf("%s = %v, want %v", name, env[name], value)
						}
					case env[name] == nil:
						t.Errorf("%s is not set", name)
					}
				}
				if got, want := slices.Sorted(maps.Keys(env)), slices.Sorted(maps.Keys(want)); !slices.Equal(got, want) {
					t.Errorf("environment = %v, want %v", got, want)
				}
			})
		}
	}
}

func TestRoutesMatchTopology(t *testing.T) {
	dev, _ := stages(t)
	routes := dev.resources("AWS::ApiGatewayV2::Route")
	byKey := map[string]resource{}
	httpAPI := dev.logicalID(dev.Web.API)
	for _, r := range routes {
		if refersTo(r.Properties["ApiId"], httpAPI) { // the WebSocket API's routes: TestPushMatchesTopology
			byKey[r.Properties["RouteKey"].(string)] = r
		}
	}
	var want []string
	for _, r := range topology.Routes {
		want = append(want, r.Method+" "+r.Path)
	}
	if got := slices.Sorted(maps.Keys(byKey)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("route keys = %v, want exactly %v", got, want)
	}
	authorizers := dev.resources("AWS::ApiGatewayV2::Authorizer")
	if got, want := len(authorizers), 1; got != want {
		t.Fatalf("authorizers = %d, want %d", got, want)
	}
	var authorizerID string
	for id := range authorizers {
		authorizerID = id
	}
	integrations := dev.resources("AWS::ApiGatewayV2::Integration")
	for _, r := range topology.Routes {
		key := r.Method + " " + r.Path
		t.Run(key, func(t *testing.T) {
			route, ok := byKey[key]
			if !ok {
				t.Fatalf("route %s missing", key)
			}
			p := route.Properties
			if r.Agent {
				if got, want := p["AuthorizationType"], "JWT"; got != want {
					t.Errorf("AuthorizationType = %v, want %v", got, want)
				}
				if !refersTo(p["AuthorizerId"], authorizerID) {
					t.Errorf("AuthorizerId = %v, want the agents JWT authorizer %s", p["AuthorizerId"], authorizerID)
				}
			} else {
				if got, want := p["AuthorizationType"], "NONE"; got != want {
					t.Errorf("AuthorizationType = %v, want %v (public)", got, want)
				}
				if _, ok := p["AuthorizerId"]; ok {
					t.Errorf("AuthorizerId = %v, want none on a public route", p["AuthorizerId"])
				}
			}
			// The route's target is integrations/<id>; that integration must invoke the function topology names.
			target := js(p["Target"])
			fnID := dev.logicalID(dev.Functions[r.Function])
			found := false
			for id, integ := range integrations {
				if refersTo(p["Target"], id) || strings.Contains(target, `"`+id+`"`) {
					found = true
					if !refersTo(integ.Properties["IntegrationUri"], fnID) {
						t.Errorf("integration %s invokes %v, want function %s", id, integ.Properties["IntegrationUri"], r.Function)
					}
					if got, want := integ.Properties["PayloadFormatVersion"], "2.0"; got != want {
						t.Errorf("PayloadFormatVersion = %v, want %v", got, want)
					}
				}
			}
			if !found {
				t.Errorf("route target %s names no integration", target)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	dev, _ := stages(t)
	rules := dev.resources("AWS::Events::Rule")
	if got, want := len(rules), 3; got != want {
		t.Fatalf("rules = %d, want %d (metrics, voice, voice publish)", got, want)
	}
	minutes := int(topology.MetricsSchedule.Minutes())
	every := fmt.Sprintf("rate(%d minutes)", minutes)
	if minutes == 1 {
		every = "rate(1 minute)"
	}
	publish, _ := json.Marshal(publishEvent)
	if sample, err := os.ReadFile("../events/voice/publish.json"); err != nil || !sameJSON(string(sample), string(publish)) {
		t.Errorf("events/voice/publish.json = %s (%v), want the schedule's event %s", sample, err, publish)
	}
	for _, c := range []struct {
		name, expression, function, dlq string
		input                           string // the target's event; EventBridge's own when empty
	}{
		{"metrics", every, dev.logicalID(dev.Functions[metricsFunction]), dev.logicalID(dev.Schedule.DLQ), ""},
		// Five past every hour: the hour just ended has settled.
		{"voice", "cron(5 * * * ? *)", dev.logicalID(dev.Functions[voiceFunction]), dev.logicalID(dev.Voice.DLQ), ""},
		// Approved templates are published within minutes.
		{"voice publish", fmt.Sprintf("rate(%d minutes)", int(topology.VoicePublishSchedule.Minutes())), dev.logicalID(dev.Functions[voiceFunction]),
			dev.logicalID(dev.Voice.DLQ), string(publish)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var found []resource
			for _, r := range rules {
				if targets := asSlice(r.Properties["Targets"]); len(targets) == 1 && refersTo(asMap(targets[0])["Arn"], c.function) &&
					r.Properties["ScheduleExpression"] == c.expression {
					found = append(found, r)
				}
			}
			if len(found) != 1 {
				t.Fatalf("rules targeting the %s function with %s = %d, want 1", c.name, c.expression, len(found))
			}
			target := asMap(asSlice(found[0].Properties["Targets"])[0])
			if !refersTo(target["DeadLetterConfig"], c.dlq) {
				t.Errorf("DeadLetterConfig = %v, want the schedule's DLQ", target["DeadLetterConfig"])
			}
			if got, _ := target["Input"].(string); !sameJSON(got, c.input) {
				t.Errorf("Input = %q, want %q", got, c.input)
			}
		})
	}
}

// sameJSON reports whether a and b are the same JSON value, or both empty.
func sameJSON(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func TestOutputs(t *testing.T) {
	dev, _ := stages(t)
	outputs := asMap(dev.JSON["Outputs"])
	for _, name := range []string{"ApiUrl", "ConsoleUrl", "UserPoolId", "UserPoolClientId", "ContactsTableName", "CatalogTableName", "IntakeQueueUrl", "IntakeDLQUrl", "MetricsScheduleDLQUrl", "AlarmTopicArn",
		"VoiceTableName", "VoiceTopicArn", "VoiceScheduleDLQUrl"} {
		if _, ok := outputs[name]; !ok {
			t.Errorf("output %s missing", name)
		}
	}
	if !refersTo(outputs["ContactsTableName"], topology.Contacts.ID) || !refersTo(outputs["CatalogTableName"], topology.Catalog.ID) {
		t.Errorf("table outputs = %v / %v, want the topology tables", outputs["ContactsTableName"], outputs["CatalogTableName"])
	}
	check(t, "console URL", func() {
		dev.Template.HasOutput(jsii.String("ConsoleUrl"), map[string]any{
			"Value": assertions.Match_ObjectLike(&map[string]any{"Fn::Join": assertions.Match_AnyValue()}),
		})
	})
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
