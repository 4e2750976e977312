// Package contact defines a shopper's contact, how a request becomes one, and the states it moves through.
package contact

import (
	"strings"
	"time"

	"breakwater/shared/priority"
)

// Tier is a shopper's member tier.
type Tier string

// Member tiers, lowest first.
const (
	Standard Tier = "standard"
	Silver   Tier = "silver"
	Gold     Tier = "gold"
	Platinum Tier = "platinum"
)

// Tiers lists the member tiers, lowest first.
var Tiers = []Tier{Standard, Silver, Gold, Platinum}

// Locale is the language a contact is answered in.
type Locale string

// Supported locales.
const (
	Chinese Locale = "zh-CN"
	English Locale = "en"
)

// Status is where a contact stands.
type Status string

// Contact states. Every accepted contact ends answered, resolved, rejected, or in a dead-letter queue.
const (
	Pending  Status = "pending"
	Answered Status = "answered"
	Queued   Status = "queued"
	Claimed  Status = "claimed"
	// Waiting: an agent asked the shopper something and waits for the answer, the conversation open.
	Waiting  Status = "waiting"
	Resolved Status = "resolved"
	Rejected Status = "rejected"
	// Withdrawn marks a stored contact the intake could not queue: the shopper was told to try again (503), and a
	// late delivery of its message must not answer it. No one can read it; TTL removes it.
	Withdrawn Status = "withdrawn"
)

// Shopper identifies who wrote.
type Shopper struct {
	ID   string `json:"id"`
	Tier Tier   `json:"tier"`
}

// Order is the order the storefront attached to the contact.
type Order struct {
	ID                string   `json:"id,omitempty"`
	Status            string   `json:"status,omitempty"`
	Carrier           string   `json:"carrier,omitempty"`
	TrackingNumber    string   `json:"trackingNumber,omitempty"`
	EstimatedDelivery string   `json:"estimatedDelivery,omitempty"`
	Amount            *float64 `json:"amount,omitempty"`
	Currency          string   `json:"currency,omitempty"`
}

