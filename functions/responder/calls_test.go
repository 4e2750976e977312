package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/catalog/builtin"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

// callCounter counts AWS API calls by service and operation, from SDK middleware on real clients. Calls are counted
// once in the Initialize step; attempts (retries included, what AWS bills and throttles) after the retry loop.
type callCounter struct {
	mu       sync.Mutex
	calls    map[string]int
	attempts map[string]int
}

func newCallCounter() *callCounter {
	return &callCounter{calls: map[string]int{}, attempts: map[string]int{}}
}

func (c *callCounter) add(m map[string]int, ctx context.Context) {
	op := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
	c.mu.Lock()
	m[op]++
	c.mu.Unlock()
}

// apiOption installs the counters on one client's middleware stack.
func (c *callCounter) apiOption(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.add(c.calls, ctx)
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	if err != nil {
		return err
	}
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("CountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			c.add(c.attempts, ctx)
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// snapshot returns the counts so far and starts again from zero.
func (c *callCounter) snapshot() (calls, attempts map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls, attempts = c.calls, c.attempts
	c.calls, c.attempts = map[string]int{}, map[string]int{}
	return calls, attempts
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func describe(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// TestCallsPerContact counts the AWS calls the responder makes per contact against DynamoDB Local and fauxqs, with
// the template cache warm as after a cold start: one conditional UpdateItem a contact, whatever the batch size (a
// transaction would be fewer calls but bills every write twice).
func TestCallsPerContact(t *testing.T) {
	f := runner.Provisioned(t)
	counter := newCallCounter()
	db := sdkconfig.DynamoDB(f.Config, emulators.DynamoOptions, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, counter.apiOption)
	})
	// The responder has no SQS client: the event source receives the batch and deletes what the function did not
	// report as failed, outside the function (those polls are SQS requests too, one receive and one delete per batch).

	cache := catalog.NewCache(dynamo.NewCatalog(db, f.Tables[topology.Catalog.ID]), 30*time.Second)
	if _, err := cache.Get(context.Background()); err != nil { // what main does at cold start
		t.Fatal(err)
	}
	coldCalls, _ := counter.snapshot()
	t.Logf("cold start (catalog version and snapshot): %d calls: %s", total(coldCalls), describe(coldCalls))
	// The version, then the snapshot published for it: no template query and no index build.
	pages := snapshotPages(len(builtin.Snapshot()))
	if got, want := describe(coldCalls), fmt.Sprintf("DynamoDB.GetItem=1 DynamoDB.Query=%d", pages); got != want {
		t.Errorf("cold start made %s, want %s: the version, then the %d-byte snapshot in %d pages", got, want, len(builtin.Snapshot()), pages)
	}

	h := &handler{triage: cache, store: dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], 24*time.Hour),
		metrics: emf.New(io.Discard, "test"), now: time.Now, margin: time.Second}
	// The intake function stores every contact as pending before it queues it; do that with an uncounted client.
	intake := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour)
	msgs := benchMessages(t)

	// With a backlog the event source hands over full batches of 10; at low load a batch holds whatever arrived,
	// often one contact. Either way a contact is one UpdateItem.
	tests := []struct {
		name       string
		kind       string
		size       int
		want       contact.Status
		maxPerCall float64
	}{
		{"routine, batches of 10", "routine", 10, contact.Answered, 1},
		{"handoff, batches of 10", "handoff", 10, contact.Queued, 1},
		{"routine, batches of 1", "routine", 1, contact.Answered, 1},
		{"handoff, batches of 1", "handoff", 1, contact.Queued, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var batches []events.SQSEvent
			var ids []string
			for b := range 100 / tt.size {
				var ev events.SQSEvent
				for i := range tt.size {
					m := msgs[tt.kind][(b*tt.size+i)%len(msgs[tt.kind])]
					c, err := intakequeue.Decode(m.Body)
					if err != nil {
						t.Fatal(err)
					}
					c.ID = fmt.Sprintf("c_%s%02d%03d%02d%s", tt.kind[:1], tt.size, b, i, strings.Repeat("a", 26-8))
					body, err := intakequeue.Encode(c)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := intake.Accept(context.Background(), c, "token", "", ""); err != nil {
						t.Fatalf("store pending contact %s: %v", c.ID, err)
					}
					ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m-%d-%d", b, i), Body: body})
					ids = append(ids, c.ID)
				}
				batches = append(batches, ev)
			}
			counter.snapshot()
			for i, ev := range batches {
				resp, err := h.handle(context.Background(), ev)
				if err != nil || len(resp.BatchItemFailures) > 0 {
					t.Fatalf("batch %d: %v %+v", i, err, resp)
				}
			}
			calls, attempts := counter.snapshot()
			perContact := float64(total(calls)) / float64(len(ids))
			t.Logf("%s: %d contacts in %d batches: %d calls (%.2f per contact): %s; attempts: %s",
				tt.name, len(ids), len(batches), total(calls), perContact, describe(calls), describe(attempts))
			if perContact > tt.maxPerCall {
				t.Errorf("%.2f AWS calls per contact (%s), want at most %.1f", perContact, tt.name, tt.maxPerCall)
			}
			for _, id := range ids {
				r, err := intake.Get(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != tt.want {
					t.Errorf("contact %s (%q) = %s, want %s", id, r.Text, r.Status, tt.want)
				}
			}
		})
	}
}

// snapshotPages is how many Query pages a snapshot of size bytes takes: it is stored in parts of
// dynamo.SnapshotPart bytes, and a page ends with the part that takes it to 1 MB.
func snapshotPages(size int) int {
	const page = 1 << 20
	pages := 0
	for left := size; left > 0; {
		pages++
		for read := 0; read < page && left > 0; {
			n := min(left, dynamo.SnapshotPart)
			read, left = read+n, left-n
		}
	}
	return pages
}

func TestSnapshotPages(t *testing.T) {
	for _, tt := range []struct{ size, want int }{
		{1, 1}, {900_000, 1}, {1_200_000, 1}, {1_200_001, 2}, {2_151_955, 2}, {2_400_000, 2}, {2_400_001, 3},
	} {
		if got := snapshotPages(tt.size); got != tt.want {
			t.Errorf("snapshotPages(%d) = %d, want %d", tt.size, got, tt.want)
		}
	}
}
