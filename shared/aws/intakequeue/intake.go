// Package intakequeue puts contacts on the SQS intake queue and reads them back off it.
package intakequeue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"breakwater/shared/contact"
)

// ContactIDAttribute is the message attribute that ties even an unreadable body to its contact.
const ContactIDAttribute = "contactId"

// formatVersion is the intake message format; a reader refuses versions it does not know.
const formatVersion = 1

type message struct {
	V       int              `json:"v"`
	Contact *contact.Contact `json:"contact,omitempty"`
	Turn    *Turn            `json:"turn,omitempty"`
}

// Turn asks the responder to answer a conversation's latest turn: a shopper's follow-up, or "that didn't help".
// The conversation itself is read from the table: the message carries only where it is.
type Turn struct {
	Contact string `json:"contact"`
	// Seq is the thread id of the message that opened the turn; a turn answered already, or replaced by a newer
	// one, is not answered again.
	Seq string `json:"seq"`
}

var turnSeq = regexp.MustCompile(`^[0-9]{13}#[A-Za-z0-9_#-]{1,40}$`)

// Read reads an intake message body: a new contact, or a turn of an existing conversation (turn non-nil).
// Errors wrap ErrMalformed.
func Read(body string) (contact.Contact, *Turn, error) {
	var m message
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return contact.Contact{}, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if m.V != formatVersion {
		return contact.Contact{}, nil, fmt.Errorf("%w: format version %d, want %d", ErrMalformed, m.V, formatVersion)
	}
	if t := m.Turn; t != nil {
		if m.Contact != nil || t.Contact == "" || !turnSeq.MatchString(t.Seq) {
			return contact.Contact{}, nil, fmt.Errorf("%w: turn %q of contact %q", ErrMalformed, t.Seq, t.Contact)
		}
		return contact.Contact{}, t, nil
	}
	c, err := check(m.Contact)
	return c, nil, err
}

// Encode returns the intake message body for c.
func Encode(c contact.Contact) (string, error) {
	b, err := json.Marshal(message{V: formatVersion, Contact: &c})
	if err != nil {
		return "", fmt.Errorf("encode contact %s: %w", c.ID, err)
	}
	return string(b), nil
}

// ErrMalformed marks a message that no retry can fix.
var ErrMalformed = errors.New("malformed intake message")

// Decode reads an intake message body that must hold a new contact. Errors wrap ErrMalformed.
func Decode(body string) (contact.Contact, error) {
	c, turn, err := Read(body)
	if err == nil && turn != nil {
		return contact.Contact{}, fmt.Errorf("%w: a turn, not a contact", ErrMalformed)
	}
	return c, err
}

func check(c *contact.Contact) (contact.Contact, error) {
	switch {
	case c == nil:
		return contact.Contact{}, fmt.Errorf("%w: no contact", ErrMalformed)
	case c.ID == "" || c.Merchant == "" || c.Shopper.ID == "" || c.TokenHash == "" || c.ReceivedAt.IsZero():
		return contact.Contact{}, fmt.Errorf("%w: contact %q lacks id, merchant, shopper, token or time", ErrMalformed, c.ID)
	case c.Text == "" || (c.Locale != contact.Chinese && c.Locale != contact.English):
		return contact.Contact{}, fmt.Errorf("%w: contact %s has no text or an unknown locale %q", ErrMalformed, c.ID, c.Locale)
	}
	return *c, nil
}

// sender is the part of *sqs.Client that Intake uses.
type sender interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Intake sends contacts to the intake queue.
type Intake struct {
	sqs sender
	url string
}

// NewIntake returns a sender to the queue at url.
func NewIntake(client sender, url string) *Intake { return &Intake{sqs: client, url: url} }

// Send puts c on the intake queue.
func (q *Intake) Send(ctx context.Context, c contact.Contact) error {
	body, err := Encode(c)
	if err != nil {
		return err
	}
	_, err = q.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    &q.url,
		MessageBody: &body,
		MessageAttributes: map[string]types.MessageAttributeValue{
			ContactIDAttribute: {DataType: aws.String("String"), StringValue: aws.String(c.ID)},
		},
	})
	if err != nil {
		return fmt.Errorf("send contact %s to intake queue: %w", c.ID, err)
	}
	return nil
}

// SendTurn asks the responder to answer turn seq of contact id.
func (q *Intake) SendTurn(ctx context.Context, id, seq string) error {
	b, err := json.Marshal(message{V: formatVersion, Turn: &Turn{Contact: id, Seq: seq}})
	if err != nil {
		return fmt.Errorf("encode turn %s of contact %s: %w", seq, id, err)
	}
	body := string(b)
	_, err = q.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    &q.url,
		MessageBody: &body,
		MessageAttributes: map[string]types.MessageAttributeValue{
			ContactIDAttribute: {DataType: aws.String("String"), StringValue: aws.String(id)},
		},
	})
	if err != nil {
		return fmt.Errorf("send turn %s of contact %s to intake queue: %w", seq, id, err)
	}
	return nil
}