// Product is the product the storefront attached to the contact.
type Product struct {
	SKU        string            `json:"sku,omitempty"`
	Name       string            `json:"name,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Context is what the storefront knows about the contact.
type Context struct {
	Order   *Order   `json:"order,omitempty"`
	Product *Product `json:"product,omitempty"`
	// Orders are the shopper's recent orders, when the storefront sends them: a shopper who answers the bot's
	// "which order?" with a bare number gets that order's answer.
	Orders []Order `json:"orders,omitempty"`
}

// MaxOrders bounds Context.Orders.
const MaxOrders = 20

// OrderByID returns the order of c's context with id (ignoring case and spaces), if the storefront sent it.
func (c Contact) OrderByID(id string) (Order, bool) {
	if c.Context == nil {
		return Order{}, false
	}
	want := strings.ToUpper(strings.Join(strings.Fields(id), ""))
	for _, o := range append(c.Context.Orders, derefOrder(c.Context.Order)...) {
		if o.ID != "" && strings.ToUpper(o.ID) == want {
			return o, true
		}
	}
	return Order{}, false
}

func derefOrder(o *Order) []Order {
	if o == nil {
		return nil
	}
	return []Order{*o}
}

// Contact is one accepted shopper message.
type Contact struct {
	ID         string    `json:"id"`
	Merchant   string    `json:"merchant"`
	Shopper    Shopper   `json:"shopper"`
	Locale     Locale    `json:"locale"`
	Channel    string    `json:"channel"`
	Text       string    `json:"text"`
	Topic      string    `json:"topic,omitempty"`
	Context    *Context  `json:"context,omitempty"`
	ReceivedAt time.Time `json:"receivedAt"`
	// Recent counts this shopper's earlier contacts to the merchant within RepeatWindow.
	Recent int `json:"recent,omitempty"`
	// TokenHash is the SHA-256 of the shopper's read token; the token itself is never stored.
	TokenHash string `json:"tokenHash"`
	// TokenHashes are the hashes of the contact's further read tokens: one per post that joined it or replayed it.
	TokenHashes []string `json:"tokenHashes,omitempty"`
	// FollowUps are what the shopper wrote after the first text, while the contact was still open.
	FollowUps []FollowUp `json:"followUps,omitempty"`
	// Verified is true when the merchant's storefront signed the shopper's identity and context: only then do the
	// tier and the order amount raise priority.
	Verified bool `json:"verified,omitempty"`
}

// FollowUp is one more message of the shopper on an open contact.
type FollowUp struct {
	Text string    `json:"text" dynamodbav:"text"`
	At   time.Time `json:"at" dynamodbav:"at"`
}

// ReadableWith reports whether token is one of c's read tokens.
func (c Contact) ReadableWith(token string) bool {
	if SecretMatches(token, c.TokenHash) {
		return true
	}
	for _, h := range c.TokenHashes {
		if SecretMatches(token, h) {
			return true
		}
	}
	return false
}

// RepeatWindow is how far back an earlier contact makes this one a repeat.
const RepeatWindow = 30 * time.Minute

// OrderAmount returns the attached order's amount, or 0.
func (c Contact) OrderAmount() float64 {
	if c.Context == nil || c.Context.Order == nil || c.Context.Order.Amount == nil {
		return 0
	}
	return *c.Context.Order.Amount
}

// Place is a queued contact's place in its human queue, as the shopper sees it.
type Place struct {
	Priority             priority.Priority `json:"priority"`
	Position             *int              `json:"position,omitempty"`
	EstimatedWaitSeconds *int              `json:"estimatedWaitSeconds,omitempty"`
	// AgentsOnline counts the serving team's agents at work lately who speak the shopper's language; with none,
	// there is no estimate.
	AgentsOnline *int `json:"agentsOnline,omitempty"`
}

// Record is a contact together with what happened to it.
type Record struct {
	Contact
	Status Status `json:"status"`
	// Answer is the bot's or the agent's reply, as plain text.
	Answer     string `json:"answer,omitempty"`
	AnsweredBy string `json:"answeredBy,omitempty"` // "bot" or the agent's id
	// Declined marks a bot answer that declined an off-topic question: nothing was queued.
	Declined   bool              `json:"declined,omitempty"`
	Intent     string            `json:"intent,omitempty"`
	Template   string            `json:"template,omitempty"`
	Confidence float64           `json:"confidence,omitempty"`
	Priority   priority.Priority `json:"priority,omitempty"`
	Reasons    []string          `json:"reasons,omitempty"`
	Suggested  []string          `json:"suggested,omitempty"` // template ids an agent may start from
	EnqueuedAt time.Time         `json:"enqueuedAt,omitzero"`
	// Tenant is who serves the queued contact: the merchant's own agents, or the platform's staff.
	Tenant string `json:"tenant,omitempty"`
	// Skill is what an agent must have to take it ("" for any agent of the tenant).
	Skill string `json:"skill,omitempty"`
	// Shards is how many shards the tenant's queues had when it was queued.
	Shards int `json:"shards,omitempty"`
	// Shard is which of the tenant's queue shards holds it.
	Shard     int       `json:"shard,omitempty"`
	Reject    string    `json:"reject,omitempty"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`

	// The conversation after the opening message (see Thread).
	// BotAnswer is the bot's first answer, given at AnsweredAt; Asked says it asked for something (an order
	// number) instead of answering.
	BotAnswer  string    `json:"botAnswer,omitempty"`
	AnsweredAt time.Time `json:"answeredAt,omitzero"`
	Asked      bool      `json:"asked,omitempty"`
	// Last is the id of the thread's latest stored message, "" when there is none: a page whose cursor is Last
	// need not read the thread.
	Last string `json:"last,omitempty"`
	// Turn is the shopper's follow-up that the bot has yet to answer.
	Turn string `json:"turn,omitempty"`
	// Unhelpful says the shopper marked a bot answer as not helpful; Rating (1-5) and Comment are the
	// shopper's satisfaction with the conversation.
	Unhelpful bool   `json:"unhelpful,omitempty"`
	Rating    int    `json:"rating,omitempty"`
	Comment   string `json:"comment,omitempty"`
	// AgentName is the display name of the agent who holds or last held the conversation.
	AgentName string `json:"agentName,omitempty"`
	// PushConn is the WebSocket connection the shopper's page registered for pokes ("" for none); never shown.
	PushConn string `json:"-"`
}

// Accepted is what the shopper gets back for an accepted contact.
type Accepted struct {
	ID    string
	Token string
	// Replay is true when an earlier request with the same idempotency key made this contact.
	Replay bool
}

// SettleResult says, per contact id, whether its outcome is now stored (or was already, by an earlier delivery).
type SettleResult struct {
	// Done holds ids whose outcome is stored; Duplicate marks those an earlier delivery had already settled.
	Done      []string
	Duplicate []string
	// Failed holds ids to retry, with why.
	Failed map[string]error
}
