package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func TestMain(m *testing.M) { emulators.Main(m) }

func TestScheduledEventPublishesQueueFigures(t *testing.T) {
	f := runner.Provisioned(t)
	store := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour)
	at := time.Now().Add(-2 * time.Minute)
	res := store.Settle(context.Background(), []contact.Record{{
		Contact: contact.Contact{ID: "c_aaaaaaaaaaaaaaaaaaaaaaaaaa", Merchant: "m1", Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard},
			Locale: contact.English, Channel: "web", Text: "help", ReceivedAt: at, TokenHash: "x"},
		Status: contact.Queued, Priority: priority.Urgent, Reasons: []string{"fraud"}, EnqueuedAt: at, UpdatedAt: at,
	}})
	if len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	var out bytes.Buffer
	db, calls := f.RecordingDynamoDB()
	h := &handler{queues: dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], 24*time.Hour), targets: humanqueue.DefaultTargets(), metrics: emf.New(&out, topology.MetricsNamespace)}
	root, _ := emulators.RepoRoot()
	all, err := eventfile.All(root, "metrics")
	if err != nil || len(all) == 0 {
		t.Fatalf("sample events: %v (%d)", err, len(all))
	}
	for name, ev := range all {
		t.Run(name, func(t *testing.T) {
			out.Reset()
			b, err := lambda.NewHandler(h.handle).Invoke(context.Background(), ev)
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			var r result
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if got, want := len(r.Queues), 4; got != want {
				t.Fatalf("queues = %d, want %d", got, want)
			}
			if q := r.Queues[0]; q.Priority != "urgent" || q.Depth != 1 || q.Overdue != 1 || q.OldestWaitSeconds < 119 {
				t.Errorf("urgent queue = %+v, want depth 1, overdue 1, oldest wait about 120 s", q)
			}
			lines := 0
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, `"`+topology.MetricOldestWait+`":`) {
					lines++
				}
			}
			if got := lines; got != 4 {
				t.Errorf("EMF records with %s = %d, want 4:\n%s", topology.MetricOldestWait, got, out.String())
			}
		})
	} // Its role allows exactly the DynamoDB actions it called.
	fn, _ := topology.FunctionNamed("metrics")
	use, _ := fn.Use(topology.Contacts.ID)
	if got, want := calls.Actions(f.Tables[topology.Contacts.ID]), slices.Sorted(slices.Values(use.Actions)); !slices.Equal(got, want) {
		t.Errorf("the metrics function called %v on the Contacts table; topology grants %v", got, want)
	}
}
