package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/catalog/builtin"
	"breakwater/shared/contact"
	"breakwater/shared/triage"
)

// fixed is a decider that always has the default pack's triage, as a warm responder has.
type fixed struct{ tri *triage.Triage }

func (f fixed) Get(context.Context) (*triage.Triage, error) { return f.tri, nil }

// defaultTriage is the shipped pack's triage as a warm responder decodes it from a snapshot.
func defaultTriage(tb testing.TB) *triage.Triage {
	tb.Helper()
	tri, err := builtin.Triage()
	if err != nil {
		tb.Fatal(err)
	}
	return tri
}

// okTransport answers every DynamoDB request with an empty success, so a real *dynamodb.Client does all its
// client-side work (validation, serialization, signing, response parsing) without a network.
type okTransport struct{ requests atomic.Int64 }

func (t *okTransport) Do(r *http.Request) (*http.Response, error) {
	t.requests.Add(1)
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:    io.NopCloser(strings.NewReader("{}")),
		Request: r}, nil
}

func sdkClient(t *okTransport) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), HTTPClient: t,
		Credentials:                     credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		DisableValidateResponseChecksum: true,
	})
}

// benchMessages is a peak-hour mix as intake messages: routine questions in both locales (some needing the order
// to render), and contacts a person must take.
func benchMessages(tb testing.TB) map[string][]events.SQSMessage {
	tb.Helper()
	amount := 299.0
	order := &contact.Context{Order: &contact.Order{ID: "A100", Status: "shipped", Carrier: "SF Express",
		TrackingNumber: "SF1234567890", EstimatedDelivery: "2026-11-25", Amount: &amount, Currency: "CNY"}}
	product := &contact.Context{Product: &contact.Product{SKU: "SKU-1", Name: "Down jacket", Attributes: map[string]string{"size": "M"}}}
	seq := 0
	mk := func(locale contact.Locale, ctx *contact.Context, texts ...string) []events.SQSMessage {
		var ms []events.SQSMessage
		for _, t := range texts {
			seq++
			id := fmt.Sprintf("c_%026d", seq)
			body, err := intakequeue.Encode(contact.Contact{ID: id, Merchant: "m1",
				Shopper: contact.Shopper{ID: fmt.Sprintf("s-%d", seq), Tier: contact.Standard}, Locale: locale,
				Channel: "web", Text: t, Context: ctx, ReceivedAt: time.Date(2026, 11, 11, 0, 0, 1, 0, time.UTC),
				TokenHash: "0f35d0ae14518b96bd6d3fec3ca15801fd58c9e048b1ccdea11a71378f2acdc9"})
			if err != nil {
				tb.Fatal(err)
			}
			ms = append(ms, events.SQSMessage{MessageId: fmt.Sprintf("m-%d", seq), Body: body,
				MessageAttributes: map[string]events.SQSMessageAttribute{intakequeue.ContactIDAttribute: {StringValue: aws.String(id), DataType: "String"}}})
		}
		return ms
	}
	var routine []events.SQSMessage
	routine = append(routine, mk(contact.English, order, "where is my parcel", "when will my order arrive?",
		"can you track my package please")...)
	routine = append(routine, mk(contact.English, nil, "what is your return policy", "what payment methods do you accept",
		"how long does shipping take", "how do i use a coupon", "forgot my password", "i need an invoice for my order",
		"what are your customer service hours")...)
	routine = append(routine, mk(contact.Chinese, order, "我的快递到哪了", "订单什么时候到")...)
	routine = append(routine, mk(contact.Chinese, nil, "支持哪些付款方式？", "可以退货吗", "多久发货", "优惠券怎么用",
		"忘记密码了", "能开发票吗", "客服几点上班")...)
	routine = append(routine, mk(contact.Chinese, product, "这个是什么材质的")...)
	handoff := append(mk(contact.English, order, "I was charged twice, this is unacceptable",
		"I want to talk to a real person", "my package arrived damaged and I want compensation",
		"my parcel never arrived and nobody answers my emails", "someone used my account to order things"),
		mk(contact.Chinese, order, "转人工！快递太慢了，差评", "收到的东西是坏的，我要投诉", "有人盗刷了我的卡",
			"我要找律师起诉你们", "显示已签收但我根本没收到")...)
	var mixed []events.SQSMessage
	// Mostly routine, like the surge mix: 8 routine to 2 hand-offs.
	for i := range 40 {
		if i%5 == 4 {
			mixed = append(mixed, handoff[(i/5)%len(handoff)])
		} else {
			mixed = append(mixed, routine[(i*7)%len(routine)])
		}
	}
	return map[string][]events.SQSMessage{"routine": routine, "handoff": handoff, "mixed": mixed}
}

