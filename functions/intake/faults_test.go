package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"net/http"
	"testing"
	"time"

	"breakwater/shared/aws/apigw"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/contact"
)

// queueFunc is a fake intake queue.
type queueFunc func(ctx context.Context, c contact.Contact) error

func (f queueFunc) Send(ctx context.Context, c contact.Contact) error { return f(ctx, c) }

// SendTurn is not reached by these tests: they post new contacts only.
func (f queueFunc) SendTurn(context.Context, string, string) error {
	return errors.New("not in this test")
}

// A first attempt can die after storing the contact and before queueing it (a function timeout): the retry with
// the same Idempotency-Key must queue it, or the shopper holds a 202 for a contact nobody will ever see.
func TestReplayQueuesAContactTheFirstAttemptNeverQueued(t *testing.T) {
	h, f := newHandler(t)
	store := h.store.(*dynamo.Contacts)
	body := `{"merchant":"m1","shopper":{"id":"s7"},"text":"where is my order"}`
	r, err := contact.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c, err := contact.New(r, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.ID, c.TokenHash = contact.NewID(), contact.HashSecret("first-token")
	sum := sha256.Sum256([]byte(body))
	if _, err := store.Accept(context.Background(), c, "first-token", "order-77-attempt", hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	code, a := post(t, h, body, map[string]string{"Idempotency-Key": "order-77-attempt"})
	if code != http.StatusAccepted || a.ID != c.ID || a.Token == "" || a.Token == "first-token" {
		t.Fatalf("replay = %d %+v, want 202 with the first contact %s and a token of its own", code, a, c.ID)
	}
	if got, err := store.Get(context.Background(), c.ID); err != nil || !got.ReadableWith(a.Token) || !got.ReadableWith("first-token") {
		t.Fatalf("after the replay, contact %s reads with the new token %v and the first %v (%v)", c.ID, got.ReadableWith(a.Token), got.ReadableWith("first-token"), err)
	}
	msgs, err := f.SQS.ReceiveMessage(context.Background(), receiveAll(f.QueueURL))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs.Messages) != 1 {
		t.Fatalf("intake queue holds %d messages, want the replayed contact", len(msgs.Messages))
	}
	if got, err := intakequeue.Decode(*msgs.Messages[0].Body); err != nil || got.ID != c.ID {
		t.Errorf("queued %+v (%v), want contact %s", got.ID, err, c.ID)
	}
}

// When the queue cannot take a contact, the shopper gets 503 and the contact is withdrawn before the Lambda deadline;
// a late delivery of its message (SQS did the work but the answer was lost) must not answer it.
func TestFailedSendWithdrawsBeforeTheDeadline(t *testing.T) {
	h, f := newHandler(t)
	h.margin = 3 * time.Second
	var sendDeadline time.Time
	var sent contact.Contact
	h.queue = queueFunc(func(ctx context.Context, c contact.Contact) error {
		sendDeadline, _ = ctx.Deadline()
		sent = c
		<-ctx.Done() // SQS never answers
		return ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second) // 3 s for the accept, even on a busy machine
	defer cancel()
	lambdaDeadline, _ := ctx.Deadline()
	resp, err := h.handle(ctx, postRequest(`{"merchant":"m1","shopper":{"id":"s8"},"text":"where is my order"}`, map[string]string{"idempotency-key": "order-78-attempt"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.StatusCode, http.StatusServiceUnavailable; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := sendDeadline, lambdaDeadline.Add(-h.margin); !got.Equal(want) {
		t.Errorf("send deadline = %s, want the Lambda deadline less the margin, %s", got, want)
	}
	store := h.store.(*dynamo.Contacts)
	rec, err := store.Get(context.Background(), sent.ID)
	if err != nil {
		t.Fatalf("read withdrawn contact: %v", err)
	}
	if rec.Status != contact.Withdrawn || rec.Text != "" {
		t.Errorf("contact after a failed send = %s with text %q, want withdrawn without text", rec.Status, rec.Text)
	}
	// The message arrives after all: the responder's settle finds the contact already settled.
	res := store.Settle(context.Background(), []contact.Record{{Contact: sent, Status: contact.Answered, Answer: "late", UpdatedAt: time.Now()}})
	if len(res.Duplicate) != 1 {
		t.Errorf("settle of a withdrawn contact = %+v, want a duplicate", res)
	}
	if rec, _ := store.Get(context.Background(), sent.ID); rec.Status != contact.Withdrawn {
		t.Errorf("a late message turned the withdrawn contact into %s", rec.Status)
	}
	// The key was forgotten: the storefront's retry makes a fresh contact, which is queued.
	h.queue = intakequeue.NewIntake(f.SQS, f.QueueURL)
	code, a := post(t, h, `{"merchant":"m1","shopper":{"id":"s8"},"text":"where is my order"}`, map[string]string{"idempotency-key": "order-78-attempt"})
	if code != http.StatusAccepted || a.ID == sent.ID {
		t.Errorf("retry = %d %+v, want 202 with a new contact", code, a)
	}
	// Nobody can read a withdrawn contact.
	if code := getStatus(t, h, sent.ID, "any-token"); code != http.StatusNotFound {
		t.Errorf("GET withdrawn contact = %d, want 404", code)
	}
}

func postRequest(body string, headers map[string]string) (req apigw.Request) {
	h := map[string]string{"content-type": "application/json"}
	maps.Copy(h, headers)
	req.RouteKey, req.RawPath, req.Body, req.Headers = "POST /contacts", "/contacts", body, h
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = "POST", "/contacts"
	return req
}

func getStatus(t *testing.T, h *handler, id, token string) int {
	t.Helper()
	var req apigw.Request
	req.RouteKey, req.RawPath = "GET /contacts/{id}", "/contacts/"+id
	req.PathParameters = map[string]string{"id": id}
	req.Headers = map[string]string{"x-contact-token": token}
	req.RequestContext.HTTP.Method = "GET"
	resp, err := h.handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

// SQS took the message but its answer was lost, and the responder settled the contact before the intake gave up:
// the shopper gets the contact (202), not a 503 that would make the storefront post the same question again.
func TestSendReportedFailedButSettledIsAccepted(t *testing.T) {
	h, _ := newHandler(t)
	store := h.store.(*dynamo.Contacts)
	h.queue = queueFunc(func(ctx context.Context, c contact.Contact) error {
		if res := store.Settle(ctx, []contact.Record{{Contact: c, Status: contact.Answered, Answer: "on its way", UpdatedAt: time.Now()}}); len(res.Done) != 1 {
			t.Errorf("settle = %+v", res)
		}
		return context.DeadlineExceeded
	})
	code, a := post(t, h, `{"merchant":"m1","shopper":{"id":"s9"},"text":"where is my order"}`, map[string]string{"Idempotency-Key": "order-79-attempt"})
	if code != http.StatusAccepted || a.ID == "" {
		t.Fatalf("POST = %d %+v, want 202 with the settled contact", code, a)
	}
	if rec, err := store.Get(context.Background(), a.ID); err != nil || rec.Status != contact.Answered {
		t.Errorf("contact = %+v, %v; want it answered", rec.Status, err)
	}
	// The key still returns it.
	if code, again := post(t, h, `{"merchant":"m1","shopper":{"id":"s9"},"text":"where is my order"}`, map[string]string{"Idempotency-Key": "order-79-attempt"}); code != http.StatusAccepted || again.ID != a.ID {
		t.Errorf("repost = %d %+v, want %s", code, again, a.ID)
	}
}

// A storefront that retries a post the intake refused (503) sends the same Idempotency-Key: the retry is the same
// contact, so it must not count as the shopper's repeat contact and raise its priority. A new post is a repeat.
func TestRetryWithTheSameKeyIsNotARepeatContact(t *testing.T) {
	h, f := newHandler(t)
	real := h.queue
	failures := 1
	h.queue = queueFunc(func(ctx context.Context, c contact.Contact) error {
		if failures > 0 {
			failures--
			return errors.New("queue unavailable")
		}
		return real.Send(ctx, c)
	})
	body := `{"merchant":"m1","shopper":{"id":"s-retry"},"text":"where is my order"}`
	key := map[string]string{"Idempotency-Key": "order-81-attempt"}
	if code, _ := post(t, h, body, key); code != http.StatusServiceUnavailable {
		t.Fatalf("first POST = %d, want 503 while the queue fails", code)
	}
	tests := []struct {
		name   string
		key    map[string]string
		recent int
	}{
		{"retry with the same key", key, 0},
		{"a new post of the same shopper", map[string]string{"Idempotency-Key": "order-81-second"}, 1},
		{"a new post without a key", nil, 1},
	}
	for _, tt := range tests {
		code, a := post(t, h, body, tt.key)
		if code != http.StatusAccepted {
			t.Fatalf("%s: POST = %d, want 202", tt.name, code)
		}
		msgs, err := f.SQS.ReceiveMessage(context.Background(), receiveAll(f.QueueURL))
		if err != nil || len(msgs.Messages) != 1 {
			t.Fatalf("%s: %d messages queued (%v), want 1", tt.name, len(msgs.Messages), err)
		}
		c, err := intakequeue.Decode(*msgs.Messages[0].Body)
		if err != nil || c.ID != a.ID {
			t.Fatalf("%s: queued %s (%v), want %s", tt.name, c.ID, err, a.ID)
		}
		if c.Recent != tt.recent {
			t.Errorf("%s: recent = %d, want %d", tt.name, c.Recent, tt.recent)
		}
	}
}
