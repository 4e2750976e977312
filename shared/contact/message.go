package contact

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// From is who wrote a message of a conversation.
type From string

// Authors of messages.
const (
	FromShopper From = "shopper"
	FromBot     From = "bot"
	FromAgent   From = "agent"
	FromSystem  From = "system"
)

// Events that system messages record, for the pages to show in the shopper's and the agent's language.
const (
	EventQueued    = "queued"       // handed to a person
	EventJoined    = "agent.joined" // an agent took the conversation
	EventWaiting   = "waiting"      // the agent asked and waits for the shopper
	EventResolved  = "resolved"     // the agent closed the conversation
	EventReopened  = "reopened"     // the shopper wrote again after it was closed
	EventUnhelpful = "unhelpful"    // the shopper said the bot's answer did not help
	EventRated     = "rated"        // the shopper rated the conversation
)

// Message is one entry of a conversation's thread. The opening shopper message and the bot's first answer live
// on the contact itself; everything after them is a Message.
type Message struct {
	// ID orders the thread: the time it was written in milliseconds, then a tie-breaker. A cursor is an ID.
	ID   string    `json:"id"`
	From From      `json:"from"`
	Text string    `json:"text,omitempty"`
	At   time.Time `json:"at"`
	// Name is the agent's display name on an agent's message.
	Name string `json:"name,omitempty"`
	// Event names what a system message records.
	Event string `json:"event,omitempty"`
	// Intent and Ask describe a bot message: which intent it answered, and whether it asked the shopper for
	// something the answer needs (an order number) instead of answering.
	Intent string `json:"intent,omitempty"`
	Ask    bool   `json:"ask,omitempty"`
}

// Reopen is how long after the last activity a resolved or answered conversation reopens when the shopper writes
// again; later, the shopper starts a new one.
const Reopen = 24 * time.Hour

// OpeningID and AnswerID are the thread ids of the two messages kept on the contact itself, so that they sort
// before everything stored after them.
const (
	OpeningID = "0000000000000#0"
	AnswerID  = "0000000000000#1"
)

// MessageID returns the thread id of a message written at at: milliseconds, then "m" and a random tie-breaker, so
// that messages written in the same millisecond keep one order for every reader, after the system events of that
// millisecond ("#0", "#j…": a reopening, an agent joining), which go before them.
func MessageID(at time.Time) string {
	return fmt.Sprintf("%013d#m%s", at.UnixMilli(), NewSecret()[:10])
}

// ReplyID is the id of the bot's reply to the message with id: it sorts right after it, and a second delivery of
// the same follow-up writes the same id, so a reply is never stored twice.
func ReplyID(id string) string { return id + "#r" }

var clientMessageID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// MessagePost is a shopper's message to an existing conversation, as posted.
type MessagePost struct {
	Text string `json:"text"`
	// ClientMessageID makes a retried post the same message, not a second one.
	ClientMessageID string `json:"clientMessageId,omitempty"`
}

// DecodeMessagePost reads and validates a follow-up post.
func DecodeMessagePost(body []byte) (MessagePost, error) {
	var f MessagePost
	if err := DecodeJSON(body, &f); err != nil {
		return MessagePost{}, err
	}
	text, err := cleanText(f.Text)
	if err != nil {
		return MessagePost{}, err
	}
	f.Text = text
	if f.ClientMessageID != "" && !clientMessageID.MatchString(f.ClientMessageID) {
		return MessagePost{}, fieldErr("clientMessageId", "must be 1-64 letters, digits, _ or -")
	}
	return f, nil
}

// Feedback is a shopper's verdict: Helpful on the bot's latest answer, or a Rating of the resolved conversation.
type Feedback struct {
	Helpful *bool  `json:"helpful,omitempty"`
	Rating  int    `json:"rating,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// MaxCommentRunes bounds a rating's comment.
const MaxCommentRunes = 1000

// DecodeFeedback reads and validates a feedback post: exactly one of helpful and rating (1 to 5).
func DecodeFeedback(body []byte) (Feedback, error) {
	var f Feedback
	if err := DecodeJSON(body, &f); err != nil {
		return Feedback{}, err
	}
	switch {
	case f.Helpful == nil && f.Rating == 0:
		return Feedback{}, fieldErr("helpful", "give helpful (true or false) or a rating (1 to 5)")
	case f.Helpful != nil && f.Rating != 0:
		return Feedback{}, fieldErr("rating", "give either helpful or a rating, not both")
	case f.Rating != 0 && (f.Rating < 1 || f.Rating > 5):
		return Feedback{}, fieldErr("rating", "must be 1 to 5")
	case f.Helpful != nil && f.Comment != "":
		return Feedback{}, fieldErr("comment", "goes with a rating")
	}
	f.Comment = strings.TrimSpace(f.Comment)
	if !utf8.ValidString(f.Comment) {
		return Feedback{}, fieldErr("comment", "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(f.Comment); n > MaxCommentRunes {
		return Feedback{}, fieldErr("comment", "has %d characters, at most %d allowed", n, MaxCommentRunes)
	}
	return f, nil
}

// Thread is a conversation's messages in order: the opening message and the bot's first answer, which the
// contact itself holds, then stored, which the messages table holds (in order).
func (r Record) Thread(stored []Message) []Message {
	out := make([]Message, 0, len(stored)+2)
	if r.Text != "" {
		out = append(out, Message{ID: OpeningID, From: FromShopper, Text: r.Text, At: r.ReceivedAt})
	}
	if r.BotAnswer != "" {
		out = append(out, Message{ID: AnswerID, From: FromBot, Text: r.BotAnswer, At: r.AnsweredAt, Intent: r.Intent, Ask: r.Asked})
	}
	return append(out, stored...)
}

// After returns the messages of thread after cursor (all of them for an empty cursor).
func After(thread []Message, cursor string) []Message {
	if cursor == "" {
		return thread
	}
	for i, m := range thread {
		if m.ID > cursor {
			return thread[i:]
		}
	}
	return nil
}
