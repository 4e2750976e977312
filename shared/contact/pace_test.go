package contact

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNextPoll(t *testing.T) {
	secs := func(n int) *int { return &n }
	tests := []struct {
		status Status
		wait   *int
		want   time.Duration
	}{
		{Pending, nil, PollPending},
		{Queued, nil, PollQueuedMax},
		{Queued, secs(4), PollQueuedMin},     // almost their turn
		{Queued, secs(60), 15 * time.Second}, // a quarter of the wait
		{Queued, secs(3600), PollQueuedMax},  // a long wait still hears about its turn within 30 s
		{Claimed, nil, PollClaimed},
		{Waiting, nil, PollWaiting},
		{Answered, nil, 0},
		{Resolved, nil, 0},
		{Rejected, nil, 0},
	}
	for _, tt := range tests {
		if got := NextPoll(tt.status, tt.wait); got != tt.want {
			t.Errorf("NextPoll(%s, %v) = %s, want %s", tt.status, tt.wait, got, tt.want)
		}
	}
}

func TestPushPacing(t *testing.T) {
	if PushPing >= PushIdleTimeout {
		t.Errorf("PushPing %s, want under API Gateway's idle timeout %s", PushPing, PushIdleTimeout)
	}
	if PushSafetyPoll <= PollClaimed || PushSafetyPoll <= PollWaiting {
		t.Errorf("PushSafetyPoll %s polls no less than without push (%s, %s)", PushSafetyPoll, PollClaimed, PollWaiting)
	}
	if ConsoleSafetyRead <= 4*time.Second {
		t.Errorf("ConsoleSafetyRead %s, want less often than the 4 s re-read it replaces", ConsoleSafetyRead)
	}
	if PushReconnectMin <= 0 || PushReconnectMax < PushReconnectMin {
		t.Errorf("reconnect backoff %s..%s", PushReconnectMin, PushReconnectMax)
	}
	secs := func(n int) *int { return &n }
	for _, tt := range []struct {
		status Status
		wait   *int
		want   time.Duration
	}{
		{Pending, nil, PollPending},         // the bot's answers stay on paced polling
		{Queued, secs(60), PushQueuedPoll},  // the claim comes by poke: the position refreshes at most every 30 s
		{Queued, secs(3600), PollQueuedMax}, // a long wait keeps NextPoll's slower pace
		{Claimed, nil, PushSafetyPoll},
		{Waiting, nil, PushSafetyPoll},
		{Answered, nil, 0},
	} {
		if got := NextPollPushed(tt.status, tt.wait); got != tt.want {
			t.Errorf("NextPollPushed(%s, %v) = %s, want %s", tt.status, tt.wait, got, tt.want)
		}
	}
}

func TestDecodePushRegistration(t *testing.T) {
	for _, tt := range []struct {
		body, field string
	}{
		{`{"connectionId":"L0SM9cOFvHcCIhw="}`, ""},
		{`{"connectionId":"abc_DEF-12345678"}`, ""},
		{`{}`, "connectionId"},
		{`{"connectionId":""}`, "connectionId"},
		{`{"connectionId":"short"}`, "connectionId"},
		{`{"connectionId":"has space in it"}`, "connectionId"},
		{`{"connectionId":"../../@connections/x"}`, "connectionId"},
		{`{"connectionId":"` + strings.Repeat("a", 65) + `"}`, "connectionId"},
		{`{"connectionId":"L0SM9cOFvHcCIhw=","token":"x"}`, "token"},
		{`{"connectionId":1}`, "connectionId"},
		{`[]`, "body"},
	} {
		_, err := DecodePushRegistration([]byte(tt.body))
		var fe *FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tt.body, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("%s: %v, want a field error on %s", tt.body, err, tt.field)
		}
	}
	if got, want := string(PokeFor("c_x")), `{"type":"changed","contact":"c_x"}`; got != want {
		t.Errorf("PokeFor = %s, want %s", got, want)
	}
}
