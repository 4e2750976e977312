package webui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/shared/local/runner"
)

// The browser tests share one local stack (the real functions behind the local HTTP API, on DynamoDB Local and
// fauxqs), started on first use: starting one takes 10-60 s, most of it the functions' processes. The tests stay
// independent because each one claims only what it queued itself, at a priority above anything another test leaves.
var shared struct {
	once  sync.Once
	stack *runner.Stack
	log   *os.File
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stack != nil {
		if err := shared.stack.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "webui: stop local stack: %v\n", err)
			code = max(code, 1)
		}
	}
	if shared.log != nil {
		shared.log.Close()
	}
	os.Exit(code)
}

// startSystem returns the base URL and agent token of the local stack; with env, a stack of its own whose functions
// also get env (on the shared stack's emulators, with tables and queue of its own).
func startSystem(t *testing.T, env map[string]string) (string, string) {
	t.Helper()
	shared.once.Do(func() {
		p := filepath.Join(artifacts(t), "stack.log")
		if shared.log, shared.err = os.Create(p); shared.err != nil {
			return
		}
		shared.stack, shared.err = start(t, runner.Options{Concurrency: 2, Log: shared.log})
		if shared.err != nil {
			shared.err = fmt.Errorf("%w (log in %s)", shared.err, p)
		}
	})
	if shared.err != nil {
		t.Fatalf("start local stack: %v", shared.err)
	}
	if env == nil {
		return shared.stack.URL, shared.stack.AgentToken
	}
	st, err := start(t, runner.Options{Emulators: shared.stack.Emulators, Concurrency: 2, ExtraEnv: env, Log: shared.log})
	if err != nil {
		t.Fatalf("start local stack with %v: %v", env, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close local stack: %v", err)
		}
	})
	return st.URL, st.AgentToken
}

func start(t *testing.T, o runner.Options) (*runner.Stack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	began := time.Now()
	st, err := runner.Start(ctx, o)
	if err != nil {
		return nil, err
	}
	t.Logf("local stack up at %s in %s (%s)", st.URL, time.Since(began).Round(time.Millisecond), strings.TrimSpace(fmt.Sprint(o.ExtraEnv)))
	return st, nil
}
