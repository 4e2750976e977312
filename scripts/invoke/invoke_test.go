package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/lambdahost"
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
		"notes.txt":  `not an event`,
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

func writeRunningState(t *testing.T, root string) {
	t.Helper()
	emu := emulators.Shared(t)
	env := emu.EnvMap()
	env["ECHO_EXTRA"] = "from state"
	if err := emulators.WriteState(root, emulators.State{URL: "http://127.0.0.1:8080", AgentToken: "t", Env: env}); err != nil {
		t.Fatal(err)
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
		{name: "list", args: []string{"-list", "echo"}, stdout: "events/echo/env.json\nevents/echo/fail.json\nevents/echo/hello.json\nevents/echo/http.json\n"},
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
