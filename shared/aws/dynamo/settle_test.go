package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/faults"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// opCounter is the real DynamoDB Local client behind the fault proxy, counting calls by operation.
type opCounter struct {
	*dynamodb.Client
	mu    sync.Mutex
	calls map[string]int
}

func (c *opCounter) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

func (c *opCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = map[string]int{}
	return out
}

func (c *opCounter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.count("UpdateItem")
	return c.Client.UpdateItem(ctx, in, opts...)
}

func (c *opCounter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.count("PutItem")
	return c.Client.PutItem(ctx, in, opts...)
}

func (c *opCounter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.count("TransactWriteItems")
	return c.Client.TransactWriteItems(ctx, in, opts...)
}

// throttled is a Contacts store (with its messages table) whose DynamoDB calls pass a fault-injecting proxy in front of DynamoDB Local, and a
// store that reads DynamoDB Local directly.
func throttled(t *testing.T, o faults.Options) (*dynamo.Contacts, *dynamo.Contacts, *faults.Proxy, *opCounter) {
	t.Helper()
	f := runner.Provisioned(t)
	o.Target, o.Service = emulators.Shared(t).DynamoDB, faults.DynamoDB
	p, err := faults.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close proxy: %v", err)
		}
	})
	db := &opCounter{calls: map[string]int{}, Client: dynamodb.NewFromConfig(f.Config, emulators.DynamoOptions, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(p.URL)
		// The functions' retryer retries throttles up to 6 attempts; short backoff keeps the test quick.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts, so.MaxBackoff = 3, 5*time.Millisecond
		})
	})}
	table, messages := f.Tables[topology.Contacts.ID], f.Tables[topology.Messages.ID]
	return dynamo.NewContacts(db, table, 24*time.Hour).WithMessages(messages), dynamo.NewContacts(f.DynamoDB, table, 24*time.Hour).WithMessages(messages), p, db
}

// batch is ten pending contacts (what intake stores) and the outcomes the responder decided for them: the odd ones
// answered by the bot, the even ones queued for a person.
func batch(t *testing.T, direct *dynamo.Contacts, prefix, answer string) []contact.Record {
	t.Helper()
	now := time.Now()
	var recs []contact.Record
	for i := range 10 {
		c := contact.Contact{ID: fmt.Sprintf("c_%s%02d", prefix, i), Merchant: "m1", Shopper: contact.Shopper{ID: fmt.Sprintf("s%d", i), Tier: contact.Standard},
			Locale: contact.English, Channel: "web", Text: "where is my order", ReceivedAt: now, TokenHash: "h"}
		if _, err := direct.Accept(context.Background(), c, "token", "", ""); err != nil {
			t.Fatalf("store pending contact %s: %v", c.ID, err)
		}
		r := contact.Record{Contact: c, Status: contact.Answered, Answer: answer, AnsweredBy: "bot", Intent: "order.track", UpdatedAt: now}
		if i%2 == 0 {
			r = contact.Record{Contact: c, Status: contact.Queued, Priority: priority.Normal, Reasons: []string{"human.request"},
				EnqueuedAt: now, UpdatedAt: now, Tenant: "m1", Shards: 1}
		}
		recs = append(recs, r)
	}
	return recs
}

