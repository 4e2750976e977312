package eventsource

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// queueFake answers receives with two messages and records what the mapping asked for; extendErr and
// extendFailed make the extension fail as a whole or for that many entries.
type queueFake struct {
	receiveVisibility int32
	extended          []types.ChangeMessageVisibilityBatchRequestEntry
	extendErr         error
	extendFailed      int
}

func (q *queueFake) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.receiveVisibility = in.VisibilityTimeout
	return &sqs.ReceiveMessageOutput{Messages: []types.Message{{ReceiptHandle: aws.String("r0")}, {ReceiptHandle: aws.String("r1")}}}, nil
}

func (q *queueFake) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	q.extended = append(q.extended, in.Entries...)
	out := &sqs.ChangeMessageVisibilityBatchOutput{}
	for i := range q.extendFailed {
		out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: in.Entries[i].Id, Code: aws.String("ReceiptHandleIsInvalid")})
	}
	return out, q.extendErr
}

func (q *queueFake) DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return &sqs.DeleteMessageBatchOutput{}, nil
}

func TestReceiveClaimsOnlyWhenTheVisibilityTimeoutIsLonger(t *testing.T) {
	tests := []struct {
		name              string
		visibility, claim time.Duration
		receive, extendTo int32 // seconds; 0: the queue's own timeout, no extension
	}{
		{"no visibility given: the queue's own", 0, 0, 0, 0},
		{"as deployed, default claim", 3 * time.Minute, 0, 3, 180},
		{"claim of a second", 3 * time.Minute, time.Second, 1, 180},
		{"claim under a second is one", 3 * time.Minute, 200 * time.Millisecond, 1, 180},
		{"claim rounds down to seconds", 3 * time.Minute, 2500 * time.Millisecond, 2, 180},
		{"visibility of 5 s (tests of redelivery)", 5 * time.Second, 0, 3, 5},
		{"visibility no longer than the default claim: no claim", 3 * time.Second, 0, 0, 0},
		{"claim as long as the visibility: no claim", 5 * time.Second, 5 * time.Second, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &queueFake{}
			m := &Mapping{SQS: q, QueueURL: "q", Visibility: tt.visibility, Claim: tt.claim, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			msgs, err := m.receive(context.Background(), 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(msgs), 2; got != want {
				t.Fatalf("received %d messages, want %d", got, want)
			}
			if got, want := q.receiveVisibility, tt.receive; got != want {
				t.Errorf("receive asked for visibility %d s, want %d", got, want)
			}
			if tt.extendTo == 0 {
				if len(q.extended) != 0 {
					t.Errorf("extended %d messages, want none", len(q.extended))
				}
				return
			}
			if got, want := len(q.extended), 2; got != want {
				t.Fatalf("extended %d messages, want %d", got, want)
			}
			for i, e := range q.extended {
				if got, want := e.VisibilityTimeout, tt.extendTo; got != want {
					t.Errorf("message %d extended to %d s, want %d", i, got, want)
				}
				if got, want := aws.ToString(e.ReceiptHandle), aws.ToString(msgs[i].ReceiptHandle); got != want {
					t.Errorf("extension %d names receipt handle %q, want %q", i, got, want)
				}
			}
		})
	}
}

// A claim that cannot be extended does not stop the batch: its messages are processed, at worst twice.
func TestAFailedExtensionStillDeliversTheBatch(t *testing.T) {
	tests := []struct {
		name string
		q    *queueFake
		want int64
	}{
		{"call fails", &queueFake{extendErr: errors.New("connection refused")}, 2},
		{"one entry fails", &queueFake{extendFailed: 1}, 1},
		{"all extended", &queueFake{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Mapping{SQS: tt.q, QueueURL: "q", Visibility: 3 * time.Minute, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			msgs, err := m.receive(context.Background(), 10, 0)
			if err != nil {
				t.Fatalf("receive: %v", err)
			}
			if got, want := len(msgs), 2; got != want {
				t.Errorf("received %d messages, want %d", got, want)
			}
			if got := m.Stats().Unextended; got != tt.want {
				t.Errorf("unextended = %d, want %d", got, tt.want)
			}
		})
	}
}
