package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/lambdahost"
	"breakwater/shared/local/runner"
	"breakwater/shared/storefront"
	"breakwater/shared/topology"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// echoInvoker runs invoke against a temporary repo whose only function is lambdahost's echo test function.
func echoInvoker(t *testing.T) (invoker, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	realRoot, err := emulators.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	events := filepath.Join(root, "events", "echo")
	if err := os.MkdirAll(events, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"hello.json": `{"action":"echo","value":{"a":[1,2]}}`,
		"fail.json":  `{"action":"error","message":"no such order"}`,
		"env.json":   `{"action":"env"}`,
		"http.json":  `{"action":"echo","value":{"statusCode":200,"body":"{\"id\":\"c1\"}"}}`,
		"agent.json": `{"action":"echo","value":"{{agentToken}}"}`,
		// An HTTP API post whose shopper the demo storefront signs: the echo function answers with the token.
		"signed.json":         `{"action":"echo","value":"{{identity}}","body":"{\"merchant\":\"m1\",\"shopper\":{\"id\":\"s-1\",\"tier\":\"gold\"},\"text\":\"hi\",\"identity\":\"{{identity}}\",\"context\":{\"order\":{\"id\":\"A1\",\"amount\":4200,\"currency\":\"CNY\"}}}"}`,
		"signed-no-body.json": `{"action":"echo","value":"{{identity}}"}`,
		"notes.txt":           `not an event`,
	} {
		if err := os.WriteFile(filepath.Join(events, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	return invoker{
		root:      root,
		functions: []topology.Function{{Name: "echo", Timeout: 5 * time.Second, MemoryMB: 128}},
		build: func(ctx context.Context, _, name, outDir string) (string, error) {
			return lambdahost.BuildPackage(ctx, realRoot, "./shared/local/lambdahost/testdata/echo", filepath.Join(outDir, name))
		},
		ping:   emulators.Ping,
		stdin:  strings.NewReader(`{"action":"echo","value":"from stdin"}`),
		stdout: &stdout,
		stderr: &stderr,
	}, &stdout, &stderr
}

// demoKeys are the running stack's storefront keys in these tests.
var demoKeys = storefront.StaticKeys{"m1": {{ID: "local-m1", Secret: []byte("0123456789abcdef0123456789abcdef")}}}

func writeRunningState(t *testing.T, root string) {
	t.Helper()
	emu := emulators.Shared(t)
	env := emu.EnvMap()
	env["ECHO_EXTRA"] = "from state"
	keys, err := json.Marshal(demoKeys)
	if err != nil {
		t.Fatal(err)
	}
	env[topology.EnvStorefrontKeys] = string(keys)
	if err := emulators.WriteState(root, emulators.State{URL: "http://127.0.0.1:8080", AgentToken: "t", Env: env}); err != nil {
		t.Fatal(err)
	}
	if err := runner.WriteAgents(root, []runner.DemoAgent{
		{Tenant: "m1", Name: "alice", Languages: []string{"zh-CN", "en"}, Token: "token-alice"},
		{Tenant: "m2", Name: "chen", Languages: []string{"zh-CN", "en"}, Token: "token-chen"},
	}); err != nil {
		t.Fatal(err)
	}
}

// {{agentToken}} is an agent's token from the agents file, the first one's unless -agent names another, and
// {{identity}} is a fresh signature of the event's shopper with its merchant's demo key, as the intake verifies it.
func TestPlaceholders(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdout   string
		contains string // in the error
	}{
		{name: "first agent", args: []string{"echo", "agent"}, stdout: "\"token-alice\"\n"},
		{name: "named agent", args: []string{"-agent", "chen", "echo", "agent"}, stdout: "\"token-chen\"\n"},
		{name: "unknown agent", args: []string{"-agent", "zed", "echo", "agent"}, contains: "alice (m1), chen (m2)"},
		{name: "identity without a body", args: []string{"echo", "signed-no-body"}, contains: "no body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, stdout, stderr := echoInvoker(t)
			writeRunningState(t, inv.root)
			err := inv.run(context.Background(), tt.args)
			if tt.contains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.contains) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.contains)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\nstderr:\n%s", err, stderr)
			}
			if got, want := stdout.String(), tt.stdout; got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
		})
	}

	inv, stdout, stderr := echoInvoker(t)
	writeRunningState(t, inv.root)
	if err := inv.run(context.Background(), []string{"echo", "signed"}); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr)
	}
	var tok string
	if err := json.Unmarshal(stdout.Bytes(), &tok); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	c, err := storefront.Verify(context.Background(), demoKeys, "m1", "s-1", tok, time.Now())
	if err != nil {
		t.Fatalf("the filled identity does not verify for m1's shopper s-1: %v", err)
	}
	if c.Tier != "gold" || c.Order == nil || c.Order.ID != "A1" || *c.Order.Amount != 4200 || c.Order.Currency != "CNY" {
		t.Errorf("signed claims %+v %+v, want gold and order A1 of 4200 CNY from the event's body", c, c.Order)
	}
	if strings.Contains(stderr.String(), tok) {
		t.Error("the token was printed")
	}
	if !strings.Contains(stderr.String(), "signed shopper s-1 of m1") {
		t.Errorf("stderr = %q, want a note of what was signed", stderr)
	}
}

