package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
	"breakwater/shared/webui"
)

func TestMain(m *testing.M) { emulators.Main(m) }

func newHandler(t *testing.T) (*handler, runner.Fixture) {
	t.Helper()
	f := runner.Provisioned(t)
	return &handler{
		store:         dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour),
		queue:         intakequeue.NewIntake(f.SQS, f.QueueURL),
		page:          webui.Shopper(),
		pageH:         webui.Headers(),
		now:           time.Now,
		handleSeconds: 240,
		agents:        10,
	}, f
}

func root(t *testing.T) string {
	t.Helper()
	r, err := emulators.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSampleEvents runs every event in events/intake through the real handler against DynamoDB Local and fauxqs.
func TestSampleEvents(t *testing.T) {
	h, _ := newHandler(t)
	want := map[string]struct {
		code  int
		field string // the field a 400 must name
	}{
		"post-routine-en.json":        {202, ""},
		"post-routine-zh.json":        {202, ""},
		"post-charged-twice.json":     {202, ""},
		"post-topic-menu.json":        {202, ""},
		"post-idempotent.json":        {202, ""},
		"post-bad-empty-text.json":    {400, "text"},
		"post-bad-unknown-field.json": {400, "isAdmin"},
		"post-bad-tier.json":          {400, "shopper.tier"},
		"post-bad-json.json":          {400, "body"},
		"post-too-large.json":         {413, "body"},
		"get-unknown.json":            {404, ""},
		"get-no-token.json":           {404, ""},
		"get-page.json":               {200, ""},
	}
	events, err := eventfile.All(root(t), "intake")
	if err != nil {
		t.Fatal(err)
	}
	invoke := lambda.NewHandler(h.handle)
	for name, ev := range events {
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for sample event %s: add it to this table", name)
			}
			out, err := invoke.Invoke(context.Background(), ev)
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			var resp struct {
				StatusCode int               `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
				Body       string            `json:"body"`
			}
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatalf("decode response %s: %v", out, err)
			}
			if got := resp.StatusCode; got != w.code {
				t.Fatalf("status = %d, want %d; body %s", got, w.code, resp.Body)
			}
			if w.field != "" && !strings.Contains(resp.Body, `"field":"`+w.field+`"`) {
				t.Errorf("body %s does not name field %q", resp.Body, w.field)
			}
		})
	}
	for name := range want {
		if _, ok := events[name]; !ok {
			t.Errorf("expected sample event %s is missing from events/intake", name)
		}
	}
}

func post(t *testing.T, h *handler, body string, headers map[string]string) (int, accepted) {
	t.Helper()
	req := map[string]any{"version": "2.0", "routeKey": "POST /contacts", "rawPath": "/contacts", "body": body, "headers": headers,
		"requestContext": map[string]any{"http": map[string]any{"method": "POST", "path": "/contacts"}}}
	ev, _ := json.Marshal(req)
	out, err := lambda.NewHandler(h.handle).Invoke(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	_ = json.Unmarshal(out, &resp)
	var a accepted
	_ = json.Unmarshal([]byte(resp.Body), &a)
	return resp.StatusCode, a
}

func TestAcceptQueuesTheContactAndStatusNeedsItsToken(t *testing.T) {
	h, f := newHandler(t)
	code, a := post(t, h, `{"merchant":"m1","shopper":{"id":"s1","tier":"gold"},"text":"  where is my order  "}`, nil)
	if code != http.StatusAccepted || a.ID == "" || a.Token == "" || a.Status != "pending" {
		t.Fatalf("POST = %d %+v, want 202 with id, token, pending", code, a)
	}
	msgs, err := f.SQS.ReceiveMessage(context.Background(), receiveAll(f.QueueURL))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs.Messages) != 1 {
		t.Fatalf("intake queue holds %d messages, want 1", len(msgs.Messages))
	}
	c, err := intakequeue.Decode(*msgs.Messages[0].Body)
	if err != nil {
		t.Fatalf("decode queued message: %v", err)
	}
	if got, want := c.Text, "where is my order"; got != want {
		t.Errorf("queued text = %q, want %q (trimmed)", got, want)
	}
	if got, want := string(c.Locale), "en"; got != want {
		t.Errorf("detected locale = %q, want %q", got, want)
	}
	if strings.Contains(*msgs.Messages[0].Body, a.Token) {
		t.Errorf("the queued message carries the shopper's token; it must carry only its hash")
	}
	// The same shopper again within 30 minutes is a repeat contact.
	_, b := post(t, h, `{"merchant":"m1","shopper":{"id":"s1","tier":"gold"},"text":"hello again"}`, nil)
	msgs, _ = f.SQS.ReceiveMessage(context.Background(), receiveAll(f.QueueURL))
	if len(msgs.Messages) != 1 {
		t.Fatalf("intake queue holds %d new messages, want 1", len(msgs.Messages))
	}
	if c2, _ := intakequeue.Decode(*msgs.Messages[0].Body); c2.ID != b.ID || c2.Recent != 1 {
		t.Errorf("second contact %s recent = %d, want 1", c2.ID, c2.Recent)
	}
}

func TestIdempotencyKeyReturnsTheFirstContact(t *testing.T) {
	h, _ := newHandler(t)
	hdr := map[string]string{"idempotency-key": "order-A100-retry-0001"}
	body := `{"merchant":"m1","shopper":{"id":"s9"},"text":"is my refund done"}`
	_, first := post(t, h, body, hdr)
	code, second := post(t, h, body, hdr)
	if code != http.StatusAccepted || second.ID != first.ID || second.Token != first.Token {
		t.Fatalf("second POST with the same key = %d %+v, want the first contact %+v", code, second, first)
	}
	_, other := post(t, h, body, map[string]string{"idempotency-key": "order-A100-retry-0002"})
	if other.ID == first.ID {
		t.Errorf("a different key returned the same contact")
	}
	if code, _ := post(t, h, body, map[string]string{"idempotency-key": "bad key!"}); code != http.StatusBadRequest {
		t.Errorf("malformed key: status = %d, want 400", code)
	}
}

func TestOnlyNoMatchOffersTheMenu(t *testing.T) {
	tests := []struct {
		reasons []string
		want    bool
	}{
		{[]string{"no.match"}, true},
		{[]string{"no.match", "tier.gold", "repeat.contact"}, true},
		{[]string{"complaint", "negative.sentiment"}, false},
		{[]string{"no.match", "human.request"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := onlyNoMatch(tt.reasons); got != tt.want {
			t.Errorf("onlyNoMatch(%v) = %v, want %v", tt.reasons, got, tt.want)
		}
	}
}
