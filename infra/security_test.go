package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/topology"
)

// statements returns every IAM policy statement of the template, with the logical id of its policy.
func (s *synthesized) statements() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for id, p := range s.resources("AWS::IAM::Policy") {
		for _, st := range asSlice(asMap(p.Properties["PolicyDocument"])["Statement"]) {
			out[id] = append(out[id], asMap(st))
		}
	}
	return out
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func TestNoWildcardActionsOnDataResources(t *testing.T) {
	dev, _ := stages(t)
	data := []string{topology.Contacts.ID, topology.Catalog.ID, topology.Voice.ID, topology.Messages.ID, topology.Intake.ID, topology.Intake.ID + "DLQ",
		dev.logicalID(dev.Schedule.DLQ), dev.logicalID(dev.Voice.DLQ), dev.logicalID(dev.Voice.Topic)}
	for policy, sts := range dev.statements() {
		for _, st := range sts {
			for _, action := range strs(st["Action"]) {
				if action == "*" || strings.HasSuffix(action, ":*") {
					t.Errorf("policy %s allows %q", policy, action)
				}
				if !strings.Contains(action, "*") {
					continue
				}
				for _, d := range data {
					if refersTo(st["Resource"], d) {
						t.Errorf("policy %s allows wildcard action %q on %s", policy, action, d)
					}
				}
			}
			if js(st["Resource"]) == `"*"` {
				t.Errorf("policy %s allows %v on every resource", policy, st["Action"])
			}
		}
	}
	for id, role := range dev.resources("AWS::IAM::Role") {
		if arns := role.Properties["ManagedPolicyArns"]; arns != nil {
			t.Errorf("role %s has managed policies %v, want grants only", id, arns)
		}
	}
}

// TestGrantsFollowUses: each function may touch exactly its log group and the tables and queue topology
// says it uses; the intake queue's consumer may receive but not send, everyone else send but not receive.
func TestGrantsFollowUses(t *testing.T) {
	dev, _ := stages(t)
	stmts := dev.statements()
	data := []string{topology.Contacts.ID, topology.Catalog.ID, topology.Voice.ID, topology.Messages.ID, topology.Intake.ID}
	for _, def := range topology.Functions {
		t.Run(def.Name, func(t *testing.T) {
			role := dev.logicalID(dev.Functions[def.Name].Role())
			var mine []map[string]any
			for id, sts := range stmts {
				if refersTo(dev.resource(t, id).Properties["Roles"], role) {
					mine = append(mine, sts...)
				}
			}
			actionsOn := map[string][]string{}
			for _, st := range mine {
				for _, d := range data {
					if refersTo(st["Resource"], d) {
						actionsOn[d] = append(actionsOn[d], strs(st["Action"])...)
					}
				}
			}
			for _, d := range data {
				_, uses := def.Access(d)
				if got := len(actionsOn[d]) > 0; got != uses {
					t.Errorf("access to %s = %v, want %v (Uses %v)", d, got, uses, def.Uses)
				}
			}
			for _, d := range []string{topology.Contacts.ID, topology.Catalog.ID, topology.Voice.ID, topology.Messages.ID} {
				u, _ := def.Use(d)
				var want []string
				for _, a := range u.Actions {
					want = append(want, "dynamodb:"+a)
				}
				if got := slices.Compact(slices.Sorted(slices.Values(actionsOn[d]))); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
					t.Errorf("actions on %s = %v, want exactly %v", d, got, want)
				}
				for _, st := range mine {
					if refersTo(st["Resource"], d) && slices.Contains(strs(st["Action"]), "dynamodb:DeleteItem") {
						cond := js(st["Condition"])
						if limited := strings.Contains(cond, `"dynamodb:LeadingKeys":["`+u.DeleteKeys+`*"]`); (u.DeleteKeys != "") != limited {
							t.Errorf("DeleteItem on %s has condition %s, want keys limited to %q", d, cond, u.DeleteKeys)
						}
					}
				}
			}
			// Exactly the functions that push may post to the WebSocket stage's connections, with POST only.
			var manage []string
			for _, st := range mine {
				for _, a := range strs(st["Action"]) {
					if strings.HasPrefix(a, "execute-api:") {
						manage = append(manage, a+" "+js(st["Resource"]))
					}
				}
			}
			_, pushes := def.Access(topology.PushConnections)
			switch {
			case !pushes && len(manage) > 0:
				t.Errorf("execute-api grants %v, want none (Uses %v)", manage, def.Uses)
			case pushes && (len(manage) != 1 || !strings.HasPrefix(manage[0], "execute-api:ManageConnections ") ||
				!strings.Contains(manage[0], `/push/POST/@connections/*"`) || !strings.Contains(manage[0], `{"Ref":"`+dev.logicalID(dev.Push.API)+`"}`)):
				t.Errorf("execute-api grants %v, want exactly ManageConnections on POST of the push stage's @connections/*", manage)
			}
			// Only the voice function publishes to the voice topic.
			publishes := false
			for _, st := range mine {
				if refersTo(st["Resource"], dev.logicalID(dev.Voice.Topic)) && slices.Contains(strs(st["Action"]), "sns:Publish") {
					publishes = true
				}
			}
			if publishes != (def.Name == voiceFunction) {
				t.Errorf("publishes to the voice topic = %v, want %v", publishes, def.Name == voiceFunction)
			}
			if _, ok := def.Access(topology.Intake.ID); !ok {
				return
			}
			sends, receives := slices.Contains(actionsOn[topology.Intake.ID], "sqs:SendMessage"), slices.Contains(actionsOn[topology.Intake.ID], "sqs:ReceiveMessage")
			consumer := def.Name == topology.ConsumerOf(topology.Intake.ID)
			if sends == consumer || receives != consumer {
				t.Errorf("on the intake queue: send %v, receive %v; want send %v, receive %v", sends, receives, !consumer, consumer)
			}
		})
	}
}

