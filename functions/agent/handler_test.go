package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/aws/apigw"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
	"breakwater/shared/webui"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// The tests' agents: token is m1's bilingual agent (what the sample events use); the others are m1's English-only
// agent, m2's agent and the platform's.
const (
	token         = "test-agent-token"
	tokenBob      = "test-token-bob"
	tokenChen     = "test-token-chen"
	tokenPlatform = "test-token-pat"
)

var testAgents = []tokenAgent{
	{Tenant: "m1", Name: "alice", Languages: []string{"zh-CN", "en"}, TokenHash: contact.HashSecret(token)},
	{Tenant: "m1", Name: "bob", Languages: []string{"en"}, TokenHash: contact.HashSecret(tokenBob)},
	{Tenant: "m2", Name: "chen", Languages: []string{"zh-CN", "en"}, TokenHash: contact.HashSecret(tokenChen)},
	{Tenant: "platform", Name: "pat", Languages: []string{"zh-CN", "en"}, TokenHash: contact.HashSecret(tokenPlatform)},
}

func newHandler(t *testing.T) (*handler, *dynamo.Contacts) {
	t.Helper()
	f := runner.Provisioned(t)
	store := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour).WithMessages(f.Tables[topology.Messages.ID])
	cfg := webui.ConsoleConfig{Auth: "token"}
	h := &handler{
		queues: store, triage: catalog.NewCache(dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID]), time.Minute),
		auth: auth{mode: "token", agents: testAgents}, hold: time.Minute, targets: humanqueue.DefaultTargets(),
		page: webui.Console(cfg), pageH: cfg.Headers(),
	}
	h.voice = newInsights(f)
	return h, store
}

type response struct {
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
}

func invoke(t *testing.T, h *handler, ev []byte) response {
	t.Helper()
	out, err := lambda.NewHandler(h.handle).Invoke(context.Background(), ev)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var r response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	return r
}

// TestSampleEvents runs every event in events/agent through the handler against DynamoDB Local.
func TestSampleEvents(t *testing.T) {
	h, _ := newHandler(t)
	want := map[string]int{
		"claim.json": 204, "queues.json": 200, "console.json": 200,
		"claim-unauthorized.json": 401, "claim-shopper-token.json": 401,
		"reply-unknown-contact.json": 404, "release-unknown-contact.json": 404,
		"extend-unknown-contact.json": 404, "escalate-unknown-contact.json": 404,
		"reply-bad-body.json": 400, "escalate-bad-priority.json": 400, "get-contact-unknown.json": 404,
		"insights.json": 200, "insights-merchants.json": 200, "insights-approve-unknown.json": 404,
		"insights-resolve-no-merchant.json": 400, "reply-wait-unknown-contact.json": 404,
		"push.json": 204, "push-bad-connection.json": 400,
	}
	root, _ := emulators.RepoRoot()
	all, err := eventfile.All(root, "agent")
	if err != nil {
		t.Fatal(err)
	}
	for name, ev := range all {
		t.Run(name, func(t *testing.T) {
			code, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for sample event %s: add it to this table", name)
			}
			if got := invoke(t, h, eventfile.WithToken(ev, token)); got.StatusCode != code {
				t.Errorf("status = %d, want %d; body %s", got.StatusCode, code, got.Body)
			}
		})
	}
	for name := range want {
		if _, ok := all[name]; !ok {
			t.Errorf("expected sample event %s is missing from events/agent", name)
		}
	}
}

// statsReads is a queues whose Stats counts its calls; the other methods are not used.
type statsReads struct {
	queues
	calls int
}

func (s *statsReads) Stats(context.Context, string, int, humanqueue.Targets) ([]humanqueue.Stats, error) {
	s.calls++
	return []humanqueue.Stats{{Priority: priority.Urgent, Waiting: s.calls}}, nil
}

func (s *statsReads) Waiting(context.Context, string, int, int, humanqueue.Targets) ([]humanqueue.Entry, error) {
	return nil, nil
}

