package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/logging"

	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/catalog/builtin"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventsource"
	"breakwater/shared/local/lambdahost"
	"breakwater/shared/priority"
	"breakwater/shared/storefront"
	"breakwater/shared/topology"
)

// invoker runs a function with one event.
type invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Options configures Start. The zero value runs the stack as the CDK stack declares it, on a free port.
type Options struct {
	Root string // repo root; found from the working directory when empty
	Addr string // HTTP listen address; 127.0.0.1:0 when empty
	// AgentToken seeds the demo agents' bearer tokens (<seed>.<name>); random when empty.
	AgentToken string
	// Emulators to use; Start starts its own (and Close stops them) when nil.
	Emulators *emulators.Emulators
	// Prefix names the tables and queues; Start picks a unique one when empty, so stacks can share emulators.
	Prefix string
	// Concurrency caps concurrent responder batches (MaximumConcurrency); topology's value when zero, capped at 16 locally.
	Concurrency int
	// Visibility overrides the intake queue's visibility timeout (tests use seconds, not minutes, to see redelivery).
	Visibility time.Duration
	// TemplateRefresh is how often the responder checks the catalog version; 30 s when zero.
	TemplateRefresh time.Duration
	// KillResponderEvery kills the responder process serving the batch that brings the count of messages
	// handed to it past each multiple of this number, mid-invocation (crash simulation). Zero never kills.
	KillResponderEvery int
	// ResponderTimeout overrides the function timeout (tests simulate Lambda timeouts with it).
	ResponderTimeout time.Duration
	// ExtraEnv is added to every function's environment (for example fault-injection endpoints).
	ExtraEnv map[string]string
	// IntakeInstances is how many intake environments serve the HTTP API at once; 4 when zero. Lambda scales out
	// under load; a soak whose calls are held by injected timeouts needs more than the default.
	IntakeInstances int
	// MetricsEvery is how often the metrics function runs; topology.MetricsSchedule when zero, never when negative.
	MetricsEvery time.Duration
	// VoiceEvery is how often the voice function runs (a few minutes past the hour, as deployed); never when
	// negative. scripts/voice runs the same code on demand.
	VoiceEvery time.Duration
	// VoicePublishEvery is how often the voice function publishes the templates agents approved (a publish
	// event, as the deployed schedule sends); topology.VoicePublishSchedule when zero, never when negative.
	VoicePublishEvery time.Duration
	Log               io.Writer // function and emulator output; discarded when nil
}

// Stack is a running local Breakwater.
type Stack struct {
	URL string
	// Agents are the demo agents (two merchants' and the platform's); AgentToken is the first one's (m1's
	// bilingual agent), for tools that act as one agent.
	Agents     []DemoAgent
	AgentToken string
	// Keys are the demo merchants' storefront signing keys (random at every start), which the intake function
	// verifies shoppers' identities with and POST /_local/sign signs them with.
	Keys      storefront.StaticKeys
	Env       map[string]string // the functions' environment
	Resources Resources
	Emulators *emulators.Emulators
	Mapping   *eventsource.Mapping
	// Sockets is the WebSocket API (push): ws://<URL's host>/push, and its management API.
	Sockets *Sockets

	pools    map[string]*lambdahost.Pool
	sqs      *sqs.Client // built once: building a client loads the CA bundle, far dearer than a call
	stops    []func() error
	kills    atomic.Int64
	closeErr error
	once     sync.Once
}

// Kills is how many responder processes the crash simulation has killed.
func (s *Stack) Kills() int64 { return s.kills.Load() }

var prefixSeq atomic.Int64

