package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/storefront"
	"breakwater/shared/topology"
	"breakwater/shared/webui"
)

func TestMain(m *testing.M) { emulators.Main(m) }

func newHandler(t *testing.T) (*handler, runner.Fixture) {
	t.Helper()
	f := runner.Provisioned(t)
	return &handler{
		store:         dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour).WithMessages(f.Tables[topology.Messages.ID]),
		queue:         intakequeue.NewIntake(f.SQS, f.QueueURL),
		page:          webui.Shopper(),
		pageH:         webui.Headers(),
		now:           time.Now,
		handleSeconds: 240,
		keys:          testKeys(),
	}, f
}

func testKeys() storefront.StaticKeys { return storefront.StaticKeys{"m1": {testKey}} }

// testKey is merchant m1's storefront key in these tests.
var testKey = storefront.Key{ID: "test-1", Secret: []byte("0123456789abcdef0123456789abcdef")}

// signed is m1's storefront signature of shopper with tier and an order of amount in currency, made at at.
func signed(t *testing.T, shopper, tier string, amount float64, currency string, at time.Time) string {
	t.Helper()
	tok, err := storefront.Sign(testKey, "m1", shopper, tier, &storefront.Order{ID: "A1", Amount: &amount, Currency: currency}, at, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
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
		"post-routine-en.json":                 {202, ""},
		"post-routine-zh.json":                 {202, ""},
		"post-charged-twice.json":              {202, ""},
		"post-topic-menu.json":                 {202, ""},
		"post-idempotent.json":                 {202, ""},
		"post-bad-empty-text.json":             {400, "text"},
		"post-bad-unknown-field.json":          {400, "isAdmin"},
		"post-bad-tier.json":                   {400, "shopper.tier"},
		"post-bad-json.json":                   {400, "body"},
		"post-too-large.json":                  {413, "body"},
		"get-unknown.json":                     {404, ""},
		"get-no-token.json":                    {404, ""},
		"get-page.json":                        {200, ""},
		"post-message-unknown.json":            {404, ""},
		"post-message-bad-client-id.json":      {400, "clientMessageId"},
		"post-feedback-unhelpful-unknown.json": {404, ""},
		"post-feedback-bad-rating.json":        {400, "rating"},
		"get-after-bad-cursor.json":            {400, "after"},
		"put-push-unknown.json":                {404, ""},
		"put-push-bad-connection.json":         {400, "connectionId"},
		"post-signed-gold.json":                {202, ""}, // {{identity}} unfilled here: accepted as an anonymous shopper
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
	if headers == nil {
		headers = map[string]string{}
	}
	if _, ok := headers["content-type"]; !ok {
		headers["content-type"] = "application/json"
	}
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
	if code != http.StatusAccepted || second.ID != first.ID || second.Token == "" {
		t.Fatalf("second POST with the same key = %d %+v, want the first contact %+v", code, second, first)
	}
	// The first token is stored nowhere, so a replay gets a token of its own; both read the contact.
	for _, tok := range []string{first.Token, second.Token} {
		if code := get(t, h, first.ID, tok); code != http.StatusOK {
			t.Errorf("GET with token of one of the two posts = %d, want 200", code)
		}
	}
	if code, _ := post(t, h, `{"merchant":"m1","shopper":{"id":"s9"},"text":"something else"}`, hdr); code != http.StatusUnprocessableEntity {
		t.Errorf("the same key with another body = %d, want 422", code)
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

func get(t *testing.T, h *handler, id, token string) int {
	t.Helper()
	req := map[string]any{"version": "2.0", "routeKey": "GET /contacts/{id}", "rawPath": "/contacts/" + id,
		"pathParameters": map[string]string{"id": id}, "headers": map[string]string{"x-contact-token": token},
		"requestContext": map[string]any{"http": map[string]any{"method": "GET", "path": "/contacts/" + id}}}
	ev, _ := json.Marshal(req)
	out, err := lambda.NewHandler(h.handle).Invoke(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int `json:"statusCode"`
	}
	_ = json.Unmarshal(out, &resp)
	return resp.StatusCode
}

// queuedContact reads the last contact put on the intake queue.
func queuedContact(t *testing.T, f runner.Fixture) contact.Contact {
	t.Helper()
	msgs, err := f.SQS.ReceiveMessage(context.Background(), receiveAll(f.QueueURL))
	if err != nil || len(msgs.Messages) == 0 {
		t.Fatalf("no message on the intake queue: %v", err)
	}
	c, err := intakequeue.Decode(*msgs.Messages[len(msgs.Messages)-1].Body)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Only a storefront's valid, fresh signature makes a shopper's tier and order amount count; anything else is
// accepted as an anonymous shopper, never refused.
func TestStorefrontSignature(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name     string
		identity func(t *testing.T) string
		verified bool
		tier     contact.Tier
		amount   float64
	}{
		{"no signature: the claimed platinum tier and amount count for nothing", func(*testing.T) string { return "" }, false, contact.Standard, 0},
		{"valid", func(t *testing.T) string { return signed(t, "s1", "gold", 880, "usd", now) }, true, contact.Gold, 880},
		{"expired", func(t *testing.T) string { return signed(t, "s1", "gold", 880, "USD", now.Add(-time.Hour)) }, false, contact.Standard, 0},
		{"another shopper's", func(t *testing.T) string { return signed(t, "s2", "gold", 880, "USD", now) }, false, contact.Standard, 0},
		{"tampered", func(t *testing.T) string { return signed(t, "s1", "gold", 880, "USD", now) + "x" }, false, contact.Standard, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, f := newHandler(t)
			body := `{"merchant":"m1","shopper":{"id":"s1","tier":"platinum"},"text":"hello",` +
				`"context":{"order":{"id":"A1","amount":99999,"currency":"USD"}},"identity":"` + tt.identity(t) + `"}`
			if code, _ := post(t, h, body, nil); code != http.StatusAccepted {
				t.Fatalf("POST = %d, want 202 whatever the signature", code)
			}
			c := queuedContact(t, f)
			if c.Verified != tt.verified || c.Shopper.Tier != tt.tier {
				t.Fatalf("verified %v tier %s, want %v %s", c.Verified, c.Shopper.Tier, tt.verified, tt.tier)
			}
			if tt.verified && (c.OrderAmount() != tt.amount || c.Context.Order.Currency != "USD") {
				t.Errorf("order amount %v %s, want the signed %v USD", c.OrderAmount(), c.Context.Order.Currency, tt.amount)
			}
		})
	}
}

// A cross-site form cannot post contacts: only JSON is accepted.
func TestOnlyJSONIsAccepted(t *testing.T) {
	h, _ := newHandler(t)
	body := `{"merchant":"m1","shopper":{"id":"s1"},"text":"hello"}`
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		if code, _ := post(t, h, body, map[string]string{"content-type": ct}); code != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: %d, want 415", ct, code)
		}
	}
	if code, _ := post(t, h, body, map[string]string{"content-type": "application/json; charset=utf-8"}); code != http.StatusAccepted {
		t.Errorf("JSON with a charset: %d, want 202", code)
	}
	if code, _ := post(t, h, `{"merchant":"m1","merchant":"m2","shopper":{"id":"s1"},"text":"hello"}`, nil); code != http.StatusBadRequest {
		t.Errorf("a duplicate key: %d, want 400", code)
	}
}

