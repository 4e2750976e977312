package model

import (
	"math"
	"testing"
	"time"
)

func TestPushLoad(t *testing.T) {
	on := DefaultPush()
	on.PingSeconds = 300 // round numbers
	tests := []struct {
		name string
		push Push
		// handed-off/s, queued, held, served/s, agents, replies and follow-ups per held conversation
		handedOff, queued, held, served, agents, replies, followUps float64
		want                                                        PushLoad
		messages, stage, callbacks                                  float64
	}{
		{name: "off: nothing", push: Push{}, handedOff: 10, queued: 300, held: 600, served: 2.5, agents: 7200, replies: 1, followUps: 0.2},
		{
			name: "a socket per hand-off and per agent; pokes on claim, each reply and each follow-up",
			push: on, handedOff: 10, queued: 300, held: 600, served: 2.5, agents: 7200, replies: 1, followUps: 0.2,
			// 7,200 agents reconnect every 2 h: 1 a second; 8,100 sockets ping every 300 s: 27 a second.
			want: PushLoad{Connects: 11, Sockets: 8100, Hellos: 11, Pings: 27, ShopperPokes: 5, AgentPokes: 0.5,
				ShopperRegistrations: 10, AgentRegistrations: 1},
			// hellos 11 × 2, pings 27 × MessagesPerPing, pokes 5.5 × 1
			messages: 22 + 27*MessagesPerPing + 5.5, stage: 11 + 11 + 27, callbacks: 5.5,
		},
		{
			name: "no agents, no hand-offs: only the queued pages",
			push: on, queued: 600,
			want:     PushLoad{Sockets: 600, Pings: 2},
			messages: 2 * MessagesPerPing, stage: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.push.Load(tt.handedOff, tt.queued, tt.held, tt.served, tt.agents, tt.replies, tt.followUps)
			if !near(got, tt.want) {
				t.Errorf("Load = %+v, want %+v", got, tt.want)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"Messages", got.Messages(), tt.messages}, {"StageRequests", got.StageRequests(), tt.stage}, {"Callbacks", got.Callbacks(), tt.callbacks}} {
				if math.Abs(c.got-c.want) > 1e-9 {
					t.Errorf("%s = %g, want %g", c.what, c.got, c.want)
				}
			}
		})
	}
}

func near(a, b PushLoad) bool {
	x := []float64{a.Connects, a.Sockets, a.Hellos, a.Pings, a.ShopperPokes, a.AgentPokes, a.ShopperRegistrations, a.AgentRegistrations}
	y := []float64{b.Connects, b.Sockets, b.Hellos, b.Pings, b.ShopperPokes, b.AgentPokes, b.ShopperRegistrations, b.AgentRegistrations}
	for i := range x {
		if math.Abs(x[i]-y[i]) > 1e-9 {
			return false
		}
	}
	return true
}

func TestHeldReads(t *testing.T) {
	on := DefaultPush()
	pokes := PushLoad{ShopperPokes: 5, AgentPokes: 0.5}
	tests := []struct {
		name                 string
		push                 Push
		load                 PushLoad
		held, claimed, watch float64
		polls, rereads       float64
	}{
		{name: "push: safety every 60 s and one read per poke", push: on, load: pokes, held: 600, claimed: 10, watch: 4, polls: 10 + 5, rereads: 10 + 0.5},
		{name: "no push: the page every 10 s, the console's watch every 4 s", push: Push{}, held: 600, claimed: 10, watch: 4, polls: 60, rereads: 150},
		{name: "no push, watch left out", push: Push{}, held: 600, claimed: 10, watch: 0, polls: 60, rereads: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			polls, rereads := tt.push.HeldReads(tt.load, tt.held, tt.claimed, tt.watch)
			if math.Abs(polls-tt.polls) > 1e-9 || math.Abs(rereads-tt.rereads) > 1e-9 {
				t.Errorf("HeldReads = %g polls, %g re-reads a second; want %g, %g", polls, rereads, tt.polls, tt.rereads)
			}
		})
	}
}

func TestQueuedPaceWithPush(t *testing.T) {
	floor := DefaultPush() // contact.PushQueuedPoll: 30 s
	none := floor
	none.QueuedFloorSeconds = 0
	off := floor
	off.On = false
	tests := []struct {
		push       Push
		pace, want time.Duration
	}{
		{none, 5 * time.Second, 5 * time.Second}, // no floor: contact.NextPoll's pace
		{floor, 5 * time.Second, 30 * time.Second},
		{floor, time.Minute, time.Minute},
		{off, 5 * time.Second, 5 * time.Second}, // no socket, no floor
	}
	for _, tt := range tests {
		if got := tt.push.QueuedPace(tt.pace); got != tt.want {
			t.Errorf("%+v.QueuedPace(%v) = %v, want %v", tt.push, tt.pace, got, tt.want)
		}
	}
}

func TestAddPush(t *testing.T) {
	// A minute of 10 open sockets, one hand-off a second with its poke on claim and one reply.
	u := newUsage()
	u.addPush(PushLoad{Connects: 1, Sockets: 10, Hellos: 1, Pings: 10.0 / 300, ShopperPokes: 2}, 60)
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"connection-minutes", u.WSMinutes, 10},
		{"hello messages", u.WSMessages[WSHello], 60 * 2},
		{"ping messages", u.WSMessages[WSPing], 2 * MessagesPerPing},
		{"pokes to shoppers", u.WSMessages[WSShopperPoke], 120},
		{"push invocations", u.Invocations[FnPush], 60},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %g, want %g", c.what, c.got, c.want)
		}
	}
}

func TestWrites(t *testing.T) {
	tests := []struct {
		w            Writes
		wcu, batch   float64
		note, settle float64
	}{
		{Writes{}, 1, 10, 2, 2},                  // before: the note twice, a transaction bills each item twice
		{Writes{}, 1, 1, 2, 1},                   // a batch of one is a single conditional write
		{Writes{NoteOnce: true}, 1, 10, 1, 2},    // the note written once
		{Writes{SettleApart: true}, 1, 10, 2, 1}, // the second: an UpdateItem an item, 1 WRU
		{Writes{NoteOnce: true, SettleApart: true}, 2, 10, 1, 2},
		{Writes{TurnApart: true}, 1, 10, 2, 2}, // a follow-up and its answer: five single writes
		{Writes{NoteOnce: true, SettleApart: true, TurnApart: true}, 1, 1, 1, 1},
	}
	for _, tt := range tests {
		if got := tt.w.NoteWRU(); got != tt.note {
			t.Errorf("%+v.NoteWRU() = %g, want %g", tt.w, got, tt.note)
		}
		if got := tt.w.SettleWRU(tt.wcu, tt.batch); got != tt.settle {
			t.Errorf("%+v.SettleWRU(%g, %g) = %g, want %g", tt.w, tt.wcu, tt.batch, got, tt.settle)
		}
		m, c := tt.w.TurnWRU(tt.wcu)
		want := map[bool][2]float64{false: {6, 4 * tt.wcu}, true: {3, 2 * tt.wcu}}[tt.w.TurnApart]
		if m != want[0] || c != want[1] {
			t.Errorf("%+v.TurnWRU(%g) = %g, %g, want %g, %g", tt.w, tt.wcu, m, c, want[0], want[1])
		}
	}
}
