package main

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

// The responder's role allows exactly the DynamoDB actions its code calls (topology.Functions): every sample
// batch (answers, hand-offs, rejections, a redelivery) runs through clients that record them.
func TestGrantedActionsAreTheCalledOnes(t *testing.T) {
	f := runner.Provisioned(t)
	db, calls := f.RecordingDynamoDB()
	h := &handler{triage: catalog.NewCache(dynamo.NewCatalog(db, f.Tables[topology.Catalog.ID]), time.Minute),
		store:   dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], 24*time.Hour).WithMessages(f.Tables[topology.Messages.ID]),
		metrics: emf.New(os.Stderr, "test"), now: time.Now, margin: time.Second}
	for _, name := range []string{"batch-mixed.json", "batch-routine.json", "batch-duplicate.json", "batch-malformed.json", "batch-duplicate.json"} {
		if _, err := h.handle(context.Background(), load(t, name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// A conversation: the opening answered, then a follow-up turn answered with the thread in view.
	c := contact.Contact{ID: contact.NewID(), Merchant: "m1", Shopper: contact.Shopper{ID: "g-turn", Tier: contact.Standard},
		Locale: contact.English, Channel: "web", Text: "where is my parcel?", ReceivedAt: time.Now(), TokenHash: contact.HashSecret("t")}
	body, err := intakequeue.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "open", Body: body}}}); err != nil {
		t.Fatal(err)
	}
	direct := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour).WithMessages(f.Tables[topology.Messages.ID])
	rec, err := direct.Get(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	posted, err := direct.Post(context.Background(), rec, "thanks!", "")
	if err != nil || posted.To != dynamo.ToBot {
		t.Fatalf("post follow-up: %+v %v", posted, err)
	}
	turn, _ := json.Marshal(map[string]any{"v": 1, "turn": map[string]string{"contact": c.ID, "seq": posted.Message.ID}})
	resp, err := h.handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "turn", Body: string(turn)}}})
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("turn: %+v %v", resp, err)
	}
	if got, err := direct.Get(context.Background(), c.ID); err != nil || got.Status != contact.Answered || got.Turn != "" {
		t.Fatalf("after the turn: %+v %v, want it answered", got, err)
	}
	fn, _ := topology.FunctionNamed("responder")
	for _, table := range []string{topology.Contacts.ID, topology.Catalog.ID, topology.Messages.ID} {
		use, _ := fn.Use(table)
		if got, want := calls.Actions(f.Tables[table]), slices.Sorted(slices.Values(use.Actions)); !slices.Equal(got, want) {
			t.Errorf("the responder called %v on the %s table; topology grants %v", got, table, want)
		}
	}
}
