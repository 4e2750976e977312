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

// With push (an API Gateway WebSocket, while a person is part of the conversation), the pages learn of a change
// from a content-free poke and then read it with one GET; polling stays only as a safety net for a poke lost on
// the way (a push is best effort: a throttled or failed PostToConnection is not retried). The bot's own answers
// stay on server-paced polling: a socket per contact would cost more than the 1.2 polls the bot takes.
const (
	// PushSafetyPoll is how often a page with a registered socket still asks while an agent holds the
	// conversation or waits for the shopper (instead of PollClaimed's 10 s and PollWaiting's 20 s): a lost poke
	// shows within a minute, and a claimed conversation costs a poll a minute instead of six. While queued, the
	// page keeps NextPoll's estimate-based pace: the position it shows changes without any poke.
	PushSafetyPoll = 60 * time.Second
	// ConsoleSafetyRead is how often the console re-reads a conversation an agent holds with its socket
	// registered (the 4 s re-read it replaces was a third of an agent's requests).
	ConsoleSafetyRead = 60 * time.Second
	// PushPing is how often a page pings its socket: API Gateway closes a connection idle for 10 minutes, and a
	// browser may delay a hidden tab's timer to the next whole minute.
	PushPing = 8 * time.Minute
	// PushQueuedPoll is the least time between a queued page's polls while its socket is registered: the claim comes
	// by poke, so the polls only refresh the position shown (a quarter of the estimated wait, as NextPoll, but not
	// more often than this).
	PushQueuedPoll = 30 * time.Second
	// PushIdleTimeout is API Gateway's idle timeout of a WebSocket connection, which PushPing stays under.
	PushIdleTimeout = 10 * time.Minute
	// PushReconnectMin and PushReconnectMax bound the backoff of a page reconnecting a closed socket; meanwhile
	// it polls at NextPoll's pace at once.
	PushReconnectMin = time.Second
	PushReconnectMax = time.Minute
)

// NextPollPushed is when a page whose socket is registered should ask again: the safety net while a person holds
// or awaits the conversation, the position's refresh while queued, NextPoll otherwise.
func NextPollPushed(s Status, estimatedWait *int) time.Duration {
	switch s {
	case Claimed, Waiting:
		return max(PushSafetyPoll, NextPoll(s, estimatedWait))
	case Queued:
		return max(PushQueuedPoll, NextPoll(s, estimatedWait))
	}
	return NextPoll(s, estimatedWait)
}