// benchHandler is a warm responder whose DynamoDB calls go through a real SDK client to an in-memory answer.
func benchHandler(tb testing.TB) (*handler, *okTransport) {
	tb.Helper()
	tr := &okTransport{}
	return &handler{triage: fixed{defaultTriage(tb)}, store: dynamo.NewContacts(sdkClient(tr), "contacts", 30*24*time.Hour),
		metrics: emf.New(io.Discard, "bench"), now: time.Now, margin: 2 * time.Second}, tr
}

// quietLogs sends slog output, JSON as Lambda writes it, to nowhere for the benchmark.
func quietLogs(b *testing.B) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	b.Cleanup(func() { slog.SetDefault(old) })
}

// perContact reports wall time, CPU time and allocations per contact; CPU time is what counts on a shared machine.
type perContact struct {
	mem  runtime.MemStats
	cpu  time.Duration
	b    *testing.B
	done int
}

func measure(b *testing.B) *perContact {
	b.ReportAllocs()
	m := &perContact{b: b}
	runtime.ReadMemStats(&m.mem)
	m.cpu = cpuTime()
	return m
}

func (m *perContact) report() {
	cpu := cpuTime() - m.cpu
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := float64(max(1, m.done))
	m.b.ReportMetric(float64(m.b.Elapsed().Nanoseconds())/n, "ns/contact")
	m.b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/contact")
	m.b.ReportMetric(float64(after.Mallocs-m.mem.Mallocs)/n, "allocs/contact")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkContact is the responder's work for one contact: decode the message, classify, render, encode the item.
func BenchmarkContact(b *testing.B) {
	quietLogs(b)
	ctx := context.Background()
	h, _ := benchHandler(b)
	tri, _ := h.triage.Get(ctx)
	store := h.store
	for _, name := range []string{"routine", "handoff", "mixed"} {
		msgs := benchMessages(b)[name]
		b.Run(name, func(b *testing.B) {
			recs := make([]contact.Record, 1)
			m := measure(b)
			for b.Loop() {
				rec, ok := h.decide(ctx, tri, msgs[m.done%len(msgs)], time.Now())
				if !ok {
					b.Fatal("message not decided")
				}
				recs[0] = rec
				if res := store.Settle(ctx, recs); len(res.Failed) > 0 {
					b.Fatalf("settle: %v", res.Failed)
				}
				m.done++
			}
			m.report()
		})
	}
}

// BenchmarkBatch runs the handler on batches of 10 messages, as the event source delivers them, with a real
// dynamo.Contacts and SDK client whose HTTP answers in memory.
func BenchmarkBatch(b *testing.B) {
	quietLogs(b)
	ctx := context.Background()
	for _, name := range []string{"routine", "handoff", "mixed"} {
		msgs := benchMessages(b)[name]
		b.Run(name, func(b *testing.B) {
			h, tr := benchHandler(b)
			batches := make([]events.SQSEvent, 0, len(msgs))
			for i := range msgs {
				var ev events.SQSEvent
				for j := range 10 {
					ev.Records = append(ev.Records, msgs[(i+j)%len(msgs)])
				}
				batches = append(batches, ev)
			}
			m := measure(b)
			i := 0
			for b.Loop() {
				resp, err := h.handle(ctx, batches[i%len(batches)])
				if err != nil || len(resp.BatchItemFailures) > 0 {
					b.Fatalf("handle: %v %+v", err, resp)
				}
				i++
				m.done += 10
			}
			m.report()
			if got, want := tr.requests.Load(), int64(10*i); got != want {
				b.Errorf("%d batches of 10 made %d DynamoDB requests, want one UpdateItem a contact", i, got)
			}
		})
	}
}