// emptyCatalog is a decider with no templates and the default rules.
type emptyCatalog struct{}

var noTemplates = sync.OnceValues(func() (*triage.Triage, error) { return triage.Build(nil, nil, nil) })

func (emptyCatalog) Get(context.Context) (*triage.Triage, error) { return noTemplates() }

// Consoles poll the overview every 3 s each; an instance reads the queues at most once per ttl for all of them.
func TestQueueOverviewIsReadOncePerTTL(t *testing.T) {
	clock := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		ttl       time.Duration
		polls     int
		every     time.Duration
		wantReads int
	}{
		{"no cache", 0, 5, time.Second, 5},
		{"five consoles within the ttl", 2 * time.Second, 5, 100 * time.Millisecond, 1},
		{"polls across three ttls", 2 * time.Second, 6, time.Second, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := clock
			src := &statsReads{}
			h := &handler{queues: src, triage: emptyCatalog{}, auth: auth{mode: "token", agents: testAgents}, targets: humanqueue.DefaultTargets(),
				overview: statsCache{ttl: tt.ttl, now: func() time.Time { return now }}}
			req := apigw.Request{RouteKey: "GET /agent/queues", RawPath: "/agent/queues",
				Headers: map[string]string{"authorization": "Bearer " + token}}
			req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = http.MethodGet, "/agent/queues"
			var last string
			for range tt.polls {
				resp, err := h.handle(context.Background(), req)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("GET /agent/queues = %d %v", resp.StatusCode, err)
				}
				last = resp.Body
				now = now.Add(tt.every)
			}
			if src.calls != tt.wantReads {
				t.Errorf("%d polls read the queues %d times, want %d", tt.polls, src.calls, tt.wantReads)
			}
			if !strings.Contains(last, fmt.Sprintf(`"depth":%d`, src.calls)) {
				t.Errorf("last overview %s is not the last read (%d)", last, src.calls)
			}
		})
	}
}

// request is an agent's call as API Gateway hands it over, with a bearer token (token mode) or the claims of a
// verified Cognito ID token (jwt mode).
func request(method, path string, body any, bearer string, claims map[string]string) apigw.Request {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	route := method + " " + path
	for _, a := range []string{"reply", "release", "extend", "escalate"} {
		if strings.HasSuffix(path, "/"+a) {
			route = method + " /agent/contacts/{id}/" + a
		}
	}
	if strings.HasPrefix(path, "/agent/contacts/") && strings.Count(path, "/") == 3 {
		route = method + " /agent/contacts/{id}"
	}
	req := apigw.Request{RouteKey: route, RawPath: path, Body: string(b), Headers: map[string]string{}}
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = method, path
	if bearer != "" {
		req.Headers["authorization"] = "Bearer " + bearer
	}
	if claims != nil {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	}
	return req
}

