// Package faults puts a fault-injecting loopback proxy in front of an AWS emulator, so tests and the soak can see
// what the system does when DynamoDB throttles, SQS fails and calls time out.
package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Service is the AWS API behind the proxy; it decides how injected errors are spelled.
type Service string

// Services the proxy speaks (both JSON protocols, as aws-sdk-go-v2 uses them).
const (
	DynamoDB Service = "dynamodb"
	SQS      Service = "sqs"
)

// Kind is one kind of injected fault.
type Kind string

// Fault kinds.
const (
	// Throttle answers HTTP 400 with the service's throttling error; the SDK retries it with backoff.
	Throttle Kind = "throttle"
	// ServerError answers HTTP 500 InternalServerError (DynamoDB) or InternalError (SQS).
	ServerError Kind = "server-error"
	// Unavailable answers HTTP 503.
	Unavailable Kind = "unavailable"
	// Timeout holds the call without forwarding it until Delay passes or the client gives up: the emulator never sees it.
	Timeout Kind = "timeout"
	// Late forwards the call, then holds the answer until Delay passes or the client gives up: the emulator did
	// the work but the client cannot know it (the nastiest case for exactly-once bookkeeping).
	Late Kind = "late"
)

// Kinds lists every fault kind.
var Kinds = []Kind{Throttle, ServerError, Unavailable, Timeout, Late}

// Options configures Start.
type Options struct {
	// Target is the emulator's endpoint, http://127.0.0.1:PORT.
	Target  string
	Service Service
	// Rate is the fraction of calls that fail, from 0 to 1.
	Rate float64
	// Kinds are the faults to inject, picked evenly; Throttle, ServerError and Unavailable when empty.
	Kinds []Kind
	// Delay is how long Timeout and Late hold a call; 6 s (past the SDK's 5 s per-attempt timeout) when zero.
	Delay time.Duration
	// Operations limits faults to these API operations (the X-Amz-Target suffix, such as "TransactWriteItems" or
	// "SendMessage"); every operation when empty.
	Operations []string
	// KeyPrefix, when set, limits DynamoDB faults to calls that name an item whose key starts with it (such as
	// "C#", the contacts, to slow the responder's settles but not the intake's shopper notes).
	KeyPrefix string
	// Seed makes the sequence of decisions repeatable: call n gets the same decision for the same seed.
	Seed uint64
}

// Proxy is a running fault-injecting proxy on 127.0.0.1.
type Proxy struct {
	// URL is the endpoint to give clients instead of the target's.
	URL string

	o      Options
	rate   atomic.Uint64 // math.Float64bits of the rate
	calls  atomic.Uint64
	counts map[Kind]*atomic.Int64
	hot    hotKeys
	srv    *http.Server
	client *http.Client
	// holding is closed by Close to release held calls.
	holding   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// DefaultDelay holds a call past sdkconfig.CallTimeout.
const DefaultDelay = 6 * time.Second

// Start listens on 127.0.0.1:0 and forwards to o.Target, failing o.Rate of the calls.
func Start(o Options) (*Proxy, error) {
	if o.Service != DynamoDB && o.Service != SQS {
		return nil, fmt.Errorf("start fault proxy for %q: service must be %s or %s", o.Service, DynamoDB, SQS)
	}
	if o.Rate < 0 || o.Rate > 1 {
		return nil, fmt.Errorf("start fault proxy for %s: rate %g is not between 0 and 1", o.Service, o.Rate)
	}
	if len(o.Kinds) == 0 {
		o.Kinds = []Kind{Throttle, ServerError, Unavailable}
	}
	for _, k := range o.Kinds {
		if !slices.Contains(Kinds, k) {
			return nil, fmt.Errorf("start fault proxy for %s: unknown fault kind %q", o.Service, k)
		}
	}
	if o.Delay == 0 {
		o.Delay = DefaultDelay
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start fault proxy for %s: %w", o.Service, err)
	}
	p := &Proxy{
		URL: "http://" + ln.Addr().String(), o: o, counts: map[Kind]*atomic.Int64{}, holding: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{
			Proxy: nil, MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 90 * time.Second,
			DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		}},
	}
	for _, k := range append(Kinds, hotKind) {
		p.counts[k] = new(atomic.Int64)
	}
	p.SetRate(o.Rate)
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Go(func() { _ = p.srv.Serve(ln) })
	return p, nil
}

// SetRate changes the fraction of calls that fail from now on.
func (p *Proxy) SetRate(r float64) { p.rate.Store(uint64(r * (1 << 53))) }

func (p *Proxy) currentRate() float64 { return float64(p.rate.Load()) / (1 << 53) }

// Calls is how many calls reached the proxy.
func (p *Proxy) Calls() uint64 { return p.calls.Load() }

