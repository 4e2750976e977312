package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/contact"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/webui"
)

// The intake's role allows exactly the DynamoDB actions its code calls (topology.Functions): every path of the
// handler (sample events, a replay, a join, the open-contacts limit, a withdrawal) runs through a client that
// records them.
func TestGrantedActionsAreTheCalledOnes(t *testing.T) {
	f := runner.Provisioned(t)
	db, calls := f.RecordingDynamoDB()
	h := &handler{
		store: dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], 24*time.Hour),
		queue: intakequeue.NewIntake(f.SQS, f.QueueURL), page: webui.Shopper(), pageH: webui.Headers(), now: time.Now,
		handleSeconds: 240, keys: testKeys(),
	}
	events, err := eventfile.All(root(t), "intake")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if _, err := lambda.NewHandler(h.handle).Invoke(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	_, a := post(t, h, `{"merchant":"m1","shopper":{"id":"g1"},"text":"where is my order"}`, map[string]string{"idempotency-key": "grants-0001"})
	post(t, h, `{"merchant":"m1","shopper":{"id":"g1"},"text":"where is my order"}`, map[string]string{"idempotency-key": "grants-0001"})
	get(t, h, a.ID, a.Token)
	// The same contact, waiting for a person: its status reads the queue position and the team's staffing.
	direct := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour) // not recorded: the responder's write
	rec, err := direct.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.Status, rec.Priority, rec.Tenant, rec.EnqueuedAt, rec.UpdatedAt = contact.Queued, priority.Normal, "m1", time.Now(), time.Now()
	if res := direct.Settle(context.Background(), []contact.Record{rec}); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	get(t, h, a.ID, a.Token)
	now := time.Now()
	post(t, h, `{"merchant":"m1","shopper":{"id":"g2"},"text":"refund?","identity":"`+signed(t, "g2", "gold", 1, "USD", now)+`"}`, nil)
	post(t, h, `{"merchant":"m1","shopper":{"id":"g2"},"text":"order A1","identity":"`+signed(t, "g2", "gold", 1, "USD", now)+`"}`, nil)
	for i := range dynamo.MaxOpen + 1 {
		post(t, h, fmt.Sprintf(`{"merchant":"m1","shopper":{"id":"g3"},"text":"question %d"}`, i), nil)
	}
	h.queue = queueFunc(func(context.Context, contact.Contact) error { return errors.New("queue down") })
	post(t, h, `{"merchant":"m1","shopper":{"id":"g4"},"text":"hello"}`, map[string]string{"idempotency-key": "grants-0002"})

	fn, _ := topology.FunctionNamed("intake")
	use, _ := fn.Use(topology.Contacts.ID)
	if got, want := calls.Actions(f.Tables[topology.Contacts.ID]), slices.Sorted(slices.Values(use.Actions)); !slices.Equal(got, want) {
		t.Errorf("the intake called %v on the Contacts table; topology grants %v", got, want)
	}
}
