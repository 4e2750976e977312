package eventsource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/local/await"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventsource"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// function answers each batch, failing the messages whose key fail names; it counts what it was handed, in all
// and per key. work, when set, runs before the batch is answered (to make a batch take long).
type function struct {
	fail    func(key string) bool
	work    func(batch int64)
	handed  atomic.Int64
	batches atomic.Int64

	mu    sync.Mutex
	byKey map[string]int
}

func (f *function) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	batch := f.batches.Add(1)
	f.handed.Add(int64(len(ev.Records)))
	f.mu.Lock()
	if f.byKey == nil {
		f.byKey = map[string]int{}
	}
	for _, r := range ev.Records {
		f.byKey[*r.MessageAttributes["key"].StringValue]++
	}
	f.mu.Unlock()
	if f.work != nil {
		f.work(batch)
	}
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		if f.fail != nil && f.fail(*r.MessageAttributes["key"].StringValue) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return json.Marshal(resp)
}

func send(t *testing.T, sq *sqs.Client, url string, n int) {
	t.Helper()
	for i := range n {
		_, err := sq.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(fmt.Sprintf(`{"n":%d}`, i)),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"key": {DataType: aws.String("String"), StringValue: aws.String(fmt.Sprintf("k%02d", i))}}})
		if err != nil {
			t.Fatalf("send message %d: %v", i, err)
		}
	}
}

func depth(t *testing.T, sq *sqs.Client, url string) (visible, inFlight string) {
	t.Helper()
	out, err := sq.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatalf("read queue depth: %v", err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)], out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]
}

func TestHoldKeepsMessagesOnTheQueueUntilRelease(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		fail    func(key string) bool
		settled int
	}{
		{"all processed", 25, nil, 25},
		{"failures are not settled", 25, func(k string) bool { return k == "k03" || k == "k17" }, 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := runner.Provisioned(t)
			fn := &function{fail: tt.fail}
			m := &eventsource.Mapping{SQS: fx.SQS, QueueURL: fx.QueueURL, QueueARN: fx.QueueARN, Function: fn, BatchSize: 10,
				Concurrency: 3, Wait: 200 * time.Millisecond, KeyAttribute: "key"}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { m.Run(ctx) })
			t.Cleanup(func() { cancel(); wg.Wait() })

			m.Hold() // returns with no poller receiving
			if !m.Held() {
				t.Fatalf("held = false after Hold")
			}
			send(t, fx.SQS, fx.QueueURL, tt.n)
			// Nothing can be awaited to show that nothing happens: give the pollers several long polls' time.
			time.Sleep(600 * time.Millisecond)
			if got := fn.handed.Load(); got != 0 {
				t.Fatalf("while held the function was handed %d messages, want 0", got)
			}
			if vis, _ := depth(t, fx.SQS, fx.QueueURL); vis != fmt.Sprint(tt.n) {
				t.Fatalf("visible while held = %s, want %d", vis, tt.n)
			}

			released := m.Release()
			if m.Held() {
				t.Fatalf("held = true after Release")
			}
			await.Until(t, 30*time.Second, "every message handed to the function", func() bool { return fn.handed.Load() >= int64(tt.n) })
			await.Until(t, 30*time.Second, "settled messages deleted", func() bool { return len(m.Settled()) == tt.settled })
			settled := m.Settled()
			for k, at := range settled {
				if at.Before(released) {
					t.Errorf("%s settled at %s, before the release at %s", k, at, released)
				}
				if tt.fail != nil && tt.fail(k) {
					t.Errorf("%s failed in the function but was recorded as settled", k)
				}
			}
			if got, want := m.Stats().Deleted, int64(tt.settled); got != want {
				t.Fatalf("deleted = %d, want %d", got, want)
			}
			// A second hold and release starts a new record.
			m.Hold()
			m.Release()
			if got := len(m.Settled()); got != 0 {
				t.Fatalf("settled after a new release = %d, want 0", got)
			}
		})
	}
}

func TestNothingRecordedBeforeTheFirstRelease(t *testing.T) {
	fx := runner.Provisioned(t)
	fn := &function{}
	m := &eventsource.Mapping{SQS: fx.SQS, QueueURL: fx.QueueURL, QueueARN: fx.QueueARN, Function: fn, BatchSize: 10,
		Concurrency: 2, Wait: 200 * time.Millisecond, KeyAttribute: "key"}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { m.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	send(t, fx.SQS, fx.QueueURL, 5)
	await.Until(t, 30*time.Second, "five messages deleted", func() bool { return m.Stats().Deleted == 5 })
	if got := len(m.Settled()); got != 0 {
		t.Fatalf("settled before any release = %d, want 0: a stack that is never measured must not keep a record", got)
	}
}

// times returns how often each key was handed to the function.
func (f *function) times() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.byKey))
	for k, v := range f.byKey {
		out[k] = v
	}
	return out
}

