package contact

import "time"

// The shopper's page does not poll at a fixed rate: every status answer says when to ask next (nextPollMs), from
// where the conversation stands. A routine question is answered within a second and then costs nothing more; a
// shopper waiting for a person asks a few times a minute, more often as their turn comes; while an agent writes,
// every few seconds. That is what keeps the request path near a dollar per million contacts instead of the
// thirty polls a minute of a 2-second poller (scripts/plan counts them).
const (
	// PollPending while the bot decides: it answers within a second.
	PollPending = time.Second
	// PollQueuedMin and PollQueuedMax bound the pace while queued: a quarter of the estimated wait in between,
	// the maximum when there is no estimate (a shopper an hour back in the line hears once a minute).
	PollQueuedMin = 3 * time.Second
	PollQueuedMax = 60 * time.Second
	// PollClaimed while an agent holds the conversation and may write at any moment: an agent's reply reaches
	// the page within 10 s (at 5 s these polls were a third of the Double 11 requests; scripts/plan).
	PollClaimed = 10 * time.Second
	// PollWaiting while an agent waits for the shopper's answer: the shopper's own post wakes the page.
	PollWaiting = 20 * time.Second
)

// NextPoll is when the page should ask again about a conversation in status s, given the estimated wait while it
// is queued (nil when there is none); 0 means not until the shopper writes again.
func NextPoll(s Status, estimatedWait *int) time.Duration {
	switch s {
	case Pending:
		return PollPending
	case Queued:
		if estimatedWait == nil {
			return PollQueuedMax
		}
		return min(PollQueuedMax, max(PollQueuedMin, time.Duration(*estimatedWait)*time.Second/4))
	case Claimed:
		return PollClaimed
	case Waiting:
		return PollWaiting
	}
	return 0
}
