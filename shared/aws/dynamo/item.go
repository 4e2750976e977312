package dynamo

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// contactItem is a contact as stored; the queue and aging index attributes (qp/qs, ap/as) exist only while a
// person must see it.
type contactItem struct {
	PK         string `dynamodbav:"pk"`
	ID         string `dynamodbav:"id"`
	Merchant   string `dynamodbav:"merchant"`
	ShopperID  string `dynamodbav:"shopperId"`
	Tier       string `dynamodbav:"tier"`
	Locale     string `dynamodbav:"locale"`
	Channel    string `dynamodbav:"channel"`
	Text       string `dynamodbav:"text"`
	Topic      string `dynamodbav:"topic,omitempty"`
	Context    string `dynamodbav:"ctx,omitempty"`
	ReceivedAt int64  `dynamodbav:"receivedAt"`
	Recent     int    `dynamodbav:"recent,omitempty"`
	TokenHash  string `dynamodbav:"tokenHash"`
	// TokenHashes and FollowUps are only ever appended to (Join, replay), never written whole by Settle.
	TokenHashes []string           `dynamodbav:"tokenHashes,omitempty"`
	FollowUps   []contact.FollowUp `dynamodbav:"followUps,omitempty"`
	Verified    bool               `dynamodbav:"verified,omitempty"`
	Status      string             `dynamodbav:"status"`
	Answer      string             `dynamodbav:"answer,omitempty"`
	AnsweredBy  string             `dynamodbav:"answeredBy,omitempty"`
	Declined    bool               `dynamodbav:"declined,omitempty"`
	Intent      string             `dynamodbav:"intent,omitempty"`
	Template    string             `dynamodbav:"template,omitempty"`
	Confidence  float64            `dynamodbav:"confidence,omitempty"`
	Priority    string             `dynamodbav:"priority,omitempty"`
	Reasons     []string           `dynamodbav:"reasons,omitempty"`
	Suggested   []string           `dynamodbav:"suggested,omitempty"`
	EnqueuedAt  int64              `dynamodbav:"enqueuedAt,omitempty"`
	Tenant      string             `dynamodbav:"tenant,omitempty"`
	Skill       string             `dynamodbav:"skill,omitempty"`
	Shard       int                `dynamodbav:"shard,omitempty"`
	Shards      int                `dynamodbav:"shards,omitempty"`
	Reject      string             `dynamodbav:"reject,omitempty"`
	UpdatedAt   int64              `dynamodbav:"updatedAt"`
	ExpiresAt   int64              `dynamodbav:"expiresAt"`
	QP          string             `dynamodbav:"qp,omitempty"`
	QS          string             `dynamodbav:"qs,omitempty"`
	AP          string             `dynamodbav:"ap,omitempty"`
	AK          string             `dynamodbav:"ak,omitempty"`
	LeaseHash   string             `dynamodbav:"leaseHash,omitempty"`
	LeaseUntil  int64              `dynamodbav:"leaseUntil,omitempty"`
	Agent       string             `dynamodbav:"agentId,omitempty"`
	AgentSlot   int                `dynamodbav:"agentSlot,omitempty"`
	ClaimedAt   int64              `dynamodbav:"claimedAt,omitempty"`
	// The conversation (contact.Record's fields of the same names).
	BotAnswer  string `dynamodbav:"botAnswer,omitempty"`
	AnsweredAt int64  `dynamodbav:"answeredAt,omitempty"`
	Asked      bool   `dynamodbav:"asked,omitempty"`
	Last       string `dynamodbav:"last,omitempty"`
	Turn       string `dynamodbav:"turn,omitempty"`
	Unhelpful  bool   `dynamodbav:"unhelpful,omitempty"`
	Rating     int    `dynamodbav:"rating,omitempty"`
	Comment    string `dynamodbav:"comment,omitempty"`
	AgentName  string `dynamodbav:"agentName,omitempty"`
	// Pref is the agent a conversation that came back while its agent waited goes to first, until PrefUntil.
	Pref      string `dynamodbav:"pref,omitempty"`
	PrefUntil int64  `dynamodbav:"prefUntil,omitempty"`
	// PushConn is the shopper's page's WebSocket connection (push.go); only RegisterShopperPush writes it.
	PushConn string `dynamodbav:"pushConn,omitempty"`
}