func TestEncryptionAndTransport(t *testing.T) {
	dev, _ := stages(t)
	queues := dev.resources("AWS::SQS::Queue")
	if got, want := len(queues), 4; got != want {
		t.Errorf("queues = %d, want %d (intake, its DLQ, the two schedules' DLQs)", got, want)
	}
	policies := dev.resources("AWS::SQS::QueuePolicy")
	for id, q := range queues {
		if q.Properties["SqsManagedSseEnabled"] != true && q.Properties["KmsMasterKeyId"] == nil {
			t.Errorf("queue %s is not encrypted at rest", id)
		}
		denied := false
		for _, p := range policies {
			doc := js(p.Properties["PolicyDocument"])
			if refersTo(p.Properties["Queues"], id) && strings.Contains(doc, `"aws:SecureTransport":"false"`) && strings.Contains(doc, `"Effect":"Deny"`) {
				denied = true
			}
		}
		if !denied {
			t.Errorf("queue %s does not deny requests without TLS", id)
		}
	}
	for id, tbl := range dev.resources("AWS::DynamoDB::Table") {
		if asMap(tbl.Properties["SSESpecification"])["SSEEnabled"] != true {
			t.Errorf("table %s: SSESpecification = %v, want KMS encryption", id, tbl.Properties["SSESpecification"])
		}
	}
	for id, topic := range dev.resources("AWS::SNS::Topic") {
		if topic.Properties["KmsMasterKeyId"] == nil {
			t.Errorf("topic %s is not encrypted", id)
		}
	}
	for id, key := range dev.resources("AWS::KMS::Key") {
		if key.Properties["EnableKeyRotation"] != true {
			t.Errorf("key %s does not rotate", id)
		}
		if !strings.Contains(js(key.Properties["KeyPolicy"]), "cloudwatch.amazonaws.com") {
			t.Errorf("key %s: CloudWatch cannot publish alarms to the encrypted topic", id)
		}
	}
}