// run starts m until the test ends.
func run(t *testing.T, m *eventsource.Mapping) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { m.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// breakingHTTP breaks off the answer of the first receive that carries messages, after a few hundred bytes and
// with the error the local stack's log showed ("use of closed network connection"): fauxqs has handed the
// messages out, the SDK never sees them and retries the receive, and the retry gets other messages.
type breakingHTTP struct {
	next  sqs.HTTPClient
	broke atomic.Bool
}

func (c *breakingHTTP) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(r)
	if err != nil || r.Header.Get("X-Amz-Target") != "AmazonSQS.ReceiveMessage" || resp.ContentLength < 64 || !c.broke.CompareAndSwap(false, true) {
		return resp, err // an empty receive answers {}
	}
	resp.Body = &brokenBody{ReadCloser: resp.Body, left: 256}
	return resp, nil
}

type brokenBody struct {
	io.ReadCloser
	left int
}

func (b *brokenBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	}
	n, err := b.ReadCloser.Read(p[:min(len(p), b.left)])
	b.left -= n
	return n, err
}

// A receive whose answer is lost after fauxqs handed its messages out must not hide them for the queue's whole
// visibility timeout (3 minutes as deployed): with a claim of a second they are delivered again a second later.
func TestALostReceiveAnswerStrandsItsMessagesOnlyForTheClaim(t *testing.T) {
	fx := runner.Provisioned(t)
	if got, want := topology.Intake.VisibilityTimeout, 3*time.Minute; got != want {
		t.Fatalf("the intake queue's visibility timeout is %s; this test assumes %s, far past its deadline", got, want)
	}
	breaking := &breakingHTTP{}
	sq := sdkconfig.SQS(fx.Config, func(o *sqs.Options) {
		breaking.next = o.HTTPClient
		o.HTTPClient = breaking
	})
	fn := &function{}
	m := &eventsource.Mapping{SQS: sq, QueueURL: fx.QueueURL, QueueARN: fx.QueueARN, Function: fn, BatchSize: 10,
		Concurrency: 2, Wait: 200 * time.Millisecond, KeyAttribute: "key",
		Visibility: topology.Intake.VisibilityTimeout, Claim: time.Second}
	m.Hold()
	send(t, fx.SQS, fx.QueueURL, 30)
	run(t, m)
	m.Release()

	await.Until(t, 30*time.Second, "all 30 messages processed and deleted", func() bool { return m.Stats().Deleted == 30 })
	if !breaking.broke.Load() {
		t.Fatalf("no receive answer was broken off: the test did not test anything")
	}
	for k, n := range fn.times() {
		if n != 1 {
			t.Errorf("%s handed to the function %d times, want once (only the lost answer's messages come back, and they were never handed)", k, n)
		}
	}
	if got := len(fn.times()); got != 30 {
		t.Errorf("handed %d distinct messages, want 30", got)
	}
}

// Once received intact, messages stay hidden for the whole visibility timeout as with Lambda, not for the claim:
// a batch that works past its claim is not delivered twice, and a message the function fails waits out the
// visibility timeout.
func TestReceivedMessagesStayHiddenPastTheClaim(t *testing.T) {
	fx := runner.Provisioned(t)
	const claim = time.Second
	fn := &function{
		fail: func(k string) bool { return k == "k03" },
		work: func(batch int64) {
			if batch == 1 {
				time.Sleep(3 * claim) // a slow batch: its claim runs out twice over while the function works
			}
		},
	}
	m := &eventsource.Mapping{SQS: fx.SQS, QueueURL: fx.QueueURL, QueueARN: fx.QueueARN, Function: fn, BatchSize: 10,
		Concurrency: 2, Wait: 200 * time.Millisecond, KeyAttribute: "key",
		Visibility: topology.Intake.VisibilityTimeout, Claim: claim}
	m.Hold()
	send(t, fx.SQS, fx.QueueURL, 25)
	run(t, m)
	m.Release()

	await.Until(t, 30*time.Second, "24 messages processed and deleted", func() bool { return m.Stats().Deleted == 24 })
	// Nothing can be awaited to show that nothing comes back: give expired claims time to show.
	time.Sleep(3 * claim)
	for k, n := range fn.times() {
		if n != 1 {
			t.Errorf("%s handed to the function %d times, want once", k, n)
		}
	}
	if got, want := fn.handed.Load(), int64(25); got != want {
		t.Errorf("handed %d messages, want %d", got, want)
	}
	if vis, inFlight := depth(t, fx.SQS, fx.QueueURL); vis != "0" || inFlight != "1" {
		t.Errorf("queue holds %s visible and %s in flight, want the failed message alone, in flight", vis, inFlight)
	}
	if got := m.Stats().Unextended; got != 0 {
		t.Errorf("unextended = %d, want 0", got)
	}
}
