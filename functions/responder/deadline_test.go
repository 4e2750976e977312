package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/contact"
	"breakwater/shared/triage"
)

type deciderFunc func(ctx context.Context) (*triage.Triage, error)

func (f deciderFunc) Get(ctx context.Context) (*triage.Triage, error) { return f(ctx) }

type settlerFunc func(ctx context.Context, recs []contact.Record) contact.SettleResult

func (f settlerFunc) Settle(ctx context.Context, recs []contact.Record) contact.SettleResult {
	return f(ctx, recs)
}

// Every AWS call of a batch runs under the Lambda deadline less the margin, so a slow DynamoDB makes the batch
// report its failures (SQS redelivers them) instead of being killed by the timeout with nothing reported.
func TestBatchKeepsAMarginBeforeTheLambdaDeadline(t *testing.T) {
	tri := defaultTriage(t)
	var ev events.SQSEvent
	for i, id := range []string{"c_aaaaaaaaaaaaaaaaaaaaaaaaaa", "c_bbbbbbbbbbbbbbbbbbbbbbbbbb"} {
		body, err := intakequeue.Encode(contact.Contact{ID: id, Merchant: "m1", Shopper: contact.Shopper{ID: "s1", Tier: contact.Gold},
			Locale: contact.English, Channel: "web", Text: "where is my order", ReceivedAt: time.Now(), TokenHash: contact.HashSecret("t")})
		if err != nil {
			t.Fatal(err)
		}
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m-" + string(rune('1'+i)), Body: body})
	}
	var triageDeadline, settleDeadline time.Time
	h := &handler{
		triage: deciderFunc(func(ctx context.Context) (*triage.Triage, error) {
			triageDeadline, _ = ctx.Deadline()
			return tri, nil
		}),
		store: settlerFunc(func(ctx context.Context, recs []contact.Record) contact.SettleResult {
			settleDeadline, _ = ctx.Deadline()
			<-ctx.Done() // DynamoDB never answers
			res := contact.SettleResult{Failed: map[string]error{}}
			for _, r := range recs {
				res.Failed[r.ID] = ctx.Err()
			}
			return res
		}),
		metrics: emf.New(io.Discard, "test"), now: time.Now, margin: 2 * time.Second,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2300*time.Millisecond)
	defer cancel()
	lambdaDeadline, _ := ctx.Deadline()
	resp, err := h.handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Errorf("the batch returned after the Lambda deadline")
	}
	want := lambdaDeadline.Add(-h.margin)
	if !triageDeadline.Equal(want) || !settleDeadline.Equal(want) {
		t.Errorf("deadlines: templates %s, settle %s; want the Lambda deadline less the margin, %s", triageDeadline, settleDeadline, want)
	}
	if got, want := len(resp.BatchItemFailures), len(ev.Records); got != want {
		t.Errorf("%d failures reported, want every message (%d) back to SQS", got, want)
	}
}
