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
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
	"breakwater/shared/webui"
)

func TestMain(m *testing.M) { emulators.Main(m) }

const token = "test-agent-token"

func newHandler(t *testing.T) (*handler, *dynamo.Contacts) {
	t.Helper()
	f := runner.Provisioned(t)
	store := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour)
	cfg := webui.ConsoleConfig{Auth: "token"}
	return &handler{
		queues: store, triage: triage.NewCache(dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID]), time.Minute),
		auth: auth{mode: "token", token: token}, hold: time.Minute, targets: priority.DefaultTargets(),
		page: webui.Console(cfg), pageH: cfg.Headers(),
	}, store
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

// queue puts a contact straight into a human queue, enqueued at the given time.
func queue(t *testing.T, store *dynamo.Contacts, id string, p priority.Priority, at time.Time) {
	t.Helper()
	r := contact.Record{
		Contact: contact.Contact{ID: id, Merchant: "m1", Shopper: contact.Shopper{ID: "s-" + id, Tier: contact.Standard},
			Locale: contact.English, Channel: "web", Text: "help " + id, ReceivedAt: at, TokenHash: contact.HashSecret("x")},
		Status: contact.Queued, Priority: p.String(), Reasons: []string{"test"}, EnqueuedAt: at, UpdatedAt: at,
	}
	if res := store.Settle(context.Background(), []contact.Record{r}); len(res.Failed) > 0 {
		t.Fatalf("queue %s: %v", id, res.Failed)
	}
}

func claimID(t *testing.T, store *dynamo.Contacts) string {
	t.Helper()
	r, _, err := store.Claim(context.Background(), "a1", time.Minute, priority.DefaultTargets())
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return r.ID
}

// TestAgingPreventsStarvation: a contact past its priority's target is served before newer, higher-priority ones.
func TestAgingPreventsStarvation(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		queue func(t *testing.T, s *dynamo.Contacts)
		order []string
	}{
		{"priority first while everyone is within target", func(t *testing.T, s *dynamo.Contacts) {
			queue(t, s, "low-new", priority.Low, now.Add(-time.Minute))
			queue(t, s, "normal-new", priority.Normal, now.Add(-2*time.Minute))
			queue(t, s, "urgent-new", priority.Urgent, now.Add(-10*time.Second))
			queue(t, s, "high-new", priority.High, now.Add(-time.Minute))
		}, []string{"urgent-new", "high-new", "normal-new", "low-new"}},
		{"an hour-old low contact goes before a new urgent one", func(t *testing.T, s *dynamo.Contacts) {
			queue(t, s, "urgent-new", priority.Urgent, now.Add(-10*time.Second))
			queue(t, s, "low-old", priority.Low, now.Add(-61*time.Minute))
			queue(t, s, "normal-old", priority.Normal, now.Add(-16*time.Minute))
		}, []string{"normal-old", "low-old", "urgent-new"}},
		{"within one priority, longest wait first", func(t *testing.T, s *dynamo.Contacts) {
			queue(t, s, "high-2", priority.High, now.Add(-2*time.Minute))
			queue(t, s, "high-1", priority.High, now.Add(-3*time.Minute))
		}, []string{"high-1", "high-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, store := newHandler(t)
			tt.queue(t, store)
			var got []string
			for range tt.order {
				got = append(got, claimID(t, store))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.order) {
				t.Errorf("claim order = %v, want %v", got, tt.order)
			}
			if _, _, err := store.Claim(context.Background(), "a1", time.Minute, priority.DefaultTargets()); err == nil {
				t.Errorf("a claim with every contact held succeeded")
			}
		})
	}
}

// TestConcurrentAgentsNeverShareAContact: ten agents claiming at once each get a different contact.
func TestConcurrentAgentsNeverShareAContact(t *testing.T) {
	_, store := newHandler(t)
	for i := range 10 {
		queue(t, store, fmt.Sprintf("c%02d", i), priority.Normal, time.Now().Add(-time.Duration(i)*time.Second))
	}
	ids := make(chan string, 10)
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			r, _, err := store.Claim(context.Background(), "a", time.Minute, priority.DefaultTargets())
			if err != nil {
				errs <- err
				return
			}
			ids <- r.ID
		}()
	}
	seen := map[string]bool{}
	for range 10 {
		select {
		case id := <-ids:
			if seen[id] {
				t.Errorf("contact %s handed to two agents", id)
			}
			seen[id] = true
		case err := <-errs:
			t.Errorf("claim: %v", err)
		}
	}
}

// statsReads is a queues whose Stats counts its calls; the other methods are not used.
type statsReads struct {
	queues
	calls int
}

func (s *statsReads) Stats(context.Context, priority.Targets) ([]dynamo.QueueStats, error) {
	s.calls++
	return []dynamo.QueueStats{{Priority: priority.Urgent, Waiting: s.calls}}, nil
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
			h := &handler{queues: src, auth: auth{mode: "token", token: token}, targets: priority.DefaultTargets(),
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