// Start brings up the whole system and returns once the HTTP API answers.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.Root == "" {
		if o.Root, err = emulators.RepoRoot(); err != nil {
			return nil, fmt.Errorf("start local stack: %w", err)
		}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Prefix == "" {
		o.Prefix = fmt.Sprintf("breakwater-%d-%d-", os.Getpid(), prefixSeq.Add(1))
	}
	if o.Concurrency == 0 {
		o.Concurrency = min(topology.IntakeSource.MaxConcurrency, 16)
	}
	if o.TemplateRefresh == 0 {
		o.TemplateRefresh = 30 * time.Second
	}
	if o.MetricsEvery == 0 {
		o.MetricsEvery = topology.MetricsSchedule
	}
	s := &Stack{Agents: demoAgents(o.AgentToken), pools: map[string]*lambdahost.Pool{}}
	s.AgentToken = s.Agents[0].Token
	s.Keys = demoKeys(s.Agents)
	if o.VoiceEvery == 0 {
		o.VoiceEvery = topology.VoiceSchedule
	}
	if o.VoicePublishEvery == 0 {
		o.VoicePublishEvery = topology.VoicePublishSchedule
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stops = append(s.stops, func() error { cancel(); return nil })

	if s.Emulators = o.Emulators; s.Emulators == nil {
		if s.Emulators, err = emulators.Start(ctx, emulators.Options{Root: o.Root, Log: o.Log}); err != nil {
			return nil, err
		}
		s.stops = append(s.stops, s.Emulators.Close)
	}
	cfg, err := s.Emulators.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("start local stack: %w", err)
	}
	// The SDK retries some failed calls silently; a retried receive strands the messages its lost answer held for
	// the event source's claim (seconds), so the stack's own SQS calls log their retries. Their request bodies go
	// from memory, or fauxqs's quick answers break off (see memoryBodies).
	log := slog.New(slog.NewTextHandler(o.Log, nil))
	db, sq := sdkconfig.DynamoDB(cfg, emulators.DynamoOptions), sdkconfig.SQS(cfg, func(so *sqs.Options) {
		so.ClientLogMode, so.Logger = aws.LogRetries, logging.NewStandardLogger(o.Log)
	}, sendBodiesFromMemory, logSQSFailures(log))
	s.sqs = sq
	if s.Resources, err = Provision(ctx, db, sq, o.Prefix, o.Visibility); err != nil {
		return nil, fmt.Errorf("start local stack: %w", err)
	}

	s.Env = s.Emulators.EnvMap()
	s.Env[topology.Contacts.EnvVar] = s.Resources.Tables[topology.Contacts.ID]
	s.Env[topology.Catalog.EnvVar] = s.Resources.Tables[topology.Catalog.ID]
	s.Env[topology.Messages.EnvVar] = s.Resources.Tables[topology.Messages.ID]
	s.Env[topology.Intake.EnvVar] = s.Resources.QueueURL
	s.Env[topology.EnvAgentAuth] = "token"
	if s.Env[topology.EnvAgents], err = agentsEnv(s.Agents); err != nil {
		return nil, err
	}
	if s.Env[topology.EnvStorefrontKeys], err = keysEnv(s.Keys); err != nil {
		return nil, err
	}
	s.Env[topology.EnvTemplateTTL] = o.TemplateRefresh.String()
	// The settings the stack takes from context, at their defaults; the JWT sign-in's variables have no local use.
	s.Env[topology.EnvRetentionDays] = strconv.Itoa(topology.DefaultRetentionDays)
	s.Env[topology.EnvLeaseSeconds] = strconv.Itoa(topology.DefaultLeaseSeconds)
	s.Env[topology.EnvAverageHandleSeconds] = strconv.Itoa(topology.DefaultAverageHandleSeconds)
	s.Env[topology.Voice.EnvVar] = s.Resources.Tables[topology.Voice.ID]
	// No SNS, SES or the internet here: owners' messages go to the voice table's outbox.
	s.Env[topology.EnvVoiceNotify] = "outbox"
	s.Env[topology.EnvVoiceTopic] = LocalVoiceTopic
	s.Env[topology.EnvVoiceRetentionDays] = strconv.Itoa(topology.DefaultVoiceRetentionDays)
	// The listener comes first: the functions learn the WebSocket stage's URLs from it, as the stack's.
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("start local stack: listen on %s: %w", o.Addr, err)
	}
	served := false
	defer func() {
		if !served {
			_ = ln.Close()
		}
	}()
	s.Env[topology.EnvPushEndpoint] = "http://" + ln.Addr().String() + "/" + topology.PushStage
	s.Env[topology.EnvPushURL] = "ws://" + ln.Addr().String() + "/" + topology.PushStage
	for k, v := range o.ExtraEnv {
		s.Env[k] = v
	}
	if err := s.startFunctions(ctx, o); err != nil {
		return nil, err
	}

	visibility := o.Visibility // as CreateQueue gave the queue
	if visibility == 0 {
		visibility = topology.Intake.VisibilityTimeout
	}
	s.Mapping = &eventsource.Mapping{
		SQS: sq, QueueURL: s.Resources.QueueURL, QueueARN: s.Resources.QueueARN,
		Function: s.responder(o), BatchSize: topology.IntakeSource.BatchSize, Window: topology.IntakeSource.MaxBatchingWindow,
		Concurrency: o.Concurrency, Visibility: visibility, KeyAttribute: intakequeue.ContactIDAttribute, Log: log,
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.Mapping.Run(runCtx) })
	s.stops = append(s.stops, func() error { cancel(); wg.Wait(); return nil })
	if o.MetricsEvery > 0 {
		wg.Go(func() { s.runEvery(runCtx, o.MetricsEvery, "metrics", scheduledEvent, "metrics run failed", log) })
	}
	if o.VoiceEvery > 0 {
		wg.Go(func() { s.runVoice(runCtx, o.VoiceEvery, log) })
	}
	if o.VoicePublishEvery > 0 {
		wg.Go(func() {
			s.runEvery(runCtx, o.VoicePublishEvery, "voice", VoicePublishEvent, "voice publication failed", log)
		})
	}

	fns := map[string]invoker{}
	for name, p := range s.pools {
		fns[name] = p
	}
	ctl := &control{source: s.Mapping, depth: s.depths, sign: signer{keys: s.Keys, now: time.Now}, log: log}
	api := NewGateway(topology.Routes, fns, log)
	api.rewrite = map[string]func([]byte) []byte{"GET /": MarkShopperPage}
	s.Sockets = NewSockets(topology.WebSocketRoutes, fns, log)
	url, stop := ServeOn(runCtx, ln, withSockets(withControl(api, ctl), s.Sockets))
	served = true
	s.URL = url
	s.stops = append(s.stops, stop, s.Sockets.Close)
	return s, nil
}

