package eventsource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventsource"
	"breakwater/shared/local/runner"

	"breakwater/shared/local/await"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// function answers each batch, failing the messages whose key fail names; it counts what it was handed.
type function struct {
	fail    func(key string) bool
	handed  atomic.Int64
	batches atomic.Int64
}

func (f *function) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	f.batches.Add(1)
	f.handed.Add(int64(len(ev.Records)))
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
