// Command local runs the whole of Breakwater on this machine: DynamoDB Local, the SQS emulator, every function
// behind the Lambda Runtime API, the SQS event source and the HTTP API on 127.0.0.1:8080.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8080", "HTTP API listen address (keep it on loopback)")
	token := flag.String("agent-token", os.Getenv("BREAKWATER_AGENT_TOKEN"), "agents' bearer token (random when empty; env BREAKWATER_AGENT_TOKEN)")
	intake := flag.Int("intake", 0, "intake environments serving the HTTP API at once (default 4; Lambda would scale out)")
	concurrency := flag.Int("concurrency", 0, "responder batches in flight (MaximumConcurrency); default from the topology, at most 16 locally")
	killEvery := flag.Int("kill-responder-every", 0, "kill the responder process mid-batch each time this many more messages were handed to it (crash simulation)")
	visibility := flag.Duration("visibility", 0, "override the intake queue's visibility timeout (default as deployed: 6x the responder timeout)")
	refresh := flag.Duration("template-refresh", 0, "how often the responder checks for template edits (default 30s)")
	verbose := flag.Bool("v", false, "print function and emulator logs here instead of .breakwater/local.log")
	pprofAddr := flag.String("pprof", "", "serve Go's pprof for this process (gateway, event source, Runtime API host) on this loopback address, e.g. 127.0.0.1:6060")
	flag.Parse()

	root, err := emulators.RepoRoot()
	if err != nil {
		return err
	}
	var logw io.Writer = os.Stderr
	logPath := filepath.Join(root, ".breakwater", "local.log")
	if !*verbose {
		if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
			return fmt.Errorf("make log folder: %w", err)
		}
		f, err := os.Create(logPath)
		if err != nil {
			return fmt.Errorf("open log: %w", err)
		}
		defer f.Close()
		logw = f
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *pprofAddr != "" {
		stopProfile, err := servePprof(ctx, *pprofAddr)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	fmt.Fprintln(os.Stderr, "Starting Breakwater locally (first run installs the pinned npm packages and builds the functions)...")
	begin := time.Now()
	s, err := runner.Start(ctx, runner.Options{
		Root: root, Addr: *addr, AgentToken: *token, Concurrency: *concurrency, KillResponderEvery: *killEvery,
		Visibility: *visibility, TemplateRefresh: *refresh, Log: logw, Prefix: "breakwater-local-", IntakeInstances: *intake,
	})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "\nStopping: HTTP API, responder, functions, emulators...")
		if err := errors.Join(s.Close(), emulators.RemoveState(root)); err != nil {
			fmt.Fprintln(os.Stderr, "local: stop:", err)
		}
		fmt.Fprintln(os.Stderr, "Stopped.")
	}()
	if err := emulators.WriteState(root, emulators.State{URL: s.URL, AgentToken: s.AgentToken, Env: s.Env}); err != nil {
		return err
	}
	if err := runner.WriteAgents(root, s.Agents); err != nil {
		return err
	}
	printWelcome(s, time.Since(begin), logPath, *verbose)
	<-ctx.Done()
	return nil
}

// servePprof serves net/http/pprof's handlers on addr until the returned stop is called.
func servePprof(ctx context.Context, addr string) (func() error, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	_, stop, err := runner.Serve(ctx, addr, mux)
	if err != nil {
		return nil, fmt.Errorf("serve pprof: %w", err)
	}
	return stop, nil
}

func printWelcome(s *runner.Stack, took time.Duration, logPath string, verbose bool) {
	logs := logPath
	if verbose {
		logs = "this terminal"
	}
	fmt.Printf(`
Breakwater is running (ready in %s).

  Shopper chat page   %[2]s/   (merchant m1; %[2]s/?merchant=m2 for the other demo shop)
  Agent console       %[2]s/console   (paste an agent's token)
  DynamoDB Local      %[4]s
  SQS emulator        %[5]s
  Logs                %[6]s

Agents (also in .breakwater/agents.json): each sees only its own tenant's contacts.
%[7]s
Try it:
  curl -s -X POST %[2]s/contacts -H 'Content-Type: application/json' \
    -d '{"merchant":"m1","shopper":{"id":"s1","tier":"gold"},"text":"Where is my order?","context":{"order":{"id":"A100","carrier":"SF Express","trackingNumber":"SF123456","estimatedDelivery":"2026-11-25"}}}'
  curl -s %[2]s/contacts/<id> -H 'X-Contact-Token: <token>'
  curl -s -X POST %[2]s/contacts -H 'Content-Type: application/json' \
    -d '{"merchant":"m1","shopper":{"id":"s2","tier":"standard"},"text":"我被扣了两次款，转人工！"}'
  curl -s %[2]s/agent/queues -H 'Authorization: Bearer %[3]s'     # m1's alice: m1's queues only
  curl -s -X POST %[2]s/agent/claim -H 'Authorization: Bearer %[3]s'
  # a signed gold shopper (the demo storefront signs with m1's local key; unsigned, the tier raises nothing):
  ID=$(curl -s -X POST %[2]s/_local/sign -H 'X-Breakwater-Local: 1' -d '{"merchant":"m1","shopper":"s3","tier":"gold"}' | jq -r .identity)
  curl -s -X POST %[2]s/contacts -H 'Content-Type: application/json' \
    -d '{"merchant":"m1","shopper":{"id":"s3"},"text":"I want to talk to a person","identity":"'$ID'"}'
  go run ./scripts/invoke intake events/intake/post-signed-gold.json
  go run ./scripts/invoke -agent chen agent events/agent/claim.json

Press Ctrl-C to stop everything.
`, took.Round(100*time.Millisecond), s.URL, s.AgentToken, s.Emulators.DynamoDB, s.Emulators.SQS, logs, agentTable(s.Agents))
}

// agentTable lists the demo agents, one a line: tenant, name, languages and token.
func agentTable(as []runner.DemoAgent) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "  %-9s %-6s %-10s %s\n", a.Tenant, a.Name, strings.Join(a.Languages, ","), a.Token)
	}
	return b.String()
}