// Provision makes the tables and the intake queue as the CDK stack declares them, named with prefix,
// and seeds the default templates and rules.
func Provision(ctx context.Context, db *dynamodb.Client, sq *sqs.Client, prefix string, visibility time.Duration) (Resources, error) {
	tables := map[string]string{}
	for _, t := range topology.Tables {
		name := prefix + t.ID
		if err := CreateTable(ctx, db, name, t); err != nil {
			return Resources{}, err
		}
		tables[t.ID] = name
	}
	r, err := CreateQueue(ctx, sq, prefix+"intake", topology.Intake, visibility)
	if err != nil {
		return Resources{}, err
	}
	r.Tables = tables
	return r, seed(ctx, catalog.NewWriter(dynamo.NewCatalog(db, tables[topology.Catalog.ID])))
}

func seed(ctx context.Context, cat *catalog.Writer) error {
	ts, err := pack.Default()
	if err != nil {
		return fmt.Errorf("seed templates: %w", err)
	}
	if err := cat.Seed(ctx, ts, priority.DefaultRules(), builtin.Snapshot()); err != nil {
		return fmt.Errorf("seed the catalog: %w", err)
	}
	return nil
}

func (s *Stack) startFunctions(ctx context.Context, o Options) error {
	bin := filepath.Join(o.Root, ".breakwater", "bin")
	sizes := map[string]int{"intake": max(o.IntakeInstances, 4), "agent": 2, "responder": o.Concurrency, "metrics": 1, "voice": 1, "push": 1}
	env := emulators.State{Env: s.Env}.Environ()
	var mu sync.Mutex
	errs := make([]error, len(topology.Functions))
	var wg sync.WaitGroup
	for i, f := range topology.Functions {
		wg.Go(func() {
			path, err := lambdahost.Build(ctx, o.Root, f.Name, bin)
			if err != nil {
				errs[i] = err
				return
			}
			timeout := f.Timeout
			if f.Name == "responder" && o.ResponderTimeout > 0 {
				timeout = o.ResponderTimeout
			}
			// Init gets a minute, not Lambda's 10 s: dozens of environments start at once here, on two shared cores.
			p, err := lambdahost.NewPool(ctx, lambdahost.Function{Name: f.Name, Path: path, Env: env, Timeout: timeout, InitTimeout: time.Minute, MemoryMB: f.MemoryMB, Log: o.Log}, sizes[f.Name])
			if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			s.pools[f.Name] = p
			s.stops = append(s.stops, p.Close)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("start functions: %w", err)
	}
	return nil
}

// responder is the responder pool, wrapped by the crash simulation when asked for.
func (s *Stack) responder(o Options) invoker {
	p := s.pools["responder"]
	if o.KillResponderEvery <= 0 {
		return p
	}
	var handed atomic.Int64
	return invokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		n := int64(countRecords(payload))
		after := handed.Add(n)
		every := int64(o.KillResponderEvery)
		if after/every == (after-n)/every {
			return p.Invoke(ctx, payload)
		}
		// This batch crosses a multiple: kill its process while it works on the batch, at a point that varies
		// from crash to crash. The first crash comes as soon as the process has taken the batch, so that a short
		// run is sure to see one however fast the machine answers.
		delay := time.Duration(after%7) * time.Millisecond
		if after/every == 1 {
			delay = 0
		}
		return p.InvokeWith(ctx, payload, func(inst *lambdahost.Instance) {
			go func() {
				for deadline := time.Now().Add(5 * time.Second); !inst.Serving(); time.Sleep(100 * time.Microsecond) {
					if time.Now().After(deadline) || !inst.Alive() {
						return
					}
				}
				time.Sleep(delay)
				if inst.Serving() {
					inst.Kill()
					s.kills.Add(1)
				}
			}()
		})
	})
}

type invokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f invokeFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

func countRecords(payload []byte) int {
	var ev struct {
		Records []struct{} `json:"Records"`
	}
	_ = json.Unmarshal(payload, &ev)
	return len(ev.Records)
}

// scheduledEvent is what an EventBridge schedule hands a function.
const scheduledEvent = `{"source":"aws.events","detail-type":"Scheduled Event"}`

// runEvery invokes function fn with event every so often, as a deployed schedule does, logging failed runs.
func (s *Stack) runEvery(ctx context.Context, every time.Duration, fn, event, failed string, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.pools[fn].Invoke(ctx, []byte(event)); err != nil && ctx.Err() == nil {
				log.Warn(failed, "err", err)
			}
		}
	}
}

// LocalVoiceTopic is the default owner's topic on a laptop: a name only, since messages go to the outbox.
const LocalVoiceTopic = "arn:aws:sns:us-east-1:000000000000:breakwater-local-voice"

// runVoice invokes the voice function every so often, five minutes past, as the schedule does when deployed.
func (s *Stack) runVoice(ctx context.Context, every time.Duration, log *slog.Logger) {
	for {
		now := time.Now()
		next := now.Truncate(every).Add(5 * time.Minute)
		if every < time.Hour {
			next = now.Add(every)
		}
		for !next.After(now) {
			next = next.Add(every)
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, err := s.pools["voice"].Invoke(ctx, []byte(scheduledEvent)); err != nil && ctx.Err() == nil {
			log.Warn("voice run failed", "err", err)
		}
	}
}

// VoicePublishEvent is the event of the voice function's publish schedule (events/voice/publish.json).
const VoicePublishEvent = `{"source":"breakwater.voice","detail-type":"Publish","detail":{"publish":true}}`

// Invoke runs one function of the stack with payload, through its pool.
func (s *Stack) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	p, ok := s.pools[function]
	if !ok {
		return nil, fmt.Errorf("invoke %s: no such function", function)
	}
	return p.Invoke(ctx, payload)
}

// DLQDepth counts the messages in the intake dead-letter queue (visible and in flight).
func (s *Stack) DLQDepth(ctx context.Context) (int, error) {
	d, err := s.queueDepth(ctx, s.Resources.DLQURL)
	return d.Total(), err
}

// IntakeDepth counts the messages still on the intake queue (visible and in flight).
func (s *Stack) IntakeDepth(ctx context.Context) (int, error) {
	d, err := s.queueDepth(ctx, s.Resources.QueueURL)
	return d.Total(), err
}

// depths reads the intake queue's and its dead-letter queue's depth.
func (s *Stack) depths(ctx context.Context) (intake, dead QueueDepth, err error) {
	if intake, err = s.queueDepth(ctx, s.Resources.QueueURL); err != nil {
		return intake, dead, err
	}
	dead, err = s.queueDepth(ctx, s.Resources.DLQURL)
	return intake, dead, err
}

func (s *Stack) queueDepth(ctx context.Context, url string) (QueueDepth, error) {
	out, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return QueueDepth{}, fmt.Errorf("read depth of %s: %w", url, err)
	}
	var d QueueDepth
	for a, n := range map[sqstypes.QueueAttributeName]*int{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages:           &d.Visible,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible: &d.InFlight,
	} {
		if *n, err = strconv.Atoi(out.Attributes[string(a)]); err != nil {
			return QueueDepth{}, fmt.Errorf("read depth of %s: attribute %s: %w", url, a, err)
		}
	}
	return d, nil
}

// Close stops everything Start started, newest first.
func (s *Stack) Close() error {
	s.once.Do(func() {
		var errs []error
		for i := len(s.stops) - 1; i >= 0; i-- {
			errs = append(errs, s.stops[i]())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
