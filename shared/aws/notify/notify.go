// Package notify delivers the voice of the customer's alerts and digests to owners: SNS topics, e-mail through
// SES, and webhooks.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"breakwater/shared/voice"
)

// ErrRejected is a delivery the other side refused for good (a missing topic, an unverified address, a 4xx):
// retrying will not help, a person must fix the owner's address.
var ErrRejected = errors.New("delivery rejected")

// publisher is the part of *sns.Client that Topic uses.
type publisher interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Topic publishes to the owner's SNS topic: the subject (at most 100 characters, as SNS allows) and the text.
type Topic struct{ SNS publisher }

// maxSubject is SNS's limit on an e-mail subject.
const maxSubject = 100

// Send publishes m to the topic to.Target.
func (t Topic) Send(ctx context.Context, to voice.Owner, m voice.Message) error {
	_, err := t.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(to.Target),
		Subject:  aws.String(subject(m.Subject)),
		Message:  aws.String(m.Text),
	})
	if err != nil {
		return fmt.Errorf("publish %s to %s: %w", m.Kind, to.ID, classify(err, "NotFound", "AuthorizationError", "InvalidParameter"))
	}
	return nil
}

// subject fits s into SNS's subject: ASCII-printable is not required, but at most 100 characters and no newline.
func subject(s string) string {
	rs := []rune(s)
	for i, r := range rs {
		if r == '\n' || r == '\r' {
			rs[i] = ' '
		}
	}
	if len(rs) > maxSubject {
		rs = append(rs[:maxSubject-1], '…')
	}
	return string(rs)
}

// mailer is the part of *sesv2.Client that Mail uses.
type mailer interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Mail sends the owner an e-mail through SES from From, a verified identity.
type Mail struct {
	SES  mailer
	From string
}

// Send e-mails m to to.Target.
func (ml Mail) Send(ctx context.Context, to voice.Owner, m voice.Message) error {
	_, err := ml.SES.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(ml.From),
		Destination:      &sestypes.Destination{ToAddresses: []string{to.Target}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")}},
		}},
	})
	if err != nil {
		return fmt.Errorf("e-mail %s to %s: %w", m.Kind, to.ID, classify(err, "MessageRejected", "MailFromDomainNotVerifiedException", "NotFoundException", "BadRequestException", "AccountSuspendedException", "SendingPausedException"))
	}
	return nil
}

// classify marks SDK errors with one of codes as ErrRejected, keeping the original.
func classify(err error, codes ...string) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		for _, c := range codes {
			if api.ErrorCode() == c {
				return errors.Join(ErrRejected, err)
			}
		}
	}
	return err
}

// Hook POSTs the message as JSON to the owner's https URL, signed with Key when set: the header
// X-Breakwater-Signature is "t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>", so the receiver can check who
// sent it and when. The key comes from the stack's configuration; keep it in a secret store, not in code.
type Hook struct {
	Client *http.Client
	Key    []byte
	Now    func() time.Time
}

// hookBody is what a webhook receives.
type hookBody struct {
	Kind     string `json:"kind"`
	Merchant string `json:"merchant"`
	Owner    string `json:"owner"`
	Subject  string `json:"subject"`
	Text     string `json:"text"`
	Data     any    `json:"data,omitempty"`
}

// Send posts m to to.Target.
func (h Hook) Send(ctx context.Context, to voice.Owner, m voice.Message) error {
	body, err := json.Marshal(hookBody{Kind: m.Kind, Merchant: m.Merchant, Owner: to.ID, Subject: m.Subject, Text: m.Text, Data: m.Data})
	if err != nil {
		return fmt.Errorf("encode %s for %s: %w", m.Kind, to.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.Target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post %s to %s: %w", m.Kind, to.ID, errors.Join(ErrRejected, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Breakwater-Voice/1")
	if len(h.Key) > 0 {
		now := time.Now
		if h.Now != nil {
			now = h.Now
		}
		ts := strconv.FormatInt(now().Unix(), 10)
		mac := hmac.New(sha256.New, h.Key)
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		req.Header.Set("X-Breakwater-Signature", "t="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)))
	}
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post %s to %s: %w", m.Kind, to.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("post %s to %s: HTTP %d: %w", m.Kind, to.ID, resp.StatusCode, ErrRejected)
	default:
		return fmt.Errorf("post %s to %s: HTTP %d", m.Kind, to.ID, resp.StatusCode)
	}
}

// Sender is one way of reaching owners.
type Sender interface {
	Send(ctx context.Context, to voice.Owner, m voice.Message) error
}

// Router sends each message the way its owner is reached. An owner kind without a sender (e-mail with no SES
// identity configured) goes to Fallback, the default owner, with a note of whom it was for.
type Router struct {
	Senders  map[voice.OwnerKind]Sender
	Fallback voice.Owner
}

// Send delivers m to to.
func (r Router) Send(ctx context.Context, to voice.Owner, m voice.Message) error {
	if s, ok := r.Senders[to.Kind]; ok {
		return s.Send(ctx, to, m)
	}
	s, ok := r.Senders[r.Fallback.Kind]
	if !ok {
		return fmt.Errorf("send %s to %s: no way to reach %s owners: %w", m.Kind, to.ID, to.Kind, ErrRejected)
	}
	m.Text = fmt.Sprintf("(For %s, whom Breakwater cannot reach by %s here.)\n\n%s", to.ID, to.Kind, m.Text)
	return s.Send(ctx, r.Fallback, m)
}
