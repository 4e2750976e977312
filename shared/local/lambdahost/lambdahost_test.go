package lambdahost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/shared/local/await"
)

// echoPath is the test function, built once by TestMain.
var echoPath string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lambdahost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := filepath.Abs("../../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	echoPath, err = BuildPackage(context.Background(), root, "./shared/local/lambdahost/testdata/echo", filepath.Join(dir, "echo"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func echoFunction(timeout time.Duration, env ...string) Function {
	return Function{Name: "echo", Path: echoPath, Timeout: timeout, MemoryMB: 256, Env: env}
}

func start(t testing.TB, fn Function) *Instance {
	t.Helper()
	inst, err := Start(context.Background(), fn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

func TestInvoke(t *testing.T) {
	inst := start(t, echoFunction(5*time.Second, "ECHO_EXTRA=x"))
	if inst.ColdStart() <= 0 {
		t.Errorf("ColdStart = %s, want > 0", inst.ColdStart())
	}
	t.Logf("cold start %s", inst.ColdStart())
	tests := []struct {
		name    string
		payload string
		check   func(t *testing.T, out map[string]any)
		errType string
	}{
		{name: "echo", payload: `{"action":"echo","value":{"a":1}}`, check: func(t *testing.T, out map[string]any) {
			if got, want := out["a"], 1.0; got != want {
				t.Fatalf("a = %v, want %v", got, want)
			}
		}},
		{name: "env", payload: `{"action":"env"}`, check: func(t *testing.T, out map[string]any) {
			for k, want := range map[string]any{"function": "echo", "memory": 256.0, "version": "$LATEST", "region": "us-east-1", "extra": "x", "arn": "arn:aws:lambda:us-east-1:000000000000:function:echo"} {
				if got := out[k]; got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			if id, _ := out["requestId"].(string); len(id) != 36 {
				t.Errorf("requestId = %q, want a UUID", id)
			}
			left := time.Until(time.UnixMilli(int64(out["deadline"].(float64))))
			if left <= 0 || left > 5*time.Second {
				t.Errorf("deadline in %s, want within the 5s timeout", left)
			}
		}},
		{name: "config", payload: `{"action":"config"}`, check: func(t *testing.T, out map[string]any) {
			if got, want := out["region"], "us-east-1"; got != want {
				t.Fatalf("region = %v, want %v", got, want)
			}
		}},
		{name: "error", payload: `{"action":"error","message":"no such order"}`, errType: "errorString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := inst.Invoke(context.Background(), []byte(tt.payload))
			if tt.errType != "" {
				var fe *FunctionError
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a *FunctionError", err)
				}
				if got, want := fe.Type, tt.errType; got != want {
					t.Errorf("error type = %q, want %q", got, want)
				}
				if got, want := fe.Message, "no such order"; got != want {
					t.Errorf("error message = %q, want %q", got, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var out map[string]any
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("response %q: %v", body, err)
			}
			tt.check(t, out)
		})
	}
	if !inst.Alive() {
		t.Fatal("instance died after a returned error; Lambda keeps it")
	}
}

func TestPayloadLimits(t *testing.T) {
	inst := start(t, echoFunction(5*time.Second))
	if _, err := inst.Invoke(context.Background(), make([]byte, MaxPayload+1)); !errors.Is(err, ErrRequestTooLarge) {
		t.Fatalf("oversized request: err = %v, want ErrRequestTooLarge", err)
	}
	out, err := inst.Invoke(context.Background(), []byte(`{"action":"big","bytes":1000000}`))
	if err != nil {
		t.Fatalf("1 MB response: %v", err)
	}
	if got, want := len(out), 1000002; got != want {
		t.Fatalf("response length = %d, want %d", got, want)
	}
	_, err = inst.Invoke(context.Background(), []byte(fmt.Sprintf(`{"action":"big","bytes":%d}`, MaxPayload)))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Function.ResponseSizeTooLarge" {
		t.Fatalf("oversized response: err = %v, want Function.ResponseSizeTooLarge", err)
	}
}

func TestPanicEndsEnvironment(t *testing.T) {
	inst := start(t, echoFunction(5*time.Second))
	_, err := inst.Invoke(context.Background(), []byte(`{"action":"panic","message":"boom"}`))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *FunctionError", err)
	}
	if got, want := fe.Message, "boom"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	// aws-lambda-go exits after reporting a panic: the next invocation finds the environment gone.
	if _, err := inst.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrCrashed) {
		t.Fatalf("invoke after panic: err = %v, want ErrCrashed", err)
	}
}

