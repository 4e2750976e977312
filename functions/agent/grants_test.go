package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/push"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/webui"
)

// The agent's role allows exactly the DynamoDB actions its code calls (topology.Functions): every route runs
// through clients that record them: the overview, claims (a fresh one and one of an expired lease), a read, a
// reply, a release, an extension and an escalation.
func TestGrantedActionsAreTheCalledOnes(t *testing.T) {
	f := runner.Provisioned(t)
	db, calls := f.RecordingDynamoDB()
	cfg := webui.ConsoleConfig{Auth: "token"}
	h := &handler{
		queues: dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], 24*time.Hour).WithMessages(f.Tables[topology.Messages.ID]),
		triage: catalog.NewCache(dynamo.NewCatalog(db, f.Tables[topology.Catalog.ID]), time.Minute),
		auth:   auth{mode: "token", agents: testAgents}, hold: time.Minute, targets: humanqueue.DefaultTargets(),
		page: webui.Console(cfg), pageH: cfg.Headers(),
	}
	direct := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour) // the responder's writes
	now := time.Now()
	var recs []contact.Record
	for range 5 {
		recs = append(recs, contact.Record{Contact: contact.Contact{ID: contact.NewID(), Merchant: "m1",
			Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard}, Locale: contact.English, Channel: "web",
			Text: "my parcel is broken", ReceivedAt: now, TokenHash: "h"},
			Status: contact.Queued, Priority: priority.High, Reasons: []string{"complaint"}, EnqueuedAt: now, UpdatedAt: now, Tenant: "m1"})
	}
	if res := direct.Settle(context.Background(), recs); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	// Every page registered a socket; the first poke finds its connection gone (dropping it), the others land.
	for _, r := range recs {
		if err := direct.RegisterShopperPush(context.Background(), r.ID, "Z6oBcfGaoAMCJfA="); err != nil {
			t.Fatal(err)
		}
	}
	pokes := &recordedPokes{results: []push.Result{push.Gone}}
	h.push = pokes
	if resp := call(t, h, request("PUT", "/agent/push", map[string]any{"connectionId": "Y6oBcfGaoAMCJfA="}, token, nil)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("console registration = %d %s", resp.StatusCode, resp.Body)
	}
	claim := func(tok string) (string, string) {
		t.Helper()
		resp := call(t, h, request("POST", "/agent/claim", nil, tok, nil))
		var c struct {
			Contact struct{ ID string }
			Lease   struct{ Token string }
		}
		if err := json.Unmarshal([]byte(resp.Body), &c); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("claim = %d %s", resp.StatusCode, resp.Body)
		}
		return c.Contact.ID, c.Lease.Token
	}
	act := func(id, action string, body map[string]any) {
		t.Helper()
		if resp := call(t, h, request("POST", "/agent/contacts/"+id+"/"+action, body, token, nil)); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d %s", action, resp.StatusCode, resp.Body)
		}
	}
	call(t, h, request("GET", "/agent/queues", nil, token, nil))
	id, lease := claim(token)
	view := request("GET", "/agent/contacts/"+id, nil, token, nil)
	view.Headers["x-lease"] = lease
	if resp := call(t, h, view); resp.StatusCode != http.StatusOK {
		t.Fatalf("read = %d %s", resp.StatusCode, resp.Body)
	}
	act(id, "extend", map[string]any{"lease": lease, "seconds": 60})
	act(id, "reply", map[string]any{"lease": lease, "text": "which size would you like?", "resolve": false})
	act(id, "extend", map[string]any{"lease": lease, "seconds": 60}) // while waiting for the shopper
	act(id, "reply", map[string]any{"lease": lease, "text": "sorry, a new one is on its way"})
	id, lease = claim(token)
	act(id, "release", map[string]any{"lease": lease})
	id, lease = claim(token)
	act(id, "escalate", map[string]any{"lease": lease, "priority": "urgent"})
	// bob's lease ends at once; alice's next claim takes the contact back from the expired lease.
	h.hold = time.Millisecond
	claim(tokenBob)
	time.Sleep(10 * time.Millisecond)
	h.hold = time.Minute
	claim(token)

	// The voice of the customer: the overview, a problem resolved, a draft approved (which stages its templates;
	// the voice function publishes them).
	rf := f
	rf.DynamoDB = db
	h.voice = newInsights(rf)
	seedVoice(t, f)
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{http.MethodGet, "/agent/insights", nil, http.StatusOK},
		{http.MethodPost, "/agent/insights/problems/kcoupon1/resolve", map[string]string{"merchant": "m1"}, http.StatusOK},
		{http.MethodPost, "/agent/insights/drafts/kcoupon1.en/approve", map[string]any{"merchant": "m1", "days": 7}, http.StatusAccepted},
	} {
		if code, body := callInsights(t, h, c.method, c.path, nil, c.body); code != c.want {
			t.Fatalf("%s %s = %d %v, want %d", c.method, c.path, code, body, c.want)
		}
	}

	fn, _ := topology.FunctionNamed("agent")
	// The agent function pokes shoppers' pages through the stage's management API, which its role may post to.
	if a, ok := fn.Access(topology.PushConnections); !ok || a != topology.Manage || len(pokes.conns) < 5 {
		t.Errorf("the agent function poked %d times with push access %v %v; want every claim, reply, release and escalation, granted Manage", len(pokes.conns), a, ok)
	}
	for _, table := range []string{topology.Contacts.ID, topology.Catalog.ID, topology.Voice.ID, topology.Messages.ID} {
		use, _ := fn.Use(table)
		if got, want := calls.Actions(f.Tables[table]), slices.Sorted(slices.Values(use.Actions)); !slices.Equal(got, want) {
			t.Errorf("the agent called %v on the %s table; topology grants %v", got, table, want)
		}
	}
}

// recordedPokes is a pusher that records the connections it was asked to poke and answers results in turn, then Sent.
type recordedPokes struct {
	results []push.Result
	conns   []string
}

func (r *recordedPokes) Poke(_ context.Context, conn, _ string) push.Result {
	r.conns = append(r.conns, conn)
	if len(r.results) == 0 {
		return push.Sent
	}
	res := r.results[0]
	r.results = r.results[1:]
	return res
}