func ids(recs []contact.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

// One contact whose write DynamoDB throttles (a hot key, in the table or an index) fails alone and is retried by
// SQS; the nine others are written all the same, and the redelivery of the whole batch settles the hot one without
// changing any answer or queueing any contact twice.
func TestSettleOneThrottledContactLeavesTheOthersSettled(t *testing.T) {
	store, direct, proxy, db := throttled(t, faults.Options{})
	recs := batch(t, direct, "hot", "first answer")
	hot := recs[3]
	proxy.SetHot("C#" + hot.ID)

	res := store.Settle(context.Background(), recs)
	if got, want := len(res.Failed), 1; got != want {
		t.Fatalf("failed = %v, want only the hot contact", res.Failed)
	}
	if err := res.Failed[hot.ID]; !errors.Is(err, contact.ErrThrottled) {
		t.Errorf("hot contact's failure = %v, want contact.ErrThrottled", err)
	}
	slices.Sort(res.Done)
	want := slices.DeleteFunc(ids(recs), func(id string) bool { return id == hot.ID })
	if !slices.Equal(res.Done, want) || len(res.Duplicate) != 0 {
		t.Errorf("done = %v (duplicates %v), want %v", res.Done, res.Duplicate, want)
	}
	calls := db.take()
	t.Logf("calls with one hot contact in a batch of 10: %v (proxy refused %d for the hot key)", calls, proxy.Hot())
	// One UpdateItem a contact (the hot contact's attempts are the SDK's retries, inside one call).
	if got, want := calls, map[string]int{"UpdateItem": 10}; !sameCalls(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	for _, r := range recs {
		got, err := direct.Get(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantStatus := r.Status
		if r.ID == hot.ID {
			wantStatus = contact.Pending
		}
		if got.Status != wantStatus {
			t.Errorf("contact %s = %s, want %s", r.ID, got.Status, wantStatus)
		}
	}

	// SQS redelivers the hot contact's message (and, after a lost answer, the others'); the responder decides again,
	// perhaps differently. Nothing settled changes, and the hot contact is settled once.
	proxy.SetHot()
	again := slices.Clone(recs)
	for i := range again {
		if again[i].Status == contact.Answered {
			again[i].Answer = "second answer"
		}
	}
	res = store.Settle(context.Background(), again)
	if len(res.Failed) != 0 {
		t.Fatalf("redelivery failed: %v", res.Failed)
	}
	slices.Sort(res.Duplicate)
	if !slices.Equal(res.Duplicate, want) {
		t.Errorf("duplicates on redelivery = %v, want the nine settled before", res.Duplicate)
	}
	for _, r := range recs {
		got, err := direct.Get(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantAnswer := map[bool]string{true: "first answer", false: ""}[r.Status == contact.Answered]
		if r.ID == hot.ID && r.Status == contact.Answered {
			wantAnswer = "second answer"
		}
		if got.Status != r.Status || got.Answer != wantAnswer {
			t.Errorf("contact %s = %s %q, want %s %q", r.ID, got.Status, got.Answer, r.Status, wantAnswer)
		}
	}
	stats, err := direct.Stats(context.Background(), "m1", 1, targets)
	if err != nil {
		t.Fatal(err)
	}
	queued := 0
	for _, s := range stats {
		queued += s.Waiting
	}
	if got, want := queued, 5; got != want {
		t.Errorf("contacts waiting in m1's queues = %d, want %d: each queued once", got, want)
	}
}

// When DynamoDB throttles every write past the SDK's retries, each contact fails alone with ErrThrottled (its
// message goes back to SQS), none is marked done; the redelivery settles all of them once.
func TestSettleThrottledContactsFailAloneAndSettleOnRedelivery(t *testing.T) {
	store, direct, proxy, db := throttled(t, faults.Options{Rate: 1, Kinds: []faults.Kind{faults.Throttle}, Operations: []string{"UpdateItem"}})
	ctx := context.Background()
	recs := batch(t, direct, "all", "an answer")
	res := store.Settle(ctx, recs)
	if len(res.Done) != 0 || len(res.Failed) != len(recs) {
		t.Fatalf("done %v, failed %d; want every contact failed", res.Done, len(res.Failed))
	}
	for id, err := range res.Failed {
		if !errors.Is(err, contact.ErrThrottled) {
			t.Errorf("contact %s failed with %v, want contact.ErrThrottled", id, err)
		}
	}
	if got, want := db.take(), map[string]int{"UpdateItem": 10}; !sameCalls(got, want) {
		t.Errorf("calls = %v, want %v (the SDK's retries are inside each call)", got, want)
	}
	t.Logf("throttles injected: %d", proxy.Injected())
	proxy.SetRate(0)
	res = store.Settle(ctx, recs)
	if len(res.Failed) != 0 || len(res.Done) != len(recs) || len(res.Duplicate) != 0 {
		t.Fatalf("redelivery: done %d (duplicates %v), failed %v; want all %d settled once", len(res.Done), res.Duplicate, res.Failed, len(recs))
	}
	for _, r := range recs {
		if got, err := direct.Get(ctx, r.ID); err != nil || got.Status != r.Status {
			t.Errorf("contact %s = %s (%v), want %s", r.ID, got.Status, err, r.Status)
		}
	}
}

// Each contact is one UpdateItem, never a transaction (which DynamoDB bills twice); a duplicate delivery costs no
// extra call.
func TestSettleCallsPerBatch(t *testing.T) {
	store, direct, _, db := throttled(t, faults.Options{})
	recs := batch(t, direct, "one", "an answer")
	for _, tt := range []struct {
		name string
		recs []contact.Record
		want map[string]int
	}{
		{"one contact", recs[:1], map[string]int{"UpdateItem": 1}},
		{"nine contacts", recs[1:], map[string]int{"UpdateItem": 9}},
		{"the ten again (duplicates)", recs, map[string]int{"UpdateItem": 10}},
	} {
		res := store.Settle(context.Background(), tt.recs)
		if len(res.Failed) != 0 || len(res.Done) != len(tt.recs) {
			t.Fatalf("%s: done %d, failed %v", tt.name, len(res.Done), res.Failed)
		}
		if got := db.take(); !sameCalls(got, tt.want) {
			t.Errorf("%s: calls = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func sameCalls(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A settle writes only what the outcome adds to the pending item; a contact whose item is missing (expired, or a
// tester's hand-made event) is written whole, and a second delivery changes nothing and costs no extra call.
func TestSettleLeanUpdateAndMissingItems(t *testing.T) {
	store, direct, _, db := throttled(t, faults.Options{})
	ctx := context.Background()
	recs := batch(t, direct, "lean", "an answer")
	// Three contacts of the batch were never accepted: their items are missing.
	now := time.Now()
	for i := range 3 {
		c := contact.Contact{ID: fmt.Sprintf("c_leanmissing%d", i), Merchant: "m1", Shopper: contact.Shopper{ID: "s-missing", Tier: contact.Standard},
			Locale: contact.Chinese, Channel: "web", Text: "发票怎么开", ReceivedAt: now, TokenHash: "h"}
		recs[i] = contact.Record{Contact: c, Status: contact.Answered, Answer: "a", AnsweredBy: "bot", Intent: "invoice.request", UpdatedAt: now}
	}
	for _, tt := range []struct {
		name      string
		recs      []contact.Record
		want      map[string]int
		duplicate int
	}{
		// A lean write each; the three missing items' fail their condition with no item, and are written whole.
		{"seven pending, three missing", recs, map[string]int{"UpdateItem": 13}, 0},
		{"the ten again", recs, map[string]int{"UpdateItem": 10}, 10},
		{"one again", recs[:1], map[string]int{"UpdateItem": 1}, 1},
	} {
		res := store.Settle(ctx, tt.recs)
		if len(res.Failed) != 0 || len(res.Done) != len(tt.recs) || len(res.Duplicate) != tt.duplicate {
			t.Fatalf("%s: done %d, duplicate %d (want %d), failed %v", tt.name, len(res.Done), len(res.Duplicate), tt.duplicate, res.Failed)
		}
		if got := db.take(); !sameCalls(got, tt.want) {
			t.Errorf("%s: calls = %v, want %v", tt.name, got, tt.want)
		}
	}
	for i, r := range recs {
		got, err := direct.Get(ctx, r.ID)
		if err != nil {
			t.Fatalf("read %s: %v", r.ID, err)
		}
		if got.Status != r.Status || got.Text != r.Text || got.Merchant != r.Merchant || got.Locale != r.Locale || got.Shopper != r.Shopper {
			t.Errorf("contact %d: status %s text %q merchant %q locale %s shopper %v; want %s %q %q %s %v",
				i, got.Status, got.Text, got.Merchant, got.Locale, got.Shopper, r.Status, r.Text, r.Merchant, r.Locale, r.Shopper)
		}
	}
}
