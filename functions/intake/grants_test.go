package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/aws/push"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
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
	// Push: the page registers its socket; an agent holds the conversation with a console registered, and the
	// shopper's follow-up pokes it (the poke finds the connection gone, which drops the registration).
	pokes := &recordedPokes{result: push.Gone}
	h.push = pokes
	if code := putPush(t, h, a.ID, a.Token, `{"connectionId":"Z6oBcfGaoAMCJfA="}`); code != 204 {
		t.Fatalf("push registration = %d, want 204", code)
	}
	alice := humanqueue.Agent{Tenant: "m1", Name: "alice", Languages: []contact.Locale{contact.English, contact.Chinese}}
	if _, _, err := direct.Claim(context.Background(), alice, time.Minute, humanqueue.DefaultTargets(), 1); err != nil {
		t.Fatalf("claim for the push: %v", err)
	}
	if err := direct.RegisterAgentPush(context.Background(), alice, "Y6oBcfGaoAMCJfA="); err != nil {
		t.Fatal(err)
	}
	if code := send(t, h, a.ID, a.Token, "messages", `{"text":"any news?"}`); code != 202 {
		t.Fatalf("follow-up to a held conversation = %d", code)
	}
	h.queue = queueFunc(func(context.Context, contact.Contact) error { return errors.New("queue down") })
	post(t, h, `{"merchant":"m1","shopper":{"id":"g4"},"text":"hello"}`, map[string]string{"idempotency-key": "grants-0002"})

	fn, _ := topology.FunctionNamed("intake")
	// The intake pokes only the connections of the stage's management API, which its role may post to.
	if a, ok := fn.Access(topology.PushConnections); !ok || a != topology.Manage || len(pokes.conns) != 1 || pokes.conns[0] != "Y6oBcfGaoAMCJfA=" {
		t.Errorf("the intake poked %v with push access %v %v; want the holding agent's console, granted Manage", pokes.conns, a, ok)
	}
	for _, table := range []string{topology.Contacts.ID, topology.Messages.ID} {
		use, _ := fn.Use(table)
		if got, want := calls.Actions(f.Tables[table]), slices.Sorted(slices.Values(use.Actions)); !slices.Equal(got, want) {
			t.Errorf("the intake called %v on the %s table; topology grants %v", got, table, want)
		}
	}
}

// recordedPokes is a pusher that records the connections it was asked to poke and answers result.
type recordedPokes struct {
	result push.Result
	conns  []string
}

func (r *recordedPokes) Poke(_ context.Context, conn, _ string) push.Result {
	r.conns = append(r.conns, conn)
	return r.result
}

// putPush registers a push connection for contact id with token, and returns the status.
func putPush(t *testing.T, h *handler, id, token, body string) int {
	t.Helper()
	path := "/contacts/" + id + "/push"
	req := map[string]any{"version": "2.0", "routeKey": "PUT /contacts/{id}/push", "rawPath": path, "body": body,
		"pathParameters": map[string]string{"id": id}, "headers": map[string]string{"x-contact-token": token, "content-type": "application/json"},
		"requestContext": map[string]any{"http": map[string]any{"method": "PUT", "path": path}}}
	ev, _ := json.Marshal(req)
	out, err := lambda.NewHandler(h.handle).Invoke(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int `json:"statusCode"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}
