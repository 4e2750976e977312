package dynamo

import (
	"encoding/json"
	"fmt"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
)

// contactItem is a contact as stored; the queue index attributes qp/qs exist only while a person must see it.
type contactItem struct {
	PK         string   `dynamodbav:"pk"`
	ID         string   `dynamodbav:"id"`
	Merchant   string   `dynamodbav:"merchant"`
	ShopperID  string   `dynamodbav:"shopperId"`
	Tier       string   `dynamodbav:"tier"`
	Locale     string   `dynamodbav:"locale"`
	Channel    string   `dynamodbav:"channel"`
	Text       string   `dynamodbav:"text"`
	Topic      string   `dynamodbav:"topic,omitempty"`
	Context    string   `dynamodbav:"ctx,omitempty"`
	ReceivedAt int64    `dynamodbav:"receivedAt"`
	Recent     int      `dynamodbav:"recent,omitempty"`
	TokenHash  string   `dynamodbav:"tokenHash"`
	Status     string   `dynamodbav:"status"`
	Answer     string   `dynamodbav:"answer,omitempty"`
	AnsweredBy string   `dynamodbav:"answeredBy,omitempty"`
	Declined   bool     `dynamodbav:"declined,omitempty"`
	Intent     string   `dynamodbav:"intent,omitempty"`
	Template   string   `dynamodbav:"template,omitempty"`
	Confidence float64  `dynamodbav:"confidence,omitempty"`
	Priority   string   `dynamodbav:"priority,omitempty"`
	Reasons    []string `dynamodbav:"reasons,omitempty"`
	Suggested  []string `dynamodbav:"suggested,omitempty"`
	EnqueuedAt int64    `dynamodbav:"enqueuedAt,omitempty"`
	Reject     string   `dynamodbav:"reject,omitempty"`
	UpdatedAt  int64    `dynamodbav:"updatedAt"`
	ExpiresAt  int64    `dynamodbav:"expiresAt"`
	QP         string   `dynamodbav:"qp,omitempty"`
	QS         string   `dynamodbav:"qs,omitempty"`
	LeaseHash  string   `dynamodbav:"leaseHash,omitempty"`
	LeaseUntil int64    `dynamodbav:"leaseUntil,omitempty"`
	Agent      string   `dynamodbav:"agentId,omitempty"`
}

func contactKey(id string) string { return "C#" + id }

// queueKey sorts a queue entry by when it becomes available to agents, then by id.
func queueKey(at time.Time, id string) string { return fmt.Sprintf("%013d#%s", at.UnixMilli(), id) }

// queueKeyBound is the largest sort key of entries available at now.
func queueKeyBound(now time.Time) string { return fmt.Sprintf("%013d~", now.UnixMilli()) }

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func toItem(r contact.Record, retention time.Duration) (contactItem, error) {
	it := contactItem{
		PK: contactKey(r.ID), ID: r.ID, Merchant: r.Merchant, ShopperID: r.Shopper.ID, Tier: string(r.Shopper.Tier),
		Locale: string(r.Locale), Channel: r.Channel, Text: r.Text, Topic: r.Topic,
		ReceivedAt: millis(r.ReceivedAt), Recent: r.Recent, TokenHash: r.TokenHash, Status: string(r.Status),
		Answer: r.Answer, AnsweredBy: r.AnsweredBy, Declined: r.Declined, Intent: r.Intent, Template: r.Template, Confidence: r.Confidence,
		Priority: r.Priority.String(), Reasons: r.Reasons, Suggested: r.Suggested, EnqueuedAt: millis(r.EnqueuedAt),
		Reject: r.Reject, UpdatedAt: millis(r.UpdatedAt),
		ExpiresAt: r.ReceivedAt.Add(retention).Unix(),
	}
	if r.Context != nil {
		b, err := json.Marshal(r.Context)
		if err != nil {
			return it, fmt.Errorf("encode context of contact %s: %w", r.ID, err)
		}
		it.Context = string(b)
	}
	if r.Status == contact.Queued {
		it.QP, it.QS = r.Priority.String(), queueKey(r.EnqueuedAt, r.ID)
	}
	return it, nil
}

func (it contactItem) record(now time.Time) (contact.Record, error) {
	r := contact.Record{
		Contact: contact.Contact{
			ID: it.ID, Merchant: it.Merchant, Shopper: contact.Shopper{ID: it.ShopperID, Tier: contact.Tier(it.Tier)},
			Locale: contact.Locale(it.Locale), Channel: it.Channel, Text: it.Text, Topic: it.Topic,
			ReceivedAt: fromMillis(it.ReceivedAt), Recent: it.Recent, TokenHash: it.TokenHash,
		},
		Status: contact.Status(it.Status), Answer: it.Answer, AnsweredBy: it.AnsweredBy, Declined: it.Declined, Intent: it.Intent,
		Template: it.Template, Confidence: it.Confidence, Reasons: it.Reasons,
		Suggested: it.Suggested, EnqueuedAt: fromMillis(it.EnqueuedAt), Reject: it.Reject, UpdatedAt: fromMillis(it.UpdatedAt),
	}
	p, err := priority.Parse(it.Priority)
	if err != nil {
		return r, fmt.Errorf("decode contact %s: %w", it.ID, err)
	}
	r.Priority = p
	// A lease that ran out puts the contact back in its queue; the item catches up at the next claim.
	if r.Status == contact.Claimed && !humanqueue.Held(fromMillis(it.LeaseUntil), now) {
		r.Status = contact.Queued
	}
	if it.Context != "" {
		r.Context = new(contact.Context)
		if err := json.Unmarshal([]byte(it.Context), r.Context); err != nil {
			return r, fmt.Errorf("decode context of contact %s: %w", it.ID, err)
		}
	}
	return r, nil
}
