package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/aws/apigw"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/humanqueue"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/webui"
)

func TestMain(m *testing.M) { emulators.Main(m) }

const token = "test-agent-token"

func newHandler(t *testing.T) (*handler, *dynamo.Contacts) {
	t.Helper()
	f := runner.Provisioned(t)
	store := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour)
	cfg := webui.ConsoleConfig{Auth: "token"}
	h := &handler{
		queues: store, triage: catalog.NewCache(dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID]), time.Minute),
		auth: auth{mode: "token", token: token}, hold: time.Minute, targets: humanqueue.DefaultTargets(),
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
		"insights-resolve-no-merchant.json": 400,
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

func (s *statsReads) Stats(context.Context, humanqueue.Targets) ([]humanqueue.Stats, error) {
	s.calls++
	return []humanqueue.Stats{{Priority: priority.Urgent, Waiting: s.calls}}, nil
}

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
			h := &handler{queues: src, auth: auth{mode: "token", token: token}, targets: humanqueue.DefaultTargets(),
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
