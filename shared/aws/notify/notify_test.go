package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"breakwater/shared/voice"
)

type publishFunc func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)

func (f publishFunc) Publish(ctx context.Context, in *sns.PublishInput, o ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return f(ctx, in, o...)
}

type sendEmailFunc func(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)

func (f sendEmailFunc) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, o ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return f(ctx, in, o...)
}

var msg = voice.Message{Kind: "spike", Merchant: "m1", Subject: strings.Repeat("Spike · m1 · coupon/优惠券 ", 6) + "\nx", Text: "37 contacts"}

func TestTopicPublishesSubjectWithinLimits(t *testing.T) {
	var got *sns.PublishInput
	topic := Topic{SNS: publishFunc(func(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
		got = in
		return &sns.PublishOutput{}, nil
	})}
	to := voice.Owner{ID: "ops", Kind: voice.SNS, Target: "arn:aws:sns:us-east-1:123456789012:ops"}
	if err := topic.Send(context.Background(), to, msg); err != nil {
		t.Fatal(err)
	}
	if *got.TopicArn != to.Target || *got.Message != msg.Text {
		t.Errorf("published %+v", got)
	}
	if s := *got.Subject; len([]rune(s)) > maxSubject || strings.ContainsAny(s, "\r\n") {
		t.Errorf("subject %q: more than %d characters or a newline", s, maxSubject)
	}
}

func TestTopicRejectionIsMarked(t *testing.T) {
	topic := Topic{SNS: publishFunc(func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "NotFound", Message: "Topic does not exist"}
	})}
	err := topic.Send(context.Background(), voice.Owner{ID: "ops", Target: "arn:aws:sns:us-east-1:123456789012:gone"}, msg)
	if !errors.Is(err, ErrRejected) {
		t.Errorf("err = %v, want ErrRejected", err)
	}
}

func TestMailSendsFromTheIdentity(t *testing.T) {
	var got *sesv2.SendEmailInput
	ml := Mail{From: "voice@shop.example", SES: sendEmailFunc(func(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
		got = in
		return &sesv2.SendEmailOutput{}, nil
	})}
	if err := ml.Send(context.Background(), voice.Owner{ID: "logistics", Kind: voice.Email, Target: "logistics@m1.example"}, msg); err != nil {
		t.Fatal(err)
	}
	if *got.FromEmailAddress != "voice@shop.example" || got.Destination.ToAddresses[0] != "logistics@m1.example" || *got.Content.Simple.Body.Text.Data != msg.Text {
		t.Errorf("sent %+v", got)
	}
}

func TestHookPostsSignedJSON(t *testing.T) {
	key := []byte("k3y")
	now := time.Unix(1_790_000_000, 0)
	var status = http.StatusNoContent
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get("X-Breakwater-Signature")
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte("1790000000."))
		mac.Write(body)
		if want := "t=1790000000,v1=" + hex.EncodeToString(mac.Sum(nil)); sig != want {
			t.Errorf("signature %q, want %q", sig, want)
		}
		var b hookBody
		if err := json.Unmarshal(body, &b); err != nil || b.Kind != "spike" || b.Owner != "web" || b.Text != msg.Text {
			t.Errorf("body %s (%v)", body, err)
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	h := Hook{Client: srv.Client(), Key: key, Now: func() time.Time { return now }}
	to := voice.Owner{ID: "web", Kind: voice.Webhook, Target: srv.URL + "/voice"}
	if err := h.Send(context.Background(), to, msg); err != nil {
		t.Fatal(err)
	}
	status = http.StatusGone
	if err := h.Send(context.Background(), to, msg); !errors.Is(err, ErrRejected) {
		t.Errorf("410: err = %v, want ErrRejected", err)
	}
	status = http.StatusBadGateway
	if err := h.Send(context.Background(), to, msg); err == nil || errors.Is(err, ErrRejected) {
		t.Errorf("502: err = %v, want a retryable error", err)
	}
}

type recorder struct{ to []string }

func (r *recorder) Send(_ context.Context, to voice.Owner, m voice.Message) error {
	r.to = append(r.to, to.ID+":"+m.Text[:min(20, len(m.Text))])
	return nil
}

func TestRouterFallsBackToTheDefaultOwner(t *testing.T) {
	topic := &recorder{}
	r := Router{Senders: map[voice.OwnerKind]Sender{voice.SNS: topic}, Fallback: voice.Owner{ID: "platform", Kind: voice.SNS}}
	r.Send(context.Background(), voice.Owner{ID: "ops", Kind: voice.SNS}, msg)
	r.Send(context.Background(), voice.Owner{ID: "logistics", Kind: voice.Email}, msg)
	if got := strings.Join(topic.to, "|"); got != "ops:37 contacts|platform:(For logistics, whom" {
		t.Errorf("sent %s", got)
	}
}
