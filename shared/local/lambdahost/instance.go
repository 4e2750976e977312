package lambdahost

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"breakwater/shared/local/proclog"
)

// Errors an invocation can end with besides the function's own *FunctionError.
var (
	// ErrCrashed means the function process exited while it was starting or serving an invocation.
	ErrCrashed = errors.New("function process exited")
	// ErrTimeout means the invocation ran past the function's timeout; the process was killed, as Lambda does.
	ErrTimeout = errors.New("function timed out")
	// ErrClosed means the instance or pool was closed.
	ErrClosed = errors.New("execution environment closed")
	// ErrRequestTooLarge means the payload exceeds Lambda's synchronous invocation limit, MaxPayload.
	ErrRequestTooLarge = errors.New("request payload too large")
)

// MaxPayload is Lambda's limit on a synchronous invocation's request and response payloads (6 MB).
const MaxPayload = 6 << 20

// DefaultTimeout is Lambda's default function timeout, used when Function.Timeout is zero.
const DefaultTimeout = 3 * time.Second

// DefaultInitTimeout is Lambda's limit on the init phase (process start until the first /next call), used when Function.InitTimeout is zero.
const DefaultInitTimeout = 10 * time.Second

// Region is the AWS_REGION a function gets unless Function.Env sets one.
const Region = "us-east-1"

// FunctionError is an error the function reported through the Runtime API (a returned error, a recovered panic or a failed init).
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("%s: %s", e.Type, e.Message)
}

// Function is one Lambda function as the host runs it.
type Function struct {
	Name    string
	Path    string        // the compiled binary (bootstrap)
	Env     []string      // KEY=VALUE, added to the Lambda-provided variables and winning over them
	Timeout time.Duration // DefaultTimeout when zero
	// InitTimeout bounds process start until the first /next call; DefaultInitTimeout when zero.
	InitTimeout time.Duration
	MemoryMB    int // reported in AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 128 when zero
	// Log receives the process's stdout and stderr from another goroutine until Close returns; discarded when nil.
	Log io.Writer
}

// Instance is one execution environment: a Runtime API endpoint and the function process polling it.
// It serves one invocation at a time.
type Instance struct {
	fn      Function
	ln      net.Listener
	srv     *http.Server
	cmd     *exec.Cmd
	tail    *proclog.Tail
	started time.Time

	pending chan *invocation // handed to the runtime by /next
	busy    chan struct{}    // holds a token while an invocation runs
	ready   chan struct{}    // closed at the first /next call
	exited  chan struct{}    // closed when the process has exited
	closing chan struct{}    // closed by Close
	waitErr error            // the process's exit status, set before exited is closed

	coldStart  atomic.Int64 // nanoseconds from process start to the first /next call
	readyOnce  sync.Once
	closeOnce  sync.Once
	timedOut   atomic.Bool
	mu         sync.Mutex
	current    *invocation
	initFailed *FunctionError
}

type invocation struct {
	id      string
	payload []byte
	picked  chan time.Time // the deadline, sent when the runtime takes the invocation
	done    chan result
}

type result struct {
	body []byte
	err  error
}