func call(t *testing.T, h *handler, req apigw.Request) apigw.Response {
	t.Helper()
	resp, err := h.handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// An agent of merchant m2 can neither list, read, claim, reply to, release, extend nor escalate merchant m1's
// contacts, with the right lease or without; the platform's agent gets fraud and disputes, not routine hand-offs.
// Both ways an agent can be identified: the local token, and the JWT claims API Gateway passes.
func TestEveryRouteIsScopedToTheAgentsTenant(t *testing.T) {
	claims := func(tenant, name string) map[string]string {
		return map[string]string{"cognito:groups": "[agents]", "cognito:username": name, "custom:tenant": tenant, "custom:languages": "zh-CN,en"}
	}
	for _, mode := range []string{"token", "jwt"} {
		t.Run(mode, func(t *testing.T) {
			h, store := newHandler(t)
			as := func(tenant, name, tok string) (string, map[string]string) {
				if mode == "jwt" {
					return "", claims(tenant, name)
				}
				return tok, nil
			}
			if mode == "jwt" {
				h.auth = auth{mode: "jwt", group: "agents"}
			}
			now := time.Now()
			m1 := contact.Record{Contact: contact.Contact{ID: contact.NewID(), Merchant: "m1", Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard},
				Locale: contact.English, Channel: "web", Text: "my parcel is broken", ReceivedAt: now, TokenHash: "h"},
				Status: contact.Queued, Priority: priority.High, Reasons: []string{"complaint"}, EnqueuedAt: now, UpdatedAt: now, Tenant: "m1"}
			fraud := m1
			fraud.ID, fraud.Reasons, fraud.Tenant, fraud.Priority = contact.NewID(), []string{"fraud"}, "platform", priority.Urgent
			if res := store.Settle(context.Background(), []contact.Record{m1, fraud}); len(res.Failed) > 0 {
				t.Fatal(res.Failed)
			}
			chenTok, chenClaims := as("m2", "chen", tokenChen)
			if resp := call(t, h, request("POST", "/agent/claim", nil, chenTok, chenClaims)); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("m2's agent claim = %d %s, want 204: nothing of m2 waits", resp.StatusCode, resp.Body)
			}
			if resp := call(t, h, request("GET", "/agent/queues", nil, chenTok, chenClaims)); resp.StatusCode != http.StatusOK || strings.Contains(resp.Body, m1.ID) {
				t.Fatalf("m2's agent's queue view = %d %s; it must not list m1's contact", resp.StatusCode, resp.Body)
			}
			aliceTok, aliceClaims := as("m1", "alice", token)
			resp := call(t, h, request("POST", "/agent/claim", nil, aliceTok, aliceClaims))
			var claimed struct {
				Contact struct{ ID string }
				Lease   struct{ Token string }
			}
			if err := json.Unmarshal([]byte(resp.Body), &claimed); err != nil || claimed.Contact.ID != m1.ID {
				t.Fatalf("m1's agent claim = %d %s, want m1's complaint, not the platform's fraud", resp.StatusCode, resp.Body)
			}
			lease := claimed.Lease.Token
			base := "/agent/contacts/" + m1.ID
			for _, try := range []struct {
				name string
				req  apigw.Request
			}{
				{"read", func() apigw.Request {
					r := request("GET", base, nil, chenTok, chenClaims)
					r.Headers["x-lease"] = lease
					return r
				}()},
				{"reply", request("POST", base+"/reply", map[string]any{"lease": lease, "text": "mine"}, chenTok, chenClaims)},
				{"release", request("POST", base+"/release", map[string]any{"lease": lease}, chenTok, chenClaims)},
				{"extend", request("POST", base+"/extend", map[string]any{"lease": lease, "seconds": 60}, chenTok, chenClaims)},
				{"escalate", request("POST", base+"/escalate", map[string]any{"lease": lease, "priority": "urgent"}, chenTok, chenClaims)},
			} {
				if resp := call(t, h, try.req); resp.StatusCode != http.StatusNotFound || strings.Contains(resp.Body, "broken") {
					t.Errorf("%s of m1's contact by m2's agent with the lease = %d %s, want 404 like an unknown id", try.name, resp.StatusCode, resp.Body)
				}
			}
			noLease := request("GET", base, nil, aliceTok, aliceClaims)
			if resp := call(t, h, noLease); resp.StatusCode != http.StatusNotFound {
				t.Errorf("read by m1's agent without the lease = %d, want 404", resp.StatusCode)
			}
			withLease := request("GET", base, nil, aliceTok, aliceClaims)
			withLease.Headers["x-lease"] = lease
			if resp := call(t, h, withLease); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "broken") {
				t.Errorf("read by the holder = %d %s", resp.StatusCode, resp.Body)
			}
			patTok, patClaims := as("platform", "pat", tokenPlatform)
			resp = call(t, h, request("POST", "/agent/claim", nil, patTok, patClaims))
			if !strings.Contains(resp.Body, fraud.ID) {
				t.Errorf("the platform's agent claimed %d %s, want the fraud report", resp.StatusCode, resp.Body)
			}
		})
	}
}

