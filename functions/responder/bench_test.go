package main

import (
	"context"
	"errors"
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

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/contact"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

// packSource serves the default pack as the catalog would, counting reads. It publishes no snapshot unless
// snapshots is set, so every load builds the index.
type packSource struct {
	templates []answer.Template
	version   atomic.Int64
	versions  atomic.Int64 // Version calls
	loads     atomic.Int64 // Load calls (index builds)
	snapshots atomic.Int64 // Snapshot calls
	snapshot  []byte       // the pack's triage, served for every version when set
}

func newPackSource(tb testing.TB) *packSource {
	tb.Helper()
	ts, err := pack.Default()
	if err != nil {
		tb.Fatal(err)
	}
	s := &packSource{templates: ts}
	s.version.Store(1)
	return s
}

func (s *packSource) Version(context.Context) (int64, error) {
	s.versions.Add(1)
	return s.version.Load(), nil
}

func (s *packSource) Snapshot(context.Context, int64) ([]byte, error) {
	s.snapshots.Add(1)
	return s.snapshot, nil
}

func (s *packSource) Load(context.Context) ([]answer.Template, map[string]priority.Rules, int64, error) {
	s.loads.Add(1)
	return s.templates, map[string]priority.Rules{answer.Platform: priority.DefaultRules()}, s.version.Load(), nil
}

// fakeDB is the DynamoDB API of dynamo.Contacts with a TransactWriteItems that accepts every transaction, so the
// benchmarks measure our item encoding but no network.
type fakeDB struct {
	transactions atomic.Int64
	items        atomic.Int64
}

var errNotFaked = errors.New("not faked")

func (f *fakeDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.transactions.Add(1)
	f.items.Add(int64(len(in.TransactItems)))
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

func (f *fakeDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, errNotFaked
}

func (f *fakeDB) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, errNotFaked
}

func (f *fakeDB) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, errNotFaked
}

func (f *fakeDB) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return nil, errNotFaked
}

func (f *fakeDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, errNotFaked
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
		"what's the weather like in Paris", "someone used my account to order things"),
		mk(contact.Chinese, order, "转人工！快递太慢了，差评", "收到的东西是坏的，我要投诉", "有人盗刷了我的卡",
			"我要找律师起诉你们", "今天天气怎么样")...)
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

// contactsDB is what dynamo.NewContacts takes: fakeDB or a real client.
type contactsDB interface {
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

func benchHandler(tb testing.TB, db contactsDB) (*handler, *packSource) {
	tb.Helper()
	src := newPackSource(tb)
	h := &handler{triage: triage.NewCache(src, 30*time.Second), store: dynamo.NewContacts(db, "contacts", 30*24*time.Hour),
		metrics: emf.New(io.Discard, "bench"), now: time.Now, margin: 2 * time.Second}
	if _, err := h.triage.Get(context.Background()); err != nil { // the cold start's load
		tb.Fatal(err)
	}
	return h, src
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
	h, _ := benchHandler(b, &fakeDB{})
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

// BenchmarkBatch runs the handler on batches of 10 messages, as the event source delivers them, with DynamoDB faked
// behind a real dynamo.Contacts ("fake") or behind a real SDK client whose HTTP answers in memory ("sdk").
func BenchmarkBatch(b *testing.B) {
	quietLogs(b)
	ctx := context.Background()
	for _, client := range []string{"fake", "sdk"} {
		for _, name := range []string{"routine", "handoff", "mixed"} {
			msgs := benchMessages(b)[name]
			b.Run(client+"/"+name, func(b *testing.B) {
				var h *handler
				var src *packSource
				tr := &okTransport{}
				if client == "fake" {
					h, src = benchHandler(b, &fakeDB{})
				} else {
					h, src = benchHandler(b, sdkClient(tr))
				}
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
				if got := src.loads.Load(); got != 1 {
					b.Errorf("templates loaded %d times, want once per cold start", got)
				}
			})
		}
	}
}

// The template load and index build happen once per cold start and again only when the catalog version changes,
// never per batch.
func TestTemplatesLoadOncePerColdStart(t *testing.T) {
	tests := map[string]struct {
		refresh       time.Duration
		bump          bool // change the catalog version halfway
		snapshot      bool // the catalog has a snapshot of every version
		wantLoads     int64
		wantSnapshots int64
		wantVersions  int64
	}{
		"within the refresh interval":          {refresh: time.Hour, wantLoads: 1, wantVersions: 1},
		"version checked every batch":          {refresh: time.Nanosecond, wantLoads: 1, wantVersions: 20},
		"catalog changed once between batches": {refresh: time.Nanosecond, bump: true, wantLoads: 2, wantVersions: 20},
		"snapshot published":                   {refresh: time.Hour, snapshot: true, wantSnapshots: 1, wantVersions: 1},
		"snapshot published, changed once":     {refresh: time.Nanosecond, bump: true, snapshot: true, wantSnapshots: 2, wantVersions: 20},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			src := newPackSource(t)
			if tt.snapshot {
				tri, err := triage.New(src.templates, nil)
				if err != nil {
					t.Fatal(err)
				}
				if src.snapshot, err = tri.AppendBinary(nil); err != nil {
					t.Fatal(err)
				}
			}
			db := &fakeDB{}
			h := &handler{triage: triage.NewCache(src, tt.refresh), store: dynamo.NewContacts(db, "contacts", time.Hour),
				metrics: emf.New(io.Discard, "test"), now: time.Now, margin: time.Second}
			msgs := benchMessages(t)["mixed"]
			for i := range 20 {
				if tt.bump && i == 10 {
					src.version.Add(1)
				}
				resp, err := h.handle(context.Background(), events.SQSEvent{Records: msgs[i%4*10 : i%4*10+10]})
				if err != nil || len(resp.BatchItemFailures) > 0 {
					t.Fatalf("batch %d: %v %+v", i, err, resp)
				}
			}
			if got, want := src.loads.Load(), tt.wantLoads; got != want {
				t.Errorf("catalog loads (index builds) = %d, want %d", got, want)
			}
			if got, want := src.versions.Load(), tt.wantVersions; got != want {
				t.Errorf("catalog version reads = %d, want %d", got, want)
			}
			if got, want := src.snapshots.Load()-src.loads.Load(), tt.wantSnapshots; got != want {
				t.Errorf("catalog snapshots decoded = %d, want %d", got, want)
			}
			if got, want := db.transactions.Load(), int64(20); got != want {
				t.Errorf("transactions = %d, want one per batch: %d", got, want)
			}
		})
	}
}