// Start starts one execution environment for fn and returns once the function has finished its init phase (its first /next call).
func Start(ctx context.Context, fn Function) (*Instance, error) {
	path, err := filepath.Abs(fn.Path)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", fn.Name, err)
	}
	fn.Path = path
	if fn.Timeout == 0 {
		fn.Timeout = DefaultTimeout
	}
	if fn.InitTimeout == 0 {
		fn.InitTimeout = DefaultInitTimeout
	}
	if fn.MemoryMB == 0 {
		fn.MemoryMB = 128
	}
	if fn.Log == nil {
		fn.Log = io.Discard
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start %s: listen for the runtime API: %w", fn.Name, err)
	}
	i := &Instance{
		fn:      fn,
		ln:      ln,
		tail:    proclog.NewTail(30),
		pending: make(chan *invocation),
		busy:    make(chan struct{}, 1),
		ready:   make(chan struct{}),
		exited:  make(chan struct{}),
		closing: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", i.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", i.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", i.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", i.initError)
	i.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	// The process starts before Serve (its first calls wait in the listen backlog), so the handlers see cmd and started set.
	i.cmd = exec.Command(fn.Path)
	i.cmd.Dir = filepath.Dir(fn.Path) // like /var/task, where Lambda puts the bootstrap
	i.cmd.Env = append(lambdaEnv(fn, ln.Addr().String()), fn.Env...)
	out := io.MultiWriter(i.tail, proclog.IgnoreErrors{W: fn.Log})
	i.cmd.Stdout, i.cmd.Stderr = out, out
	i.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	i.cmd.WaitDelay = time.Second
	i.started = time.Now()
	if err := i.cmd.Start(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("start %s (%s): %w", fn.Name, fn.Path, err)
	}
	go i.srv.Serve(ln)
	go func() {
		i.waitErr = i.cmd.Wait()
		close(i.exited)
	}()

	timer := time.NewTimer(fn.InitTimeout)
	defer timer.Stop()
	select {
	case <-i.ready:
		return i, nil
	case <-i.exited:
		err = i.crashed("during init")
		i.mu.Lock()
		if i.initFailed != nil {
			err = fmt.Errorf("%s init failed: %w", fn.Name, i.initFailed)
		}
		i.mu.Unlock()
	case <-timer.C:
		err = fmt.Errorf("start %s: no /next call within %s of process start: %w", fn.Name, fn.InitTimeout, ErrTimeout)
	case <-ctx.Done():
		err = fmt.Errorf("start %s: %w", fn.Name, ctx.Err())
	}
	return nil, errors.Join(err, i.Close())
}

// lambdaEnv is the environment Lambda gives a function on provided.al2023; nothing is inherited from this process, so no local AWS credentials leak in.
func lambdaEnv(fn Function, api string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"AWS_LAMBDA_FUNCTION_NAME=" + fn.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + fn.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local/" + newID(),
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"LAMBDA_TASK_ROOT=" + filepath.Dir(fn.Path),
	}
}

// ColdStart is how long the function took from process start to its first /next call.
func (i *Instance) ColdStart() time.Duration {
	return time.Duration(i.coldStart.Load())
}

// Alive reports whether the process is still running.
func (i *Instance) Alive() bool {
	select {
	case <-i.exited:
		return false
	default:
		return true
	}
}

// Serving reports whether the function has taken an invocation (through /next) and not answered it yet: a crash simulation kills it then.
func (i *Instance) Serving() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.current != nil && i.Alive()
}

// Pid is the function process's id.
func (i *Instance) Pid() int {
	return i.cmd.Process.Pid
}

// Invoke sends payload to the function and returns its response; errors are a *FunctionError, ErrCrashed, ErrTimeout, ErrClosed or ctx's error.
// A timed-out or cancelled invocation kills the process; the instance is then dead, as after a crash.
func (i *Instance) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case i.busy <- struct{}{}:
		defer func() { <-i.busy }()
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: wait for a free environment: %w", i.fn.Name, ctx.Err())
	}
	select {
	case <-i.closing:
		return nil, fmt.Errorf("invoke %s: %w", i.fn.Name, ErrClosed)
	default:
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("invoke %s: %d bytes: %w (limit %d)", i.fn.Name, len(payload), ErrRequestTooLarge, MaxPayload)
	}
	inv := &invocation{id: newID(), payload: payload, picked: make(chan time.Time, 1), done: make(chan result, 1)}
	if !i.Alive() { // checked first: a /next handler may still be waiting for the dead process
		return nil, i.deadErr(inv.id)
	}
	select {
	case i.pending <- inv:
	case <-i.exited:
		return nil, i.deadErr(inv.id)
	case <-i.closing:
		return nil, fmt.Errorf("invoke %s: %w", i.fn.Name, ErrClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: %w", i.fn.Name, ctx.Err())
	}
	deadline := <-inv.picked // sent by /next right after it takes inv
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case res := <-inv.done:
		return res.body, res.err
	case <-i.exited:
		select {
		case res := <-inv.done: // it answered, then exited
			return res.body, res.err
		default:
			return nil, i.deadErr(inv.id)
		}
	case <-timer.C:
		i.timedOut.Store(true)
		i.Kill()
		return nil, fmt.Errorf("invoke %s request %s: %w after %s", i.fn.Name, inv.id, ErrTimeout, i.fn.Timeout)
	case <-i.closing:
		return nil, fmt.Errorf("invoke %s request %s: %w", i.fn.Name, inv.id, ErrClosed)
	case <-ctx.Done():
		i.Kill()
		return nil, fmt.Errorf("invoke %s request %s: %w", i.fn.Name, inv.id, ctx.Err())
	}
}

