package contact

import (
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