func TestCrashMidInvocation(t *testing.T) {
	inst := start(t, echoFunction(5*time.Second))
	_, err := inst.Invoke(context.Background(), []byte(`{"action":"exit"}`))
	if !errors.Is(err, ErrCrashed) {
		t.Fatalf("err = %v, want ErrCrashed", err)
	}
	if !strings.Contains(err.Error(), `"action":"exit"`) && !strings.Contains(err.Error(), "invoked") {
		t.Errorf("err = %v, want the function's last log lines", err)
	}
}

func TestKillMidInvocation(t *testing.T) {
	inst := start(t, echoFunction(5*time.Second))
	errc := make(chan error, 1)
	go func() {
		_, err := inst.Invoke(context.Background(), []byte(`{"action":"sleep","ms":4000}`))
		errc <- err
	}()
	await.Until(t, 30*time.Second, "the runtime took the invocation", inst.Serving)
	inst.Kill()
	if err := <-errc; !errors.Is(err, ErrCrashed) {
		t.Fatalf("err = %v, want ErrCrashed", err)
	}
}

func TestTimeoutKillsProcess(t *testing.T) {
	inst := start(t, echoFunction(200*time.Millisecond))
	begin := time.Now()
	_, err := inst.Invoke(context.Background(), []byte(`{"action":"sleep","ms":10000}`))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("timed-out invoke returned after %s, want about the 200ms timeout", took)
	}
	if inst.Alive() {
		t.Fatal("process still alive after a timeout")
	}
	if _, err := inst.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("invoke after timeout: err = %v, want ErrTimeout", err)
	}
}

func TestInitFailure(t *testing.T) {
	_, err := Start(context.Background(), echoFunction(time.Second, "ECHO_FAIL_INIT=1"))
	if !errors.Is(err, ErrCrashed) {
		t.Fatalf("err = %v, want ErrCrashed", err)
	}
	if !strings.Contains(err.Error(), "cold start failed") {
		t.Errorf("err = %v, want the function's log line", err)
	}
}

func TestInitErrorReported(t *testing.T) {
	_, err := Start(context.Background(), echoFunction(time.Second, "ECHO_INIT_ERROR=no table name"))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *FunctionError", err)
	}
	if got, want := *fe, (FunctionError{Type: "Runtime.ConfigError", Message: "no table name"}); got != want {
		t.Fatalf("init error = %+v, want %+v", got, want)
	}
}