// Counts returns how many faults of each kind were injected.
func (p *Proxy) Counts() map[Kind]int64 {
	out := make(map[Kind]int64, len(p.counts))
	for k, n := range p.counts {
		if v := n.Load(); v > 0 {
			out[k] = v
		}
	}
	return out
}

// Injected is the total of Counts.
func (p *Proxy) Injected() int64 {
	var n int64
	for _, v := range p.Counts() {
		n += v
	}
	return n
}

// Close stops the proxy, releasing held calls.
func (p *Proxy) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.holding)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = p.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = p.srv.Close()
		}
		p.client.CloseIdleConnections()
	})
	p.wg.Wait()
	if err != nil {
		return fmt.Errorf("close fault proxy for %s: %w", p.o.Service, err)
	}
	return nil
}

// decide returns the fault for call n, or "" to forward it untouched. It depends only on the seed, n and the rate.
func (p *Proxy) decide(n uint64, operation string) Kind {
	if len(p.o.Operations) > 0 && !slices.Contains(p.o.Operations, operation) {
		return ""
	}
	x := splitmix64(p.o.Seed ^ (n * 0x9e3779b97f4a7c15))
	if float64(x>>11)/(1<<53) >= p.currentRate() {
		return ""
	}
	return p.o.Kinds[splitmix64(x)%uint64(len(p.o.Kinds))]
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// operation reads the API operation from the JSON protocol's X-Amz-Target header ("DynamoDB_20120810.PutItem").
func operation(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		return t[i+1:]
	}
	return t
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := p.calls.Add(1) - 1
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read request body", http.StatusBadRequest)
		return
	}
	if p.hotWrite(w, operation(r), body) {
		return
	}
	kind := p.decide(n, operation(r))
	if kind != "" && p.o.KeyPrefix != "" && !touchesPrefix(body, p.o.KeyPrefix) {
		kind = ""
	}
	if kind != "" {
		p.counts[kind].Add(1)
	}
	switch kind {
	case Throttle, ServerError, Unavailable:
		p.writeFault(w, kind)
		return
	case Timeout:
		p.hold(r.Context())
		p.writeFault(w, Unavailable) // only seen by a client more patient than Delay
		return
	}
	// Late calls still reach the emulator when the client has given up, as a real service would finish them.
	ctx := r.Context()
	if kind == Late {
		ctx = context.WithoutCancel(ctx)
	}
	resp, err := p.forward(ctx, r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if kind == Late {
		p.hold(r.Context())
	}
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

type upstreamResponse struct {
	status int
	header http.Header
	body   []byte
}

func (p *Proxy) forward(ctx context.Context, r *http.Request, body []byte) (upstreamResponse, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, p.o.Target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return upstreamResponse{}, fmt.Errorf("forward to %s: %w", p.o.Target, err)
	}
	req.Header = r.Header.Clone()
	req.Host = r.Host // the signature covers the host the client used
	resp, err := p.client.Do(req)
	if err != nil {
		return upstreamResponse{}, fmt.Errorf("forward to %s: %w", p.o.Target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return upstreamResponse{}, fmt.Errorf("read answer of %s: %w", p.o.Target, err)
	}
	return upstreamResponse{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// hold waits for Delay, the client to give up, or Close.
func (p *Proxy) hold(client context.Context) {
	t := time.NewTimer(p.o.Delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-client.Done():
	case <-p.holding:
	}
}

// writeFault answers as the service does when it throttles or fails.
func (p *Proxy) writeFault(w http.ResponseWriter, kind Kind) {
	status, typ, msg := faultBody(p.o.Service, kind)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if p.o.Service == SQS {
		// SQS is query-compatible: the SDK takes the error code from this header when present.
		w.Header().Set("X-Amzn-Query-Error", typ+";"+map[bool]string{true: "Sender", false: "Receiver"}[status < 500])
	}
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("fault-%d", p.calls.Load()))
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typePrefix(p.o.Service)+typ, msg)
}

func typePrefix(s Service) string {
	if s == DynamoDB {
		return "com.amazonaws.dynamodb.v20120810#"
	}
	return "com.amazonaws.sqs#"
}

// faultBody is the status, error code and message the service answers a fault with.
func faultBody(s Service, kind Kind) (int, string, string) {
	switch {
	case kind == Throttle && s == DynamoDB:
		return http.StatusBadRequest, "ThrottlingException", "Rate exceeded"
	case kind == Throttle:
		return http.StatusBadRequest, "RequestThrottled", "Rate exceeded"
	case kind == ServerError && s == DynamoDB:
		return http.StatusInternalServerError, "InternalServerError", "Internal server error"
	case kind == ServerError:
		return http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."
	case s == DynamoDB:
		return http.StatusServiceUnavailable, "InternalServerError", "Service unavailable"
	default:
		return http.StatusServiceUnavailable, "ServiceUnavailable", "Service unavailable"
	}
}
