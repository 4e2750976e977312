package voice

import (
	"slices"
	"strings"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/intent"
)

// Kind is what happened to a contact, as the voice of the customer sees it.
type Kind string

// Kinds of voices.
const (
	Answered  Kind = "answered"  // the bot answered from a template
	HandedOff Kind = "handoff"   // a guard, or no fitting template, sent it to a person
	Unhelpful Kind = "unhelpful" // the shopper said the bot's answer did not help (feedback)
	Comment   Kind = "comment"   // a satisfaction survey comment
)

// Voice is one shopper's message and what came of it, with personal data masked. It is what voice stores: never
// the contact's raw text, token or context.
type Voice struct {
	ID       string    `json:"id"` // the contact's id (a feedback's id for feedback)
	Merchant string    `json:"merchant"`
	At       time.Time `json:"at"` // when the shopper wrote
	Locale   string    `json:"locale"`
	Channel  string    `json:"channel,omitempty"`
	Kind     Kind      `json:"kind"`
	// Intent is the intent the bot answered, or for a hand-off the matcher's best guess.
	Intent  string   `json:"intent,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	// Template is the template the bot answered with, or the one the agent's reply started from.
	Template string `json:"template,omitempty"`
	Text     string `json:"text"`
	// Reply is the agent's reply, masked; empty until a person answered.
	Reply   string `json:"reply,omitempty"`
	SKU     string `json:"sku,omitempty"`
	Carrier string `json:"carrier,omitempty"`
	// CSAT is the satisfaction score from 1 to 5 that came with a Comment, 0 when none.
	CSAT int `json:"csat,omitempty"`
}

// LaneText holds the voices that are clustered by what they say: hand-offs, unhelpful answers and comments.
// A bot-answered voice is in the lane of its intent, "intent:<intent>", and counted there, not clustered.
const LaneText = "text"

// Lane is where v is grouped: its intent when the bot answered it, otherwise the text lane.
func (v Voice) Lane() string {
	if v.Kind == Answered && v.Intent != "" {
		return "intent:" + v.Intent
	}
	return LaneText
}

// NoMatch reports whether the bot had no template for v (as opposed to a guard taking it to a person).
func (v Voice) NoMatch() bool {
	return v.Kind == HandedOff && slices.Contains(v.Reasons, intent.NoMatch)
}

// AgentAnswered reports whether a person replied to v.
func (v Voice) AgentAnswered() bool { return v.Kind == HandedOff && v.Reply != "" }

// StartedFrom names the template an agent's reply to r started from, or "".
type StartedFrom func(r contact.Record) string

// FromRecord gathers r: a contact the bot answered, or handed to a person (queued, claimed or resolved, with the
// agent's reply). Pending, rejected and withdrawn contacts say nothing about the shop yet, and report false.
func FromRecord(r contact.Record, started StartedFrom) (Voice, bool) {
	v := Voice{ID: r.ID, Merchant: r.Merchant, At: r.ReceivedAt.UTC(), Locale: string(r.Locale), Channel: r.Channel,
		Intent: r.Intent, Reasons: slices.Clone(r.Reasons), Text: Mask(r.Text)}
	if strings.TrimSpace(v.Text) == "" || r.Merchant == "" {
		return Voice{}, false
	}
	switch r.Status {
	case contact.Answered:
		if r.AnsweredBy != "bot" {
			return Voice{}, false
		}
		v.Kind, v.Template = Answered, r.Template
	case contact.Queued, contact.Claimed:
		v.Kind = HandedOff
	case contact.Resolved:
		v.Kind, v.Reply = HandedOff, Mask(r.Answer)
		if started != nil {
			v.Template = started(r)
		}
	default:
		return Voice{}, false
	}
	if r.Context != nil {
		if o := r.Context.Order; o != nil {
			v.Carrier = o.Carrier
		}
		if p := r.Context.Product; p != nil {
			v.SKU = p.SKU
		}
	}
	return v, true
}

// Feedback is what a shopper said about an answer: a thumbs-down, or a satisfaction score with a comment. The
// conversation issue adds feedback and CSAT to contacts; until it lands nothing produces Feedback, and Run
// gathers it from any source that does (see feedbackSource).
type Feedback struct {
	ID        string
	ContactID string
	Merchant  string
	At        time.Time
	Locale    string
	// Helpful is false for a thumbs-down; nil when the shopper only scored.
	Helpful *bool
	CSAT    int
	Comment string
	// Question is the shopper's message the feedback is about, and Intent and Template what answered it.
	Question, Intent, Template string
}

// FromFeedback gathers a thumbs-down (the question, as unhelpful) or a comment; feedback that is neither says
// nothing to group and reports false.
func FromFeedback(f Feedback) (Voice, bool) {
	v := Voice{ID: f.ID, Merchant: f.Merchant, At: f.At.UTC(), Locale: f.Locale, Intent: f.Intent, Template: f.Template, CSAT: f.CSAT}
	switch {
	case strings.TrimSpace(f.Comment) != "":
		v.Kind, v.Text = Comment, Mask(f.Comment)
		if f.Helpful != nil && !*f.Helpful {
			v.Kind = Unhelpful
		}
	case f.Helpful != nil && !*f.Helpful && strings.TrimSpace(f.Question) != "":
		v.Kind, v.Text = Unhelpful, Mask(f.Question)
	default:
		return Voice{}, false
	}
	if f.Merchant == "" || strings.TrimSpace(v.Text) == "" {
		return Voice{}, false
	}
	return v, true
}