func TestPoolUnderConcurrentLoad(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer // shared by the pool's environments: the pool must serialize their writes
	fn := echoFunction(5 * time.Second)
	fn.Log = &log
	pool, err := NewPool(ctx, fn, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })

	var mu sync.Mutex
	pids := map[float64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for n := range 60 {
		wg.Go(func() {
			body, err := pool.Invoke(ctx, []byte(`{"action":"env"}`))
			if err != nil {
				errs <- err
				return
			}
			var out map[string]any
			if err := json.Unmarshal(body, &out); err != nil {
				errs <- fmt.Errorf("invocation %d: %q: %w", n, body, err)
				return
			}
			mu.Lock()
			pids[out["pid"].(float64)] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, max := len(pids), 3; got > max || got == 0 {
		t.Errorf("served by %d processes, want 1 to %d", got, max)
	}

	// A crash costs one invocation; the next ones get a fresh environment.
	if _, err := pool.Invoke(ctx, []byte(`{"action":"exit"}`)); !errors.Is(err, ErrCrashed) {
		t.Fatalf("crash: err = %v, want ErrCrashed", err)
	}
	pool.KillAll()
	for n := range 6 {
		body, err := pool.Invoke(ctx, []byte(fmt.Sprintf(`{"action":"echo","value":%d}`, n)))
		if err != nil {
			t.Fatalf("invocation %d after crashes: %v", n, err)
		}
		if got, want := string(body), fmt.Sprint(n); got != want {
			t.Fatalf("invocation %d = %s, want %s", n, got, want)
		}
	}
	if got, want := len(pool.ColdStarts()), 6; got != want {
		t.Errorf("cold starts = %d, want %d (3 initial, 3 replacements)", got, want)
	}
	pool.Close()
	if got, want := strings.Count(log.String(), `"message":"invoked"`), 60+1+6; got != want {
		t.Errorf("log has %d invocation lines, want %d", got, want)
	}
}

func TestPoolOnInvokeKill(t *testing.T) {
	ctx := context.Background()
	pool, err := NewPool(ctx, echoFunction(5*time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	kill := true
	pool.OnInvoke = func(inst *Instance) {
		if kill {
			inst.Kill()
			kill = false
		}
	}
	if _, err := pool.Invoke(ctx, []byte(`{"action":"sleep","ms":2000}`)); !errors.Is(err, ErrCrashed) {
		t.Fatalf("err = %v, want ErrCrashed", err)
	}
	if _, err := pool.Invoke(ctx, []byte(`{}`)); err != nil {
		t.Fatalf("invoke after the kill: %v", err)
	}
}

// TestPoolInvokeWithKillsOnlyItsEnvironment kills the environment serving one invocation while another runs alongside.
func TestPoolInvokeWithKillsOnlyItsEnvironment(t *testing.T) {
	ctx := context.Background()
	pool, err := NewPool(ctx, echoFunction(5*time.Second), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	other := make(chan error, 1)
	go func() {
		_, err := pool.Invoke(ctx, []byte(`{"action":"sleep","ms":300}`))
		other <- err
	}()
	_, err = pool.InvokeWith(ctx, []byte(`{"action":"sleep","ms":2000}`), func(inst *Instance) {
		go func() {
			if !await.Wait(30*time.Second, inst.Serving) {
				t.Errorf("the runtime never took the invocation")
			}
			inst.Kill()
		}()
	})
	if !errors.Is(err, ErrCrashed) {
		t.Fatalf("killed invocation: err = %v, want ErrCrashed", err)
	}
	if err := <-other; err != nil {
		t.Fatalf("the other invocation: %v", err)
	}
}

func TestPoolClosed(t *testing.T) {
	ctx := context.Background()
	pool, err := NewPool(ctx, echoFunction(time.Second), 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Invoke(ctx, []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Fatalf("invoke after Close: err = %v, want ErrClosed", err)
	}
}

// TestConcurrentBuilds builds the same function into the same path at once, as two test binaries may.
func TestConcurrentBuilds(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "echo")
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for n := range errs {
		wg.Go(func() {
			_, errs[n] = BuildPackage(context.Background(), root, "./shared/local/lambdahost/testdata/echo", out)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	fn := echoFunction(time.Second)
	fn.Path = out
	inst := start(t, fn)
	if _, err := inst.Invoke(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkInvokeWarm(b *testing.B) {
	inst := start(b, echoFunction(5*time.Second))
	payload := []byte(`{"action":"echo","value":{"id":"c-1","text":"where is my parcel"}}`)
	for b.Loop() {
		if _, err := inst.Invoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
	// After the loop: b.Loop's timer reset clears metrics reported before it.
	b.ReportMetric(float64(inst.ColdStart().Microseconds()), "cold-start-µs")
}

func BenchmarkColdStart(b *testing.B) {
	for b.Loop() {
		inst, err := Start(context.Background(), echoFunction(time.Second))
		if err != nil {
			b.Fatal(err)
		}
		inst.Close()
	}
}