func contactKey(id string) string { return "C#" + id }

// queuePartition is the queue index partition of a tenant's queue of priority p, shard shard.
func queuePartition(tenant string, p priority.Priority, shard int) string {
	return tenant + "#" + p.String() + "#" + strconv.Itoa(shard)
}

// queueKey sorts a waiting contact by when it was queued, then by id.
func queueKey(at time.Time, id string) string { return fmt.Sprintf("%013d#%s", at.UnixMilli(), id) }

// queueKeyBound is the largest sort key of waiting contacts queued by now.
func queueKeyBound(now time.Time) string { return fmt.Sprintf("%013d~", now.UnixMilli()) }

// heldKey sorts a claimed contact by when its lease ends, after every waiting one ("L" sorts after digits): a
// claim finds those whose lease has run out (heldKey <= heldBound(now)) and serves them by when they were queued.
func heldKey(until time.Time, id string) string {
	return fmt.Sprintf("L%013d#%s", until.UnixMilli(), id)
}

// heldBound is the largest sort key of claimed contacts whose lease has run out at now.
func heldBound(now time.Time) string { return fmt.Sprintf("L%013d~", now.UnixMilli()) }

// agingPartition is the aging index partition of a contact of priority p.
func agingPartition(p priority.Priority, id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return p.String() + "#" + strconv.Itoa(int(h.Sum32()%topology.AgingBuckets))
}

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
		Verified: r.Verified, Tenant: r.Tenant, Skill: r.Skill, Shard: r.Shard, Shards: r.Shards,
		Reject: r.Reject, UpdatedAt: millis(r.UpdatedAt),
		ExpiresAt: r.ReceivedAt.Add(retention).Unix(),
		BotAnswer: r.BotAnswer, AnsweredAt: millis(r.AnsweredAt), Asked: r.Asked, Last: r.Last, Turn: r.Turn,
		Unhelpful: r.Unhelpful, Rating: r.Rating, Comment: r.Comment, AgentName: r.AgentName,
	}
	if r.Context != nil {
		b, err := json.Marshal(r.Context)
		if err != nil {
			return it, fmt.Errorf("encode context of contact %s: %w", r.ID, err)
		}
		it.Context = string(b)
	}
	if r.Status == contact.Queued {
		it.QP, it.QS = queuePartition(r.Tenant, r.Priority, r.Shard), queueKey(r.EnqueuedAt, r.ID)
		it.AP, it.AK = agingPartition(r.Priority, r.ID), queueKey(r.EnqueuedAt, r.ID)
	}
	return it, nil
}

func (it contactItem) record(now time.Time) (contact.Record, error) {
	r := contact.Record{
		Contact: contact.Contact{
			ID: it.ID, Merchant: it.Merchant, Shopper: contact.Shopper{ID: it.ShopperID, Tier: contact.Tier(it.Tier)},
			Locale: contact.Locale(it.Locale), Channel: it.Channel, Text: it.Text, Topic: it.Topic,
			ReceivedAt: fromMillis(it.ReceivedAt), Recent: it.Recent, TokenHash: it.TokenHash, Verified: it.Verified,
			TokenHashes: it.TokenHashes, FollowUps: it.FollowUps,
		},
		Tenant: it.Tenant, Skill: it.Skill, Shard: it.Shard, Shards: it.Shards,
		Status: contact.Status(it.Status), Answer: it.Answer, AnsweredBy: it.AnsweredBy, Declined: it.Declined, Intent: it.Intent,
		Template: it.Template, Confidence: it.Confidence, Reasons: it.Reasons,
		Suggested: it.Suggested, EnqueuedAt: fromMillis(it.EnqueuedAt), Reject: it.Reject, UpdatedAt: fromMillis(it.UpdatedAt),
		BotAnswer: it.BotAnswer, AnsweredAt: fromMillis(it.AnsweredAt), Asked: it.Asked, Last: it.Last, Turn: it.Turn,
		Unhelpful: it.Unhelpful, Rating: it.Rating, Comment: it.Comment, AgentName: it.AgentName, PushConn: it.PushConn,
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