func TestInvokeWithoutLocalStack(t *testing.T) {
	tests := []struct {
		name  string
		state *emulators.State
	}{
		{name: "no state file"},
		{name: "endpoints down", state: &emulators.State{Env: map[string]string{
			"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:1"}}},
		{name: "no endpoints", state: &emulators.State{Env: map[string]string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, _, _ := echoInvoker(t)
			if tt.state != nil {
				if err := emulators.WriteState(inv.root, *tt.state); err != nil {
					t.Fatal(err)
				}
			}
			err := inv.run(context.Background(), []string{"echo", "hello.json"})
			if err == nil || !strings.Contains(err.Error(), "go run ./scripts/local") {
				t.Fatalf("err = %v, want a hint to start the local stack", err)
			}
		})
	}
}

func TestInvoke(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdout   string
		contains string
		errIs    func(error) bool
	}{
		{name: "event by name", args: []string{"echo", "hello"}, stdout: "{\n  \"a\": [\n    1,\n    2\n  ]\n}\n"},
		{name: "body only", args: []string{"-body", "echo", "http"}, stdout: "{\n  \"id\": \"c1\"\n}\n"},
		{name: "stdin", args: []string{"echo", "-"}, stdout: "\"from stdin\"\n"},
		{name: "state env reaches the function", args: []string{"echo", "env.json"}, contains: `"extra": "from state"`},
		{name: "function error", args: []string{"echo", "fail.json"}, contains: `"errorMessage": "no such order"`, errIs: func(err error) bool {
			var fe *lambdahost.FunctionError
			return errors.As(err, &fe)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, stdout, stderr := echoInvoker(t)
			writeRunningState(t, inv.root)
			err := inv.run(context.Background(), tt.args)
			if tt.errIs != nil {
				if !tt.errIs(err) {
					t.Fatalf("err = %v, want the function's error", err)
				}
			} else if err != nil {
				t.Fatalf("%v\nstderr:\n%s", err, stderr)
			}
			if tt.stdout != "" {
				if got, want := stdout.String(), tt.stdout; got != want {
					t.Errorf("stdout = %q, want %q", got, want)
				}
			}
			if got := stdout.String(); !strings.Contains(got, tt.contains) {
				t.Errorf("stdout = %q, want it to contain %q", got, tt.contains)
			}
			if got := stderr.String(); !strings.Contains(got, "cold start") {
				t.Errorf("stderr = %q, want the cold start line", got)
			}
		})
	}
}

func TestArguments(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdout   string
		contains string
	}{
		{name: "list", args: []string{"-list", "echo"}, stdout: "events/echo/agent.json\nevents/echo/env.json\nevents/echo/fail.json\nevents/echo/hello.json\nevents/echo/http.json\nevents/echo/signed-no-body.json\nevents/echo/signed.json\n"},
		{name: "unknown function", args: []string{"nope", "x.json"}, contains: `unknown function "nope": want one of echo`},
		{name: "missing event", args: []string{"echo", "missing.json"}, contains: "-list echo"},
		{name: "not JSON", args: []string{"echo", "notes.txt"}, contains: "not valid JSON"},
		{name: "no event", args: []string{"echo"}, contains: "help requested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, stdout, _ := echoInvoker(t)
			err := inv.run(context.Background(), tt.args)
			if tt.contains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.contains) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.contains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := stdout.String(), tt.stdout; got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
		})
	}
}

// Every sample event in the repository's events/ can be filled: no placeholder is left, each agent event carries
// the chosen agent's token, and the signed contact post carries an identity the intake accepts for its shopper.
func TestSampleEventsFill(t *testing.T) {
	realRoot, err := emulators.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := runner.WriteAgents(root, []runner.DemoAgent{
		{Tenant: "m1", Name: "alice", Token: "token-alice"},
		{Tenant: "m2", Name: "chen", Token: "token-chen"},
	}); err != nil {
		t.Fatal(err)
	}
	keys, err := json.Marshal(demoKeys)
	if err != nil {
		t.Fatal(err)
	}
	st := emulators.State{Env: map[string]string{topology.EnvStorefrontKeys: string(keys)}}
	var stderr bytes.Buffer
	v := invoker{root: root, stderr: &stderr}
	signed := 0
	for _, function := range []string{"intake", "agent", "responder", "voice", "metrics"} {
		all, err := eventfile.All(realRoot, function)
		if err != nil {
			t.Fatal(err)
		}
		for name, ev := range all {
			out, err := v.fill(ev, st, "chen")
			if err != nil {
				t.Errorf("%s/%s: %v", function, name, err)
				continue
			}
			if bytes.Contains(out, []byte("{{")) {
				t.Errorf("%s/%s: a placeholder is left: %s", function, name, out)
			}
			if bytes.Contains(ev, []byte(eventfile.Placeholder)) && !bytes.Contains(out, []byte("Bearer token-chen")) {
				t.Errorf("%s/%s: no Bearer token-chen in %s", function, name, out)
			}
			if !bytes.Contains(ev, []byte(identityPlaceholder)) {
				continue
			}
			signed++
			var e struct{ Body string }
			var body struct {
				Merchant string
				Shopper  struct{ ID string }
				Identity string
			}
			if err := json.Unmarshal(out, &e); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(e.Body), &body); err != nil {
				t.Fatalf("%s/%s: body %q: %v", function, name, e.Body, err)
			}
			c, err := storefront.Verify(context.Background(), demoKeys, body.Merchant, body.Shopper.ID, body.Identity, time.Now())
			if err != nil {
				t.Errorf("%s/%s: the filled identity does not verify for %s's shopper %s: %v", function, name, body.Merchant, body.Shopper.ID, err)
			} else if c.Tier != "gold" || c.Order == nil || c.Order.Amount == nil {
				t.Errorf("%s/%s: signed claims %+v, want the body's gold tier and its order's amount", function, name, c)
			}
		}
	}
	if signed == 0 {
		t.Error("no sample event carries {{identity}}: want a signed contact post in events/intake")
	}
}