func TestAgentAuth(t *testing.T) {
	dev, prod := stages(t)
	pool, client := dev.logicalID(dev.Agents.Pool), dev.logicalID(dev.Agents.Client)
	check(t, "agents group", func() {
		dev.Template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolGroup"), map[string]any{
			"GroupName": agentsGroup, "UserPoolId": map[string]any{"Ref": pool},
		})
	})
	c := dev.resource(t, client).Properties
	if c["GenerateSecret"] != false && c["GenerateSecret"] != nil {
		t.Errorf("console client GenerateSecret = %v, want false (a browser cannot keep a secret)", c["GenerateSecret"])
	}
	for _, flow := range []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} {
		if !slices.Contains(strs(c["ExplicitAuthFlows"]), flow) {
			t.Errorf("console client ExplicitAuthFlows = %v, want %s", c["ExplicitAuthFlows"], flow)
		}
	}
	p := dev.resource(t, pool).Properties
	if asMap(p["AdminCreateUserConfig"])["AllowAdminCreateUserOnly"] != true {
		t.Errorf("user pool allows self sign-up: %v", p["AdminCreateUserConfig"])
	}
	// An agent's tenant, languages and skills are attributes the console may read into the ID token and may not
	// write: an agent cannot move itself to another merchant's queues.
	schema := js(p["Schema"])
	for _, a := range []string{"tenant", "languages", "skills"} {
		if !strings.Contains(schema, `"Name":"`+a+`"`) {
			t.Errorf("user pool schema %s has no custom attribute %s", schema, a)
		}
		if !slices.Contains(strs(c["ReadAttributes"]), "custom:"+a) {
			t.Errorf("console client ReadAttributes = %v, want custom:%s", c["ReadAttributes"], a)
		}
	}
	for _, w := range strs(c["WriteAttributes"]) {
		if strings.HasPrefix(w, "custom:") || w == "email" {
			t.Errorf("console client may write %s: an agent could change who it is", w)
		}
	}
	if c["EnableTokenRevocation"] != true {
		t.Errorf("console client EnableTokenRevocation = %v, want true (sign-out revokes the refresh token)", c["EnableTokenRevocation"])
	}
	for _, s := range []struct {
		st   *synthesized
		want string
	}{{dev, "OPTIONAL"}, {prod, "ON"}} {
		for id, up := range s.st.resources("AWS::Cognito::UserPool") {
			if got := up.Properties["MfaConfiguration"]; got != s.want {
				t.Errorf("%s user pool %s MfaConfiguration = %v, want %s", s.st.Config.Stage, id, got, s.want)
			}
			if got := js(up.Properties["EnabledMfas"]); got != `["SOFTWARE_TOKEN_MFA"]` {
				t.Errorf("%s user pool %s EnabledMfas = %s, want the authenticator app only", s.st.Config.Stage, id, got)
			}
		}
	}
	for _, a := range dev.resources("AWS::ApiGatewayV2::Authorizer") {
		jwt := asMap(a.Properties["JwtConfiguration"])
		if got, want := a.Properties["AuthorizerType"], "JWT"; got != want {
			t.Errorf("AuthorizerType = %v, want %v", got, want)
		}
		if !refersTo(jwt["Audience"], client) {
			t.Errorf("Audience = %v, want the console client %s", jwt["Audience"], client)
		}
		if iss := js(jwt["Issuer"]); !strings.Contains(iss, "https://cognito-idp.") || !refersTo(jwt["Issuer"], pool) {
			t.Errorf("Issuer = %s, want the agents user pool's issuer", iss)
		}
		if got, want := js(a.Properties["IdentitySource"]), `["$request.header.Authorization"]`; got != want {
			t.Errorf("IdentitySource = %s, want %s", got, want)
		}
	}
}