// A verified shopper who writes again while a contact is open joins it; an anonymous one cannot (anyone could
// claim that id), and an anonymous shopper may have at most dynamo.MaxOpen open contacts with one merchant.
func TestRepeatContactsJoinOrAreLimited(t *testing.T) {
	h, f := newHandler(t)
	now := time.Now()
	first := `{"merchant":"m1","shopper":{"id":"v1"},"text":"where is my refund","identity":"` + signed(t, "v1", "silver", 10, "USD", now) + `"}`
	_, a := post(t, h, first, nil)
	again := `{"merchant":"m1","shopper":{"id":"v1"},"text":"it was order A1","identity":"` + signed(t, "v1", "silver", 10, "USD", now) + `"}`
	code, b := post(t, h, again, nil)
	if code != http.StatusAccepted || b.ID != a.ID || !b.Joined || b.Token == a.Token {
		t.Fatalf("second post of a verified shopper = %d %+v, want to join %s with a token of its own", code, b, a.ID)
	}
	r, err := h.store.Get(context.Background(), a.ID)
	if err != nil || len(r.FollowUps) != 1 || r.FollowUps[0].Text != "it was order A1" || !r.ReadableWith(b.Token) {
		t.Fatalf("joined contact = %+v, %v", r.FollowUps, err)
	}
	// The joined text is in the thread too, and the bot got the turn: the queue holds the first post and the turn.
	if th, err := h.store.Thread(context.Background(), a.ID, ""); err != nil || len(th) != 1 || th[0].Text != "it was order A1" {
		t.Fatalf("thread of the joined contact = %+v, %v", th, err)
	}
	msgs, err := f.SQS.ReceiveMessage(context.Background(), receiveAll(f.QueueURL))
	if err != nil {
		t.Fatal(err)
	}
	var contacts, turns int
	for _, m := range msgs.Messages {
		c, turn, err := intakequeue.Read(*m.Body)
		switch {
		case err != nil:
			t.Fatal(err)
		case turn != nil && turn.Contact == a.ID:
			turns++
		case turn == nil && c.ID == a.ID:
			contacts++
		}
	}
	if contacts != 1 || turns != 1 {
		t.Fatalf("intake queue holds %d contacts and %d turns of %s, want 1 and 1", contacts, turns, a.ID)
	}
	var ids []string
	for i := range dynamo.MaxOpen {
		_, c := post(t, h, fmt.Sprintf(`{"merchant":"m1","shopper":{"id":"anon1"},"text":"question %d"}`, i), nil)
		ids = append(ids, c.ID)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != dynamo.MaxOpen {
		t.Fatalf("anonymous posts joined each other: %v", ids)
	}
	if code, _ := post(t, h, `{"merchant":"m1","shopper":{"id":"anon1"},"text":"one more"}`, nil); code != http.StatusTooManyRequests {
		t.Errorf("post number %d of an anonymous shopper with all open = %d, want 429", dynamo.MaxOpen+1, code)
	}
	if code, _ := post(t, h, `{"merchant":"m1","shopper":{"id":"anon2"},"text":"another shopper"}`, nil); code != http.StatusAccepted {
		t.Errorf("another shopper = %d, want 202", code)
	}
}

// send posts body to the contact's messages or feedback route and returns the HTTP status.
func send(t *testing.T, h *handler, id, token, route, body string) int {
	t.Helper()
	path := "/contacts/" + id + "/" + route
	req := map[string]any{"version": "2.0", "routeKey": "POST /contacts/{id}/" + route, "rawPath": path, "body": body,
		"pathParameters": map[string]string{"id": id}, "headers": map[string]string{"x-contact-token": token, "content-type": "application/json"},
		"requestContext": map[string]any{"http": map[string]any{"method": "POST", "path": path}}}
	ev, _ := json.Marshal(req)
	out, err := lambda.NewHandler(h.handle).Invoke(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int `json:"statusCode"`
	}
	_ = json.Unmarshal(out, &resp)
	return resp.StatusCode
}
