package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/lambdahost"
	"breakwater/shared/topology"
)

const startLocal = "start the local stack first: go run ./scripts/local"

// invoker holds what invoke needs from outside, so tests can run it with the echo test function.
type invoker struct {
	root      string
	functions []topology.Function
	build     func(ctx context.Context, root, name, outDir string) (string, error)
	ping      func(ctx context.Context, dynamoEndpoint, sqsEndpoint string) error
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
}

func (v invoker) run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(v.stderr)
	list := fs.Bool("list", false, "list the sample events in events/<function>/ instead of invoking")
	bodyOnly := fs.Bool("body", false, "print only the body of an HTTP API response (decoded), for piping to jq")
	agent := fs.String("agent", "", "the demo agent whose token fills {{agentToken}}, by name from .breakwater/agents.json (default: the first, m1's alice)")
	fs.Usage = func() {
		fmt.Fprintf(v.stderr, "usage: go run ./scripts/invoke [-agent name] <function> <event.json | events/<function>/ name | ->\n       go run ./scripts/invoke -list <function>\nfunctions: %s\n", strings.Join(v.names(), ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	want := 2
	if *list {
		want = 1
	}
	if fs.NArg() != want {
		fs.Usage()
		return flag.ErrHelp
	}
	fn, err := v.function(fs.Arg(0))
	if err != nil {
		return err
	}
	if *list {
		return v.listEvents(fn.Name)
	}
	payload, err := v.readEvent(fn.Name, fs.Arg(1))
	if err != nil {
		return err
	}
	st, err := v.localEnv(ctx)
	if err != nil {
		return err
	}
	if payload, err = v.fill(payload, st, *agent); err != nil {
		return err
	}
	out, err := v.invoke(ctx, fn, st.Environ(), payload)
	var fe *lambdahost.FunctionError
	if errors.As(err, &fe) {
		b, _ := json.MarshalIndent(fe, "", "  ")
		fmt.Fprintf(v.stdout, "%s\n", b)
		fmt.Fprintf(v.stderr, "invoke: %s returned an error: %s\n", fn.Name, fe)
		return err
	}
	if err != nil {
		return err
	}
	if *bodyOnly {
		if out, err = httpBody(out); err != nil {
			return fmt.Errorf("%s response: %w", fn.Name, err)
		}
	}
	v.stdout.Write(pretty(out))
	return nil
}

// httpBody is the body of an API Gateway HTTP API response.
func httpBody(out []byte) ([]byte, error) {
	var resp struct {
		Body            *string `json:"body"`
		IsBase64Encoded bool    `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.Body == nil {
		return nil, errors.New("-body: not an HTTP API response with a body")
	}
	if resp.IsBase64Encoded {
		return base64.StdEncoding.DecodeString(*resp.Body)
	}
	return []byte(*resp.Body), nil
}

func (v invoker) names() []string {
	names := make([]string, len(v.functions))
	for n, f := range v.functions {
		names[n] = f.Name
	}
	return names
}

func (v invoker) function(name string) (topology.Function, error) {
	for _, f := range v.functions {
		if f.Name == name {
			return f, nil
		}
	}
	return topology.Function{}, fmt.Errorf("unknown function %q: want one of %s", name, strings.Join(v.names(), ", "))
}

func (v invoker) eventDir(function string) string {
	return filepath.Join(v.root, "events", function)
}

func (v invoker) listEvents(function string) error {
	dir := v.eventDir(function)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list events of %s: %w", function, err)
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			fmt.Fprintln(v.stdout, filepath.Join("events", function, e.Name()))
		}
	}
	return nil
}

// readEvent reads the event from a path, from a name in events/<function>/ (with or without .json), or from stdin for "-".
func (v invoker) readEvent(function, arg string) ([]byte, error) {
	var b []byte
	var err error
	if arg == "-" {
		b, err = io.ReadAll(v.stdin)
	} else {
		candidates := []string{arg, filepath.Join(v.eventDir(function), arg), filepath.Join(v.eventDir(function), arg+".json")}
		for _, path := range candidates {
			if b, err = os.ReadFile(path); err == nil || !errors.Is(err, os.ErrNotExist) {
				break
			}
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read event %s for %s: no such file here or in %s (list them with -list %s)", arg, function, v.eventDir(function), function)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read event %s for %s: %w (list them with -list %s)", arg, function, err, function)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("read event %s for %s: not valid JSON", arg, function)
	}
	return b, nil
}

// localEnv returns what the running local stack recorded (its functions' environment, its first agent's token),
// once its emulators answer.
func (v invoker) localEnv(ctx context.Context) (emulators.State, error) {
	st, err := emulators.ReadState(v.root)
	if errors.Is(err, emulators.ErrNoState) {
		return st, err // says how to start it
	}
	if err != nil {
		return st, fmt.Errorf("%w: %s", err, startLocal)
	}
	ddb, sqs := st.Env["AWS_ENDPOINT_URL_DYNAMODB"], st.Env["AWS_ENDPOINT_URL_SQS"]
	if ddb == "" || sqs == "" {
		return st, fmt.Errorf("local stack state %s names no DynamoDB or SQS endpoint: %s", emulators.StatePath(v.root), startLocal)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := v.ping(pingCtx, ddb, sqs); err != nil {
		return st, fmt.Errorf("local stack recorded in %s does not answer (%v): %s", emulators.StatePath(v.root), err, startLocal)
	}
	return st, nil
}

func (v invoker) invoke(ctx context.Context, fn topology.Function, env []string, payload []byte) ([]byte, error) {
	bin, err := v.build(ctx, v.root, fn.Name, filepath.Join(v.root, ".breakwater", "bin"))
	if err != nil {
		return nil, err
	}
	inst, err := lambdahost.Start(ctx, lambdahost.Function{
		Name:     fn.Name,
		Path:     bin,
		Env:      env,
		Timeout:  fn.Timeout,
		MemoryMB: fn.MemoryMB,
		Log:      v.stderr,
	})
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	out, err := inst.Invoke(ctx, payload)
	took := time.Since(begin)
	inst.Close() // after it, the function no longer writes to stderr
	fmt.Fprintf(v.stderr, "invoke: %s cold start %s, invocation %s\n", fn.Name, inst.ColdStart().Round(time.Microsecond), took.Round(time.Microsecond))
	return out, err
}

// pretty indents a JSON response; anything else is printed as it came.
func pretty(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return append(slices.Clip(b), '\n')
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}