func TestStageThrottlingAndAccessLogs(t *testing.T) {
	dev, prod := stages(t)
	for _, s := range []*synthesized{dev, prod} {
		stages := s.resources("AWS::ApiGatewayV2::Stage")
		for id, st := range stages {
			if !refersTo(st.Properties["ApiId"], s.logicalID(s.Web.API)) {
				delete(stages, id) // the WebSocket API's stage: TestPushMatchesTopology
			}
		}
		if got, want := len(stages), 1; got != want {
			t.Fatalf("%s: stages = %d, want %d", s.Config.Stage, got, want)
		}
		for id, st := range stages {
			rs := asMap(st.Properties["DefaultRouteSettings"])
			def := s.Config.Capacity.DefaultThrottle()
			if got, want := num(rs["ThrottlingRateLimit"]), float64(def.Rate); got != want {
				t.Errorf("%s %s: default ThrottlingRateLimit = %v, want %v", s.Config.Stage, id, got, want)
			}
			if got, want := num(rs["ThrottlingBurstLimit"]), float64(def.Burst); got != want {
				t.Errorf("%s %s: default ThrottlingBurstLimit = %v, want %v", s.Config.Stage, id, got, want)
			}
			// Every route RouteShares names has its own throttle, the shopper and agent routes apart, and the
			// throttles of all routes together stay within the account's quota.
			routes := asMap(st.Properties["RouteSettings"])
			shared := 0 // RouteShares may name a route before it exists (the push's registrations)
			for _, r := range topology.Routes {
				if _, ok := topology.RouteShares[r.Method+" "+r.Path]; ok {
					shared++
				}
			}
			if got, want := len(routes), shared; got != want {
				t.Errorf("%s %s: %d route settings, want %d: %v", s.Config.Stage, id, got, want, routes)
			}
			var total float64
			for key, v := range routes {
				th := s.Config.Capacity.RouteThrottle(key)
				if got := asMap(v); num(got["ThrottlingRateLimit"]) != float64(th.Rate) || num(got["ThrottlingBurstLimit"]) != float64(th.Burst) {
					t.Errorf("%s %s: route %s throttle = %v, want %+v", s.Config.Stage, id, key, got, th)
				}
				total += num(asMap(v)["ThrottlingRateLimit"])
			}
			total += float64(len(topology.Routes)-len(routes)) * float64(def.Rate)
			if total > float64(s.Config.Capacity.APIRate) {
				t.Errorf("%s %s: route throttles sum to %v/s, over the account's %d", s.Config.Stage, id, total, s.Config.Capacity.APIRate)
			}
			if poll, overview := asMap(routes["GET /contacts/{id}"]), asMap(routes["GET /agent/queues"]); poll == nil || overview == nil {
				t.Errorf("%s %s: the shoppers' polls and the agents' overview want throttles of their own: %v", s.Config.Stage, id, routes)
			}
			if deps := strs(st.Raw["DependsOn"]); len(deps) < len(topology.Routes) {
				t.Errorf("%s %s: the stage depends on %d resources, want every route (%d) created before its route settings", s.Config.Stage, id, len(deps), len(topology.Routes))
			}
			if got, want := st.Properties["StageName"], "$default"; got != want {
				t.Errorf("StageName = %v, want %v", got, want)
			}
			if asMap(st.Properties["AccessLogSettings"])["DestinationArn"] == nil {
				t.Errorf("%s %s: no access logs", s.Config.Stage, id)
			}
		}
	}
	if got := len(dev.resources("AWS::ApiGatewayV2::Api")); got != 2 {
		t.Errorf("APIs = %d, want 2 (HTTP and WebSocket)", got)
	}
	for id, api := range dev.resources("AWS::ApiGatewayV2::Api") {
		if api.Properties["CorsConfiguration"] != nil {
			t.Errorf("api %s has CORS %v; the pages are same-origin", id, api.Properties["CorsConfiguration"])
		}
	}
}

// TestRemovalPolicies: prod keeps its data when the stack goes; other stages leave nothing behind to pay for.
func TestRemovalPolicies(t *testing.T) {
	dev, prod := stages(t)
	stateful := []string{"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Cognito::UserPool", "AWS::KMS::Key", "AWS::Logs::LogGroup"}
	for _, c := range []struct {
		s    *synthesized
		want string
	}{{dev, "Delete"}, {prod, "Retain"}} {
		for _, typ := range stateful {
			for id, r := range c.s.resources(typ) {
				if got := r.Raw["DeletionPolicy"]; got != c.want {
					t.Errorf("%s %s %s: DeletionPolicy = %v, want %v", c.s.Config.Stage, typ, id, got, c.want)
				}
			}
		}
	}
	for id, tbl := range prod.resources("AWS::DynamoDB::Table") {
		if tbl.Properties["DeletionProtectionEnabled"] != true {
			t.Errorf("prod table %s: DeletionProtectionEnabled = %v, want true", id, tbl.Properties["DeletionProtectionEnabled"])
		}
	}
	if got, want := *dev.Stack.StackName(), "Breakwater-dev"; got != want {
		t.Errorf("dev stack name = %s, want %s", got, want)
	}
	if got, want := *prod.Stack.StackName(), "Breakwater-prod"; got != want {
		t.Errorf("prod stack name = %s, want %s", got, want)
	}
}
