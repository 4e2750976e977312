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
		store: dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], 24*time.Hour).WithMessages(f.Tables[topology.Messages.ID]),
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
	// A conversation: a follow-up to the queued contact (it joins the thread), a repeat of it, a rating refused
	// before anyone answered; a follow-up to a pending one (a turn for the bot).
	for range 2 {
		if code := send(t, h, a.ID, a.Token, "messages", `{"text":"it is order A1","clientMessageId":"g-1"}`); code != 202 {
			t.Fatalf("follow-up = %d", code)
		}
	}
	if code := send(t, h, a.ID, a.Token, "feedback", `{"rating":4}`); code != 409 {
		t.Fatalf("rating before an answer = %d, want 409", code)
	}
	_, b := post(t, h, `{"merchant":"m1","shopper":{"id":"g5"},"text":"hello there"}`, nil)
	if code := send(t, h, b.ID, b.Token, "messages", `{"text":"where is my order?"}`); code != 202 {
		t.Fatalf("follow-up to a pending contact = %d", code)
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
	for _, table := range []string{topology.Contacts.ID, topology.Messages.ID} {
		use, _ := fn.Use(table)
		if got, want := calls.Actions(f.Tables[table]), slices.Sorted(slices.Values(use.Actions)); !slices.Equal(got, want) {
			t.Errorf("the intake called %v on the %s table; topology grants %v", got, table, want)
		}
	}
}
