package main

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/contact"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
)

// decider is the part of *catalog.Cache the responder uses.
type decider interface {
	Get(ctx context.Context) (*triage.Triage, error)
}

// settler is the part of *dynamo.Contacts the responder uses.
type settler interface {
	Settle(ctx context.Context, recs []contact.Record) contact.SettleResult
}

type handler struct {
	triage  decider
	store   settler
	metrics *emf.Writer
	now     func() time.Time
	// margin is kept free before the Lambda deadline so failures are still reported, not lost to a timeout.
	margin time.Duration
}

// suggestions is how many of the best templates an agent is offered to start a reply from.
const suggestions = 3

var contactIDPattern = regexp.MustCompile(`^c_[a-z2-7]{26}$`)

func (h *handler) handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-h.margin))
		defer cancel()
	}
	var resp events.SQSEventResponse
	fail := func(messageID string) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: messageID})
	}
	tri, err := h.triage.Get(ctx)
	if err != nil {
		slog.ErrorContext(ctx, "templates not loaded; retrying the whole batch", "messages", len(ev.Records), "err", err)
		for _, m := range ev.Records {
			fail(m.MessageId)
		}
		return resp, nil
	}
	now := h.now().UTC()
	recs := make([]contact.Record, 0, len(ev.Records))
	messages := make(map[string][]string, len(ev.Records)) // contact id -> message ids carrying it
	for _, m := range ev.Records {
		rec, ok := h.decide(ctx, tri, m, now)
		if !ok {
			fail(m.MessageId) // untraceable: retries end in the DLQ, whose alarm calls a person
			continue
		}
		if _, seen := messages[rec.ID]; !seen {
			recs = append(recs, rec)
		}
		messages[rec.ID] = append(messages[rec.ID], m.MessageId)
	}
	res := h.store.Settle(ctx, recs)
	for id, err := range res.Failed {
		slog.ErrorContext(ctx, "contact not settled; SQS will redeliver it", "contact", id, "err", err)
		for _, mid := range messages[id] {
			fail(mid)
		}
	}
	h.count(ctx, recs, res)
	return resp, nil
}

// decide turns one message into the contact's outcome. ok is false for a message that cannot be tied to a contact.
func (h *handler) decide(ctx context.Context, tri *triage.Triage, m events.SQSMessage, now time.Time) (contact.Record, bool) {
	c, err := intakequeue.Decode(m.Body)
	if err != nil {
		id := ""
		if a, ok := m.MessageAttributes[intakequeue.ContactIDAttribute]; ok && a.StringValue != nil {
			id = *a.StringValue
		}
		if !contactIDPattern.MatchString(id) {
			slog.ErrorContext(ctx, "malformed message with no contact id; left for the dead-letter queue", "message", m.MessageId, "err", err)
			return contact.Record{}, false
		}
		slog.WarnContext(ctx, "malformed message rejected", "contact", id, "message", m.MessageId, "err", err)
		reason := "the message could not be read"
		if errors.Is(err, intakequeue.ErrMalformed) {
			reason = err.Error()
		}
		return contact.Record{Contact: contact.Contact{ID: id}, Status: contact.Rejected, Reject: reason, UpdatedAt: now}, true
	}
	d := tri.Decide(c, now)
	rec := contact.Record{Contact: c, Intent: d.Intent, Template: d.Template, Confidence: d.Confidence, UpdatedAt: now}
	if d.Auto || d.Decline {
		rec.Status, rec.Answer, rec.AnsweredBy, rec.Declined = contact.Answered, d.Answer, "bot", d.Decline
		return rec, true
	}
	rec.Status, rec.Priority, rec.Reasons, rec.EnqueuedAt = contact.Queued, d.Priority, d.Reasons, now
	for _, cand := range d.Candidates[:min(suggestions, len(d.Candidates))] {
		rec.Suggested = append(rec.Suggested, cand.Template.ID)
	}
	return rec, true
}

func (h *handler) count(ctx context.Context, recs []contact.Record, res contact.SettleResult) {
	dup := make(map[string]bool, len(res.Duplicate))
	for _, id := range res.Duplicate {
		dup[id] = true
	}
	answered, declined, rejected := 0.0, 0.0, 0.0
	queued := map[string]float64{}
	for _, r := range recs {
		if _, failed := res.Failed[r.ID]; failed || dup[r.ID] {
			continue
		}
		switch r.Status {
		case contact.Answered:
			if r.Declined {
				declined++
			} else {
				answered++
			}
		case contact.Rejected:
			rejected++
		case contact.Queued:
			queued[r.Priority.String()]++
		}
	}
	err := h.metrics.Emit(nil, emf.Count, map[string]float64{topology.MetricAnswered: answered, topology.MetricDeclined: declined, topology.MetricRejected: rejected})
	for p, n := range queued {
		err = errors.Join(err, h.metrics.Emit(map[string]string{topology.DimensionPriority: p}, emf.Count, map[string]float64{topology.MetricQueued: n}))
	}
	if err != nil {
		slog.WarnContext(ctx, "metrics not written", "err", err)
	}
	slog.InfoContext(ctx, "batch settled", "contacts", len(recs), "answered", answered, "declined", declined, "queued", len(recs)-int(answered)-int(declined)-int(rejected)-len(res.Failed)-len(res.Duplicate), "rejected", rejected, "duplicates", len(res.Duplicate), "failed", len(res.Failed))
}
