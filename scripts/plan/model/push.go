package model

import (
	"time"

	"breakwater/shared/contact"
)

// Push is the WebSocket push for the part of a conversation a person is in (API Gateway WebSocket API; the README's
// "Delivery"): a shopper's page opens a socket when its contact is handed off, sends hello (the
// push function answers with the connection id) and registers it with PUT /contacts/{id}/push; an agent's console
// opens one per shift (reconnecting when API Gateway closes it after 2 hours) and registers with PUT /agent/push.
// The functions poke a socket with PostToConnection, a content-free {"type":"changed"}, and the page or console then
// reads once: the agent function pokes the shopper on claim and on each agent message, the intake pokes the holding
// agent on a shopper's follow-up. A page or console with a socket still polls, as a safety net, every SafetySeconds.
type Push struct {
	// On models the push; off, the shopper's page polls every contact.PollClaimed while a person holds the
	// conversation and the console re-reads each held conversation every Workload.WatchSeconds.
	On bool `json:"on"`
	// SafetySeconds is how often a page with a socket polls, and the console re-reads a held conversation, anyway.
	SafetySeconds float64 `json:"safetySeconds"`
	// QueuedFloorSeconds, when positive, slows a queued shopper's estimate-paced polls to at least this while the
	// page holds a socket (the push says when an agent joins; the polls only refresh the position):
	// contact.PushQueuedPoll; 0 keeps contact.NextPoll's pace.
	QueuedFloorSeconds float64 `json:"queuedFloorSeconds"`
	// PingSeconds is how often a client pings (a mock integration: no Lambda) to stay under the 10-minute idle
	// timeout.
	PingSeconds float64 `json:"pingSeconds"`
	// ReconnectSeconds is how long API Gateway keeps a connection: 2 hours, then the console reconnects.
	ReconnectSeconds float64 `json:"reconnectSeconds"`
}

// PushSafety is the safety poll and re-read while pushed: the page's and the console's (the same 60 s).
const PushSafety = contact.PushSafetyPoll

// Messages API Gateway bills per event (each up to 32 KB, both directions).
const (
	// MessagesPerHello: the client's hello and the route response with its connection id.
	MessagesPerHello = 2
	// MessagesPerPing: the client's ping; the mock integration has no route response, so nothing comes back.
	MessagesPerPing = 1
	// MessagesPerPoke: one PostToConnection.
	MessagesPerPoke = 1
)

// PushMemoryMB is the push function's memory when topology does not list it (it only echoes the connection id).
const PushMemoryMB = 128

// FnPush is the push function's name.
const FnPush = "push"

// DefaultPush is the code's: on, 60 s safety polls, queued polls at least 30 s apart, pings every 8 minutes,
// connections of at most 2 hours.
func DefaultPush() Push {
	return Push{On: true, SafetySeconds: PushSafety.Seconds(), PingSeconds: contact.PushPing.Seconds(), QueuedFloorSeconds: contact.PushQueuedPoll.Seconds(), ReconnectSeconds: 2 * 3600}
}

// PushLoad is what the push asks of API Gateway at one moment, a second (Sockets: open connections).
type PushLoad struct {
	Connects float64 `json:"connects"` // new connections: shoppers' at hand-off, agents' reconnects
	Sockets  float64 `json:"sockets"`  // open connections: queued and held conversations' pages, agents' consoles
	Hellos   float64 `json:"hellos"`   // one per connection, answered by the push function
	Pings    float64 `json:"pings"`
	// ShopperPokes are PostToConnection calls to shoppers' pages (on claim and on each agent message), each
	// followed by one GET /contacts/{id}; AgentPokes to consoles (a shopper's follow-up on a held conversation),
	// each followed by one GET /agent/contacts/{id}.
	ShopperPokes float64 `json:"shopperPokes"`
	AgentPokes   float64 `json:"agentPokes"`
	// ShopperRegistrations are PUT /contacts/{id}/push, AgentRegistrations PUT /agent/push.
	ShopperRegistrations float64 `json:"shopperRegistrations"`
	AgentRegistrations   float64 `json:"agentRegistrations"`
}

// Load is the push's load with handedOff contacts a second handed to people, queued contacts waiting for one,
// held conversations an agent holds, served contacts a second claimed, agents on shift, replies agent messages per
// contact served and followUps shopper messages per held conversation.
func (p Push) Load(handedOff, queued, held, served, agents, replies, followUps float64) PushLoad {
	if !p.On {
		return PushLoad{}
	}
	reconnects := agents / p.ReconnectSeconds
	l := PushLoad{
		Connects: handedOff + reconnects,
		Sockets:  queued + held + agents,
		Hellos:   handedOff + reconnects,

		ShopperPokes: served * (1 + replies),
		AgentPokes:   served * followUps,

		ShopperRegistrations: handedOff,
		AgentRegistrations:   reconnects,
	}
	l.Pings = l.Sockets / p.PingSeconds
	return l
}

// Messages is the WebSocket messages a second API Gateway bills: hellos and their answers, pings and their
// answers, pokes.
func (l PushLoad) Messages() float64 {
	return l.Hellos*MessagesPerHello + l.Pings*MessagesPerPing + (l.ShopperPokes+l.AgentPokes)*MessagesPerPoke
}

// StageRequests is what the WebSocket stage's throttle counts: connection requests and the clients' messages.
func (l PushLoad) StageRequests() float64 { return l.Connects + l.Hellos + l.Pings }

// Callbacks is the PostToConnection calls a second (the account's quota counts them with HTTP requests).
func (l PushLoad) Callbacks() float64 { return l.ShopperPokes + l.AgentPokes }

// HeldReads is how often a shopper's page asks about, and the console re-reads, the held conversations, a second:
// with the push the safety polls and one read per poke; without, the page every claimedPoll seconds and the console
// every watch seconds (0: not counted).
func (p Push) HeldReads(l PushLoad, held, claimedPoll, watch float64) (polls, rereads float64) {
	if p.On {
		return held/p.SafetySeconds + l.ShopperPokes, held/p.SafetySeconds + l.AgentPokes
	}
	polls = held / claimedPoll
	if watch > 0 {
		rereads = held / watch
	}
	return polls, rereads
}

// QueuedPace is how often a queued shopper's page asks given contact.NextPoll's pace: slowed to QueuedFloorSeconds
// while it holds a socket, when that is set.
func (p Push) QueuedPace(pace time.Duration) time.Duration {
	if p.On && p.QueuedFloorSeconds > 0 {
		return max(pace, time.Duration(p.QueuedFloorSeconds*float64(time.Second)))
	}
	return pace
}