// In jwt mode the tenant and languages come only from the verified token's claims; an agent outside the agents
// group, or without a tenant or a language, is no agent.
func TestJWTClaims(t *testing.T) {
	a := auth{mode: "jwt", group: "agents"}
	tests := []struct {
		name   string
		claims map[string]string
		ok     bool
		tenant string
	}{
		{"an agent of m1", map[string]string{"cognito:groups": "[agents]", "cognito:username": "ann", "custom:tenant": "m1", "custom:languages": "en"}, true, "m1"},
		{"not in the group", map[string]string{"cognito:groups": "[staff]", "cognito:username": "ann", "custom:tenant": "m1", "custom:languages": "en"}, false, ""},
		{"no tenant", map[string]string{"cognito:groups": "[agents]", "cognito:username": "ann", "custom:languages": "en"}, false, ""},
		{"no language", map[string]string{"cognito:groups": "[agents]", "cognito:username": "ann", "custom:tenant": "m1"}, false, ""},
		{"a language we do not serve", map[string]string{"cognito:groups": "[agents]", "cognito:username": "ann", "custom:tenant": "m1", "custom:languages": "fr"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := a.agent(request("GET", "/agent/queues", nil, "", tt.claims))
			if ok != tt.ok || got.Tenant != tt.tenant {
				t.Fatalf("agent = %+v %v, want ok %v tenant %q", got, ok, tt.ok, tt.tenant)
			}
		})
	}
	if _, ok := a.agent(request("GET", "/agent/queues", nil, "some-token", nil)); ok {
		t.Error("a bearer token without claims passed in jwt mode")
	}
}

// A claim, a read of a held conversation and an action answer with the queue overview of the agent's own tenant
// (GET /agent/queues' body), so that a console holding a conversation needs no overview poll of its own.
func TestAnswersCarryTheTenantsOverview(t *testing.T) {
	h, store := newHandler(t)
	now := time.Now()
	mk := func(merchant string) contact.Record {
		return contact.Record{Contact: contact.Contact{ID: contact.NewID(), Merchant: merchant, Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard},
			Locale: contact.English, Channel: "web", Text: "my parcel is broken", ReceivedAt: now, TokenHash: "h"},
			Status: contact.Queued, Priority: priority.High, Reasons: []string{"complaint"}, EnqueuedAt: now, UpdatedAt: now, Tenant: merchant}
	}
	first, second, other := mk("m1"), mk("m1"), mk("m2")
	if res := store.Settle(context.Background(), []contact.Record{first, second, other}); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	type answer struct {
		Contact  struct{ ID string }
		Lease    struct{ Token string }
		Overview *struct {
			Tenant  string
			Queues  []struct{ Priority string }
			Waiting []struct{ ID string }
		}
	}
	check := func(what string, resp apigw.Response) answer {
		t.Helper()
		var a answer
		if err := json.Unmarshal([]byte(resp.Body), &a); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d %s", what, resp.StatusCode, resp.Body)
		}
		switch {
		case a.Overview == nil:
			t.Errorf("%s carries no overview: %s", what, resp.Body)
		case a.Overview.Tenant != "m1" || len(a.Overview.Queues) == 0:
			t.Errorf("%s's overview is of tenant %q with %d queues, want m1's", what, a.Overview.Tenant, len(a.Overview.Queues))
		case strings.Contains(resp.Body, other.ID):
			t.Errorf("%s's overview lists m2's contact: %s", what, resp.Body)
		}
		return a
	}
	claimed := check("claim", call(t, h, request("POST", "/agent/claim", nil, token, nil)))
	read := request("GET", "/agent/contacts/"+claimed.Contact.ID, nil, token, nil)
	read.Headers["x-lease"] = claimed.Lease.Token
	check("read", call(t, h, read))
	check("reply", call(t, h, request("POST", "/agent/contacts/"+claimed.Contact.ID+"/reply",
		map[string]any{"lease": claimed.Lease.Token, "text": "Sorry: a new one is on its way."}, token, nil)))
}