// deadErr explains why a dead instance cannot serve request id.
func (i *Instance) deadErr(id string) error {
	if i.timedOut.Load() {
		return fmt.Errorf("invoke %s request %s: environment was killed by an earlier timeout: %w", i.fn.Name, id, ErrTimeout)
	}
	return i.crashed("serving request " + id)
}

func (i *Instance) crashed(doing string) error {
	return fmt.Errorf("%s %s: %w (%v); last output:\n%s", i.fn.Name, doing, ErrCrashed, i.waitErr, i.tail)
}

// Kill sends SIGKILL to the function process and its children, as a crash would, and waits for the process to exit.
func (i *Instance) Kill() {
	syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
	<-i.exited
}

// Close kills the function process and stops the Runtime API endpoint; it is safe to call more than once.
func (i *Instance) Close() error {
	i.closeOnce.Do(func() {
		close(i.closing)
		if i.cmd.Process != nil {
			i.Kill()
		}
		i.srv.Close()
	})
	return nil
}

func (i *Instance) next(w http.ResponseWriter, r *http.Request) {
	i.readyOnce.Do(func() {
		i.coldStart.Store(int64(time.Since(i.started)))
		close(i.ready)
	})
	select {
	case inv := <-i.pending:
		deadline := time.Now().Add(i.fn.Timeout)
		i.mu.Lock()
		i.current = inv
		i.mu.Unlock()
		inv.picked <- deadline
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:"+Region+":000000000000:function:"+i.fn.Name)
		h.Set("Lambda-Runtime-Trace-Id", traceID())
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload)
	case <-i.closing:
		writeError(w, http.StatusGone, "ShutDown", "the execution environment is shutting down")
	case <-r.Context().Done():
	}
}

// take returns the in-flight invocation id names and clears it, or nil when id is not the one in flight.
func (i *Instance) take(id string) *invocation {
	i.mu.Lock()
	defer i.mu.Unlock()
	inv := i.current
	if inv == nil || inv.id != id {
		return nil
	}
	i.current = nil
	return inv
}

func (i *Instance) response(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "read response body: "+err.Error())
		return
	}
	inv := i.take(r.PathValue("id"))
	if inv == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in flight with id "+r.PathValue("id"))
		return
	}
	if len(body) > MaxPayload {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayload)
		inv.done <- result{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: msg}}
		writeError(w, http.StatusRequestEntityTooLarge, "Function.ResponseSizeTooLarge", msg)
		return
	}
	// A streamed response that failed half way reports the error in trailers.
	if typ := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); typ != "" {
		fe := &FunctionError{Type: typ}
		if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body")); err == nil {
			json.Unmarshal(b, fe)
		}
		inv.done <- result{err: fe}
	} else {
		inv.done <- result{body: body}
	}
	w.WriteHeader(http.StatusAccepted)
}

func (i *Instance) invocationError(w http.ResponseWriter, r *http.Request) {
	fe := readFunctionError(r)
	inv := i.take(r.PathValue("id"))
	if inv == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in flight with id "+r.PathValue("id"))
		return
	}
	inv.done <- result{err: fe}
	w.WriteHeader(http.StatusAccepted)
}

func (i *Instance) initError(w http.ResponseWriter, r *http.Request) {
	fe := readFunctionError(r)
	i.mu.Lock()
	i.initFailed = fe
	i.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	// Lambda ends an environment whose init failed.
	go i.Kill()
}

// readFunctionError reads {"errorMessage","errorType"}; the Lambda-Runtime-Function-Error-Type header fills in a missing type.
func readFunctionError(r *http.Request) *FunctionError {
	body, _ := io.ReadAll(r.Body)
	fe := &FunctionError{}
	if err := json.Unmarshal(body, fe); err != nil {
		fe.Message = string(bytes.TrimSpace(body))
	}
	if fe.Type == "" {
		fe.Type = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return fe
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(FunctionError{Type: typ, Message: msg})
}

// newID is a random UUID-shaped request id.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func traceID() string {
	var b [20]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:])
}
