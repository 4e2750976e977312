package model

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// Workload is how shoppers, agents and the code use AWS per contact, besides what the simulation follows: the
// server-paced polls (contact.NextPoll), follow-ups, the agents' console, the functions' caches and the size of
// what they write.
type Workload struct {
	Tenants Tenants `json:"tenants"`
	// FollowUpShare is the share of contacts that send one follow-up (POST /contacts/{id}/messages); a follow-up
	// is another message through the intake queue and the responder, answered or handed off like a contact.
	FollowUpShare float64 `json:"followUpShare"`
	// BotSeconds is how long after a message the bot's answer is stored when the intake queue holds no backlog.
	BotSeconds float64 `json:"botSeconds"`
	// OverviewSeconds is how often each agent's console reads the queue overview (GET /agent/queues).
	OverviewSeconds float64 `json:"overviewSeconds"`
	// AgentCalls is the agent's other calls per contact it serves: claim, the contact's view, the reply.
	AgentCalls float64 `json:"agentCalls"`
	// WatchSeconds is how often the console re-reads each conversation its agent holds without the push
	// (shared/webui/console.html, watch: GET /agent/contacts/{id} with the lease, every 4 s); 0 leaves it out.
	WatchSeconds float64 `json:"watchSeconds"`
	Push         Push    `json:"push"`
	Writes       Writes  `json:"writes"`
	Millis       Millis  `json:"millis"`
	Sizes        Sizes   `json:"sizes"`
	Caches       Caches  `json:"caches"`
	// Shards and PlatformShards are the human-queue shards of a merchant and of the platform team
	// (priority.Rules; 0 means 1).
	Shards         int `json:"shards"`
	PlatformShards int `json:"platformShards"`
}

// Writes are two ways the code writes a contact, as switches: false is the code as it was on 6 December. Flip one
// (here in DefaultWorkload, or a profile's "workload": {"writes": {...}}) when the code changes. NoteOnce is the code
// since 6 December (dynamo.Contacts.NoteShopper reads, Remember writes once); SettleApart since 7 December
// (dynamo.Contacts.Settle: an UpdateItem a contact).
type Writes struct {
	// NoteOnce: the intake reads the shopper note (a consistent GetItem, 1 RRU) and writes it once a contact
	// (1 WRU) instead of before and after the contact (2 UpdateItems, 2 WRU).
	NoteOnce bool `json:"noteOnce"`
	// SettleApart: the responder settles each contact of a batch with its own conditional UpdateItem, all at once
	// (1 WRU an item), instead of one TransactWriteItems a batch (2 WRU an item).
	SettleApart bool `json:"settleApart"`
	// TurnApart: a follow-up is three conditional writes (the client's message id, the message, the contact) and
	// the bot's answer to it two (the reply, the contact), 1 WRU each, instead of two transactions of three and
	// two items (2 WRU an item).
	TurnApart bool `json:"turnApart"`
}

// TurnWRU is what a follow-up and its answer bill the Messages table and, per write unit of the contact item
// (wcu), the Contacts table.
func (w Writes) TurnWRU(wcu float64) (messages, contacts float64) {
	if w.TurnApart {
		return 3, 2 * wcu
	}
	return 2*2 + 2*1, 2*wcu + 2*wcu
}

// NoteWRU is the shopper note's write units a contact: 2 before and after the contact, 1 once.
func (w Writes) NoteWRU() float64 {
	if w.NoteOnce {
		return 1
	}
	return 2
}

// SettleWRU is what the responder's settle bills a message of wcu units, in a batch of batch messages: a single
// message is one conditional write; a batch is a transaction (each item twice) or, with SettleApart, a
// conditional write a message.
func (w Writes) SettleWRU(wcu, batch float64) float64 {
	if batch > 1 && !w.SettleApart {
		return 2 * wcu
	}
	return wcu
}

// Millis is how long a request keeps its function busy, in milliseconds.
type Millis struct {
	Post     float64 `json:"post"`     // POST /contacts: the shopper's note, the contact, the SQS send, the note again
	Poll     float64 `json:"poll"`     // GET /contacts/{id}: one read; a queued contact's position and staffing mostly cached
	Message  float64 `json:"message"`  // POST /contacts/{id}/messages
	Agent    float64 `json:"agent"`    // claim, view, reply (a claim reads every queue head and writes a transaction)
	Overview float64 `json:"overview"` // GET /agent/queues, from the instance's cache but once per OverviewTTL
	Reread   float64 `json:"reread"`   // GET /agent/contacts/{id} of a held conversation: the contact and its new messages
	Register float64 `json:"register"` // PUT /contacts/{id}/push, PUT /agent/push: one UpdateItem
	Hello    float64 `json:"hello"`    // the push function's answer to hello: no AWS call
	Poke     float64 `json:"poke"`     // one PostToConnection, inside the request that pokes
}

// Sizes are what DynamoDB bills a contact's reads and writes by.
type Sizes struct {
	// ContactKB is a contact item's size: a write costs ceil(KB) WRU, twice that in a transaction.
	ContactKB float64 `json:"contactKB"`
	// IndexEntryBytes is a human-queue index entry (keys and projected attributes).
	IndexEntryBytes float64 `json:"indexEntryBytes"`
	// AgentNameBytes is an agent's user name, as the staffing items collect them; AgentLanguages how many
	// languages an agent speaks (each a set in the item).
	AgentNameBytes float64 `json:"agentNameBytes"`
	AgentLanguages float64 `json:"agentLanguages"`
}

// Caches are the functions' read caches and key spreading as the code sets them (each field names where: they
// are unexported or set in main, so keep them in step by hand).
type Caches struct {
	PositionTTL     float64 `json:"positionTTL"`     // s: functions/intake/main.go, store.PositionTTL
	StaffingTTL     float64 `json:"staffingTTL"`     // s: functions/intake/main.go, staffingCache
	OverviewTTL     float64 `json:"overviewTTL"`     // s: functions/agent/main.go, statsCache
	ActivityShards  int     `json:"activityShards"`  // shared/aws/dynamo/staffing.go
	ActivityMinutes int     `json:"activityMinutes"` // minutes a staffing read covers: activityWindow + the current one
	MaxScan         int     `json:"maxScan"`         // shared/aws/dynamo/queue.go: entries a queue stats read visits
	MaxCountPages   int     `json:"maxCountPages"`   // shared/aws/dynamo/queue.go: 1 MB pages an uncached count visits
	PositionEntries int     `json:"positionEntries"` // shared/aws/dynamo/position.go: entries a position snapshot reads
}

// DefaultWorkload is the conversation as built (contact.NextPoll, the console's overview every
// topology.OverviewSeconds, position snapshots of dynamo.PositionEntries per topology.PositionTTL) on the
// Double 11 marketplace (DefaultTenants), with request times for AWS (single-digit-millisecond DynamoDB calls).
func DefaultWorkload() Workload {
	return Workload{
		Tenants: DefaultTenants(), FollowUpShare: 0.2, BotSeconds: 0.5, OverviewSeconds: topology.OverviewSeconds, AgentCalls: 3,
		WatchSeconds: 4, Push: DefaultPush(),
		// The code's writes (model.Writes): the note once, a settle an UpdateItem a contact, turns without transactions.
		Writes: Writes{NoteOnce: true, SettleApart: true, TurnApart: true},
		Millis: Millis{Post: 25, Poll: 8, Message: 20, Agent: 30, Overview: 4, Reread: 10, Register: 10, Hello: 2, Poke: 5},
		Sizes:  Sizes{ContactKB: 1, IndexEntryBytes: 200, AgentNameBytes: 16, AgentLanguages: 1},
		Caches: Caches{PositionTTL: topology.PositionTTL.Seconds(), PositionEntries: 500, StaffingTTL: 15, OverviewTTL: topology.OverviewSeconds, ActivityShards: 16, ActivityMinutes: 6, MaxScan: 5000, MaxCountPages: 8},
	}
}

// Validate reports the first setting the workload cannot use.
func (w Workload) Validate() error {
	if err := w.Tenants.Validate(); err != nil {
		return err
	}
	m, c := w.Millis, w.Caches
	switch {
	case w.FollowUpShare < 0 || w.FollowUpShare > 1:
		return fmt.Errorf("follow-up share %g is not between 0 and 1", w.FollowUpShare)
	case w.BotSeconds < 0 || w.AgentCalls < 0:
		return errors.New("bot seconds and agent calls must not be negative")
	case w.OverviewSeconds <= 0:
		return errors.New("overview seconds must be positive")
	case w.WatchSeconds < 0:
		return errors.New("watch seconds must not be negative (0 leaves the console's re-reads out)")
	case w.Push.On && (w.Push.SafetySeconds <= 0 || w.Push.PingSeconds <= 0 || w.Push.ReconnectSeconds <= 0):
		return errors.New("push: safety, ping and reconnect seconds must be positive")
	case w.Push.QueuedFloorSeconds < 0:
		return errors.New("push: queued floor seconds must not be negative")
	case m.Post < 0 || m.Poll < 0 || m.Message < 0 || m.Agent < 0 || m.Overview < 0 || m.Reread < 0 || m.Register < 0 || m.Hello < 0 || m.Poke < 0:
		return errors.New("request times must not be negative")
	case w.Sizes.ContactKB <= 0 || w.Sizes.IndexEntryBytes <= 0 || w.Sizes.AgentNameBytes <= 0 || w.Sizes.AgentLanguages <= 0:
		return errors.New("sizes must be positive")
	case c.PositionEntries < 1:
		return errors.New("position entries must be at least 1")
	case c.PositionTTL <= 0 || c.StaffingTTL <= 0 || c.OverviewTTL <= 0 || c.ActivityShards < 1 || c.ActivityMinutes < 1 || c.MaxScan < 1 || c.MaxCountPages < 1:
		return errors.New("cache settings must be positive")
	case w.Shards < 0 || w.PlatformShards < 0:
		return errors.New("shards must not be negative")
	}
	return nil
}

// Route keys of the API, as topology.Routes and the route throttles name them.
const (
	RoutePost     = "POST /contacts"
	RoutePoll     = "GET /contacts/{id}"
	RouteMessage  = "POST /contacts/{id}/messages"
	RouteOverview = "GET /agent/queues"
	RouteClaim    = "POST /agent/claim"
	RouteView     = "GET /agent/contacts/{id}"
	RouteReply    = "POST /agent/contacts/{id}/reply"
	// The push's registrations (PUSH14): a shopper's page and an agent's console store their connection id.
	RoutePushShopper = "PUT /contacts/{id}/push"
	RoutePushAgent   = "PUT /agent/push"
)

// FunctionOf is the function behind route: the intake for shoppers' routes, the agent function for agents'.
func FunctionOf(route string) string {
	for _, r := range topology.Routes {
		if r.Method+" "+r.Path == route {
			return r.Function
		}
	}
	if route == RoutePushShopper {
		return FnIntake
	}
	return FnAgent
}

// Functions' names, as topology names them.
const (
	FnIntake    = "intake"
	FnResponder = "responder"
	FnAgent     = "agent"
)

// Load is what one moment of the peak asks of AWS.
type Load struct {
	T        float64            // seconds since the start
	Contacts float64            // new contacts a second
	Routes   map[string]float64 // requests a second by route
	// Concurrency is each function's concurrent executions.
	Concurrency map[string]float64
	// Table and index totals, units a second (an index write costs the index's own WRU).
	TableWRU, TableRRU float64
	QueueWRU, QueueRRU float64
	AgingWRU, AgingRRU float64
	// MessagesWRU and MessagesRRU are the conversations' Messages table: a follow-up is one transaction of the
	// client's dedupe record, the message and the contact (each billed twice), and the bot's answer to it another
	// (the reply and the contact); a poll of a conversation with a thread queries it.
	MessagesWRU, MessagesRRU float64
	// Hot is the busiest partition key value of the table and of each index.
	Hot []KeyLoad
	// Parts of the totals, for the report: polls by the conversation's state (ClaimedPolls while a person holds
	// it: paced, or with the push the safety polls and PokedPolls, one after each poke); the console's re-reads of
	// held conversations (its watch, or with the push the safety re-reads and PokedRereads).
	PendingPolls, QueuedPolls, ClaimedPolls, PokedPolls float64
	Rereads, PokedRereads                               float64
	// Push is the WebSocket push's load.
	Push               PushLoad
	Agents, BusyAgents float64
	SQSInFlight        float64
}

// KeyLoad is one partition key value's load: what it is, where, and the units a second it takes.
type KeyLoad struct {
	Where string // "table", "queue index", "aging index"
	Key   string // an example of the key value, e.g. "m1#normal#0"
	WCU   float64
	RCU   float64
	// Why is the arithmetic, for -v.
	Why string
}

// Total is the requests a second over every route.
func (l Load) Total() float64 { return sum(l.Routes) }

// sum adds m's values in the order of their keys, so that a plan's figures are the same on every run (a map's
// order changes a float sum's last digits, and with them which minute ties for the busiest).
func sum(m map[string]float64) float64 {
	var s float64
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s += m[k]
	}
	return s
}

// tenantLoad is one tenant's share of the human queues' traffic.
type tenantLoad struct {
	name   string
	shards int
	// rate is its hand-offs a second per priority, served its contacts served a second; depth its contacts
	// waiting per priority; agents its agents on shift.
	rate   [priority.Urgent + 1]float64
	served float64
	depth  [priority.Urgent + 1]float64
	agents float64
	polls  float64 // queued polls a second of its shoppers
	views  float64 // requests a second of its agents that read the overview (from their instance's cache)
}

// Demand is what the simulated moment s asks of AWS under w with agents on shift. The simulation's arrivals are
// messages (contacts and their follow-ups); aht is the agents' handle time in seconds and shards the queue shards.
func Demand(c Config, w Workload, s Sample, agents float64) Load {
	f := w.FollowUpShare
	contacts := s.Arrivals / (1 + f)
	l := Load{T: s.T, Contacts: contacts, Routes: map[string]float64{}, Concurrency: map[string]float64{}, Agents: agents}
	aht := c.Agents.HandleSeconds

	// Shoppers. Each message is polled every contact.PollPending until the bot has decided (at least once); a
	// queued one at the pace its estimated wait sets; a claimed one every contact.PollClaimed.
	latency := w.BotSeconds + s.OldestAge
	pending := PendingPolls(latency)
	l.PendingPolls = s.Arrivals * pending
	var waiting [priority.Urgent + 1]float64
	var totalWaiting float64
	lq := erlangQueue(agents, s.HandedOff*aht)
	for _, p := range priority.All {
		waiting[p] = s.Queue[p] + lq*c.Mix[p]
		totalWaiting += waiting[p]
	}
	ahead := 0.0
	for i := len(priority.All) - 1; i >= 0; i-- { // urgent first: a contact waits for those above it and half its own
		p := priority.All[i]
		est := estimatedWait(ahead+waiting[p]/2, aht, agents)
		l.QueuedPolls += waiting[p] / w.Push.QueuedPace(QueuedPace(est)).Seconds()
		ahead += waiting[p]
	}
	busy := min(agents, s.Served*aht)
	l.BusyAgents = busy
	per := w.AgentCalls / 3
	// A person holds busy conversations. With the push, a socket per handed-off contact (queued or held) and per
	// agent; a poke to the shopper on claim and on each agent message (per a contact served), to the agent on a
	// shopper's follow-up while held (as often as any contact's: FollowUpShare), each followed by one read.
	l.Push = w.Push.Load(s.HandedOff, totalWaiting, busy, s.Served, agents, per, f)
	held, rereads := w.Push.HeldReads(l.Push, busy, contact.PollClaimed.Seconds(), w.WatchSeconds)
	l.PokedPolls, l.PokedRereads = l.Push.ShopperPokes, l.Push.AgentPokes
	l.ClaimedPolls, l.Rereads = held-l.PokedPolls, rereads-l.PokedRereads
	l.Routes[RoutePost] = contacts
	l.Routes[RouteMessage] = contacts * f
	l.Routes[RoutePoll] = l.PendingPolls + l.QueuedPolls + held

	// Agents: the overview on a timer, but only on the consoles of agents who hold no conversation (a claim, a
	// re-read of a held conversation and an action bring it along), the rest per contact served, and the re-reads
	// of held conversations.
	l.Routes[RouteOverview] = (agents - busy) / w.OverviewSeconds
	l.Routes[RouteClaim] = s.Served * per
	l.Routes[RouteView] = s.Served*per + rereads
	l.Routes[RouteReply] = s.Served * per
	if w.Push.On {
		l.Routes[RoutePushShopper] = l.Push.ShopperRegistrations
		l.Routes[RoutePushAgent] = l.Push.AgentRegistrations
	}

	// Function time: each route's requests, the re-reads at their own pace, a PostToConnection inside the request
	// that pokes (the agent function pokes shoppers, the intake agents), and the push function's hellos.
	m := w.Millis
	l.Concurrency[FnIntake] = (contacts*m.Post + contacts*f*m.Message + l.Routes[RoutePoll]*m.Poll +
		l.Push.ShopperRegistrations*m.Register + l.Push.AgentPokes*m.Poke) / 1000
	l.Concurrency[FnAgent] = (l.Routes[RouteOverview]*m.Overview + s.Served*w.AgentCalls*m.Agent + rereads*m.Reread +
		l.Push.AgentRegistrations*m.Register + l.Push.ShopperPokes*m.Poke) / 1000
	l.Concurrency[FnResponder] = s.Concurrency
	if w.Push.On {
		l.Concurrency[FnPush] = l.Push.Hellos * m.Hello / 1000
	}
	l.SQSInFlight = s.Concurrency * float64(c.Lambda.BatchSize)

	// Tenants: the biggest merchant and the platform team carry the hottest keys.
	// Every agent request but a push registration reads the overview from its instance's cache.
	overviews := l.Routes[RouteOverview] + l.Routes[RouteClaim] + l.Routes[RouteView] + l.Routes[RouteReply]
	tenants := w.tenantLoads(c, s, waiting, agents, l.QueuedPolls, overviews, totalWaiting)
	wcu := math.Ceil(w.Sizes.ContactKB)
	batch := EffectiveBatch(s.Drained, s.Concurrency, c.Lambda)
	settleWCU := w.Writes.SettleWRU(wcu, batch)
	handed := s.HandedOff
	// Table writes: intake (note, contact, note again, or the note once; a follow-up updates the contact and the
	// note), the responder's settles, and per contact served the claim's transaction (contact and lease slot), the
	// reply, freeing the slot and two staffing notes; with the push, each registration's UpdateItem (the contact's
	// pushConn, not projected into any index; the agent's own record).
	intakeInstances := max(1, math.Ceil(l.Concurrency[FnIntake]))
	agentInstances := max(1, math.Ceil(l.Concurrency[FnAgent]))
	activity := w.activity(tenants, intakeInstances)
	// A follow-up's own writes (the post and the bot's answer) bill the Messages table and, for the contact's item,
	// this one (model.Writes.TurnWRU).
	turnMessages, turnContact := w.Writes.TurnWRU(wcu)
	l.MessagesWRU = contacts * f * turnMessages
	// The responder answers a follow-up's turn apart (it reads the contact, and the thread consistently, and settles
	// the turn with SettleTurn, counted above): its batch settle takes only the contacts' first messages.
	l.MessagesRRU = (l.Routes[RoutePoll]+rereads)*0.5 + contacts*f*1
	l.TableWRU = contacts*(w.Writes.NoteWRU()+wcu) + contacts*f*turnContact + s.Drained/(1+f)*settleWCU +
		s.Served*(2*wcu+2+wcu+1) + activity.totalWCU + l.Push.ShopperRegistrations*wcu + l.Push.AgentRegistrations*1
	// Table reads: a poll reads the contact (eventually consistent, up to 4 KB: half a unit); a claim reads the
	// agent's slots (consistent) and the claimed contact, a view and a reply read the contact; staffing reads.
	half := 0.5 * math.Ceil(w.Sizes.ContactKB/4)
	// A re-read of a held conversation reads the contact and queries its new messages.
	l.TableRRU = l.Routes[RoutePoll]*half + s.Served*(1+3*half) + rereads*half + activity.totalRCU
	if w.Writes.NoteOnce {
		l.TableRRU += contacts // the note's consistent read before each contact
	}
	l.TableRRU += contacts * f * half // a turn reads its contact
	// Queue index: an entry is written when queued, twice when claimed (its sort key changes) and removed at the
	// reply; the aging index when queued, when claimed (the lease is projected) and at the reply.
	l.QueueWRU = handed*1 + s.Served*3
	l.AgingWRU = handed*1 + s.Served*2
	queue := w.queueReads(tenants, intakeInstances, agentInstances)
	l.QueueRRU = queue.total
	l.AgingRRU = float64(len(priority.All)*16) * 0.5 / 60 // the metrics function, once a minute

	l.Hot = append(l.Hot, activity.hot)
	l.Hot = append(l.Hot, queue.hot...)
	l.Hot = append(l.Hot, w.agingHot(c, s))
	return l
}

// PendingPolls is how many times a shopper's page asks about a message the bot answers latency seconds after it
// was sent: every contact.PollPending, and at least once.
func PendingPolls(latency float64) float64 {
	return max(1, math.Ceil(latency/contact.PollPending.Seconds()))
}

// QueuedPace is how often a queued shopper's page asks, given the estimated wait (negative: no estimate).
func QueuedPace(est float64) time.Duration {
	if est < 0 {
		return contact.NextPoll(contact.Queued, nil)
	}
	n := int(math.Ceil(est))
	return contact.NextPoll(contact.Queued, &n)
}

// QueuedPolls is how many times a shopper's page asks while the contact waits wait seconds, the estimate counting
// down as it goes: every contact.NextPoll of the wait left.
func QueuedPolls(wait float64) float64 {
	n := 0.0
	for left := wait; left > 0; n++ {
		left -= QueuedPace(left).Seconds()
	}
	return n
}

// estimatedWait is what the intake tells a shopper with n contacts ahead: n × handle time / agents on shift
// (functions/intake), or -1 with nobody on shift.
func estimatedWait(n, aht, agents float64) float64 {
	if agents < 1 {
		return -1
	}
	return (n + 1) * aht / agents
}

// erlangQueue is the mean number of contacts waiting with agents serving load erlangs (Erlang C), 0 when the
// load is nil or the agents cannot keep up (the simulation's backlog then says how many wait).
func erlangQueue(agents, load float64) float64 {
	n := int(math.Floor(agents))
	if load <= 0 || float64(n) <= load {
		return 0
	}
	return ErlangC(n, load) * load / (float64(n) - load)
}

// EffectiveBatch is how many messages a responder invocation gets: the event source hands over what it has, so
// at low load a batch holds the messages that arrived during one invocation, never more than BatchSize.
func EffectiveBatch(drained, concurrency float64, l Lambda) float64 {
	if concurrency <= 0 || drained <= 0 {
		return 1
	}
	perInvocation := drained / (concurrency * 1000 / l.BatchMillis)
	return min(float64(l.BatchSize), max(1, perInvocation))
}

func (w Workload) tenantLoads(c Config, s Sample, waiting [priority.Urgent + 1]float64, agents, queuedPolls, views, totalWaiting float64) []tenantLoad {
	ps := min(w.Tenants.PlatformShare, c.Mix[priority.Urgent])
	top := w.Tenants.Top() * (1 - ps)
	merchant := tenantLoad{name: "m1 (the biggest merchant)", shards: max(1, w.Shards)}
	platform := tenantLoad{name: "platform", shards: max(1, w.PlatformShards)}
	handed := s.HandedOff
	for _, p := range priority.All {
		mix := c.Mix[p]
		if p == priority.Urgent {
			platform.rate[p] = handed * ps
			platform.depth[p] = waiting[p] * ps / max(mix, 1e-12)
			mix -= ps
		}
		merchant.rate[p] = handed * mix * w.Tenants.Top()
		merchant.depth[p] = waiting[p] * mix / max(c.Mix[p], 1e-12) * w.Tenants.Top()
	}
	for _, t := range []*tenantLoad{&merchant, &platform} {
		share := top
		if t == &platform {
			share = ps
		}
		t.served = s.Served * share
		t.agents = agents * share
		var depth float64
		for _, d := range t.depth {
			depth += d
		}
		if totalWaiting > 0 {
			t.polls = queuedPolls * depth / totalWaiting
		}
		t.views = views * share
	}
	return []tenantLoad{merchant, platform}
}

// activityLoad is what the staffing notes cost: every claim and reply adds the agent's name to its tenant's item
// for the minute (one of ActivityShards), so the item grows through the minute and each write is billed by its
// size; every intake instance re-reads a tenant's items per StaffingTTL.
type activityLoad struct {
	totalWCU, totalRCU float64
	hot                KeyLoad
}

func (w Workload) activity(tenants []tenantLoad, intakeInstances float64) activityLoad {
	var a activityLoad
	shards := float64(w.Caches.ActivityShards)
	for i, t := range tenants {
		writes := 2 * t.served
		if writes <= 0 || t.agents <= 0 {
			continue
		}
		perAgentMinute := writes * 60 / t.agents
		active := t.agents * (1 - math.Exp(-perAgentMinute)) // distinct agents in a minute's items
		bytes := 100 + active/shards*(w.Sizes.AgentNameBytes+1)*w.Sizes.AgentLanguages
		wcu := math.Ceil(bytes / 1024) // at the end of the minute, when the item is largest
		perKey := writes / shards * wcu
		a.totalWCU += writes * math.Ceil(bytes/2/1024) // on average over the minute
		reads := instanceReads(t.polls, w.Caches.StaffingTTL, intakeInstances)
		rcu := reads * 0.5 * math.Ceil(bytes/4096)
		a.totalRCU += rcu * float64(w.Caches.ActivityMinutes) * shards
		k := KeyLoad{Where: "table", Key: "T#" + t.name + "#<minute>#<shard>", WCU: perKey, RCU: rcu,
			Why: fmt.Sprintf("%s: %.0f claims and replies/s over %d shards = %.1f writes/s, each billed for the item's %.1f KB (%.0f agents active in the minute × %g bytes / %d shards) = %.0f WCU/s",
				t.name, writes, w.Caches.ActivityShards, writes/shards, bytes/1024, active, w.Sizes.AgentNameBytes+1, w.Caches.ActivityShards, perKey)}
		if i == 0 || k.WCU > a.hot.WCU {
			a.hot = k
		}
	}
	return a
}

// instanceReads is how many times a second a value cached for ttl seconds per function instance is read from
// DynamoDB, when rate requests a second that need it spread over instances: each instance that serves at least one
// of them in a ttl reads it once.
func instanceReads(rate, ttl, instances float64) float64 {
	if rate <= 0 || instances <= 0 {
		return 0
	}
	return instances * (1 - math.Exp(-rate*ttl/instances)) / ttl
}

type queueReadLoad struct {
	total float64
	hot   []KeyLoad
}

// queueReads is what the queue index's partitions are read: claims read each partition's first entries; every
// intake instance re-reads, per PositionTTL, each partition a queued shopper's position counts (the snapshot,
// up to MaxCountPages pages); every agent instance re-reads, per OverviewTTL, all of a tenant's partitions
// (up to MaxScan entries each) for the overview.
func (w Workload) queueReads(tenants []tenantLoad, intakeInstances, agentInstances float64) queueReadLoad {
	var q queueReadLoad
	entry := w.Sizes.IndexEntryBytes
	for _, t := range tenants {
		var worst KeyLoad
		for _, p := range priority.All {
			depth := t.depth[p] / float64(t.shards)
			writes := (t.rate[p] + 3*t.served*t.rate[p]/max(sumRate(t.rate), 1e-12)) / float64(t.shards)
			// Reads of this partition: claims (two queries of a few entries), position snapshots, overview stats.
			claims := 2 * t.served * 0.5
			snapBytes := min(depth, float64(w.Caches.PositionEntries)) * entry
			snap := instanceReads(t.polls, w.Caches.PositionTTL, intakeInstances) * 0.5 * math.Ceil(max(snapBytes, 1)/4096)
			statBytes := min(depth, float64(w.Caches.MaxScan)) * entry
			stats := instanceReads(t.views, w.Caches.OverviewTTL, agentInstances) * (0.5*math.Ceil(max(statBytes, 1)/4096) + 2*0.5)
			rcu := claims + snap + stats
			q.total += rcu * float64(t.shards)
			k := KeyLoad{Where: "queue index", Key: fmt.Sprintf("%s#%s#<shard>", t.name, p), WCU: writes, RCU: rcu,
				Why: fmt.Sprintf("%s %s: %.1f hand-offs/s × 4 index writes (queued, claimed twice, replied) / %d shards = %.0f WCU/s; reads %.0f RCU/s: claims %.0f, position snapshots %.0f (%.0f entries), overview %.0f",
					t.name, p, t.rate[p], t.shards, writes, rcu, claims, snap, depth, stats)}
			if k.WCU+k.RCU/3 > worst.WCU+worst.RCU/3 {
				worst = k
			}
		}
		q.hot = append(q.hot, worst)
	}
	return q
}

func sumRate(r [priority.Urgent + 1]float64) float64 {
	var s float64
	for _, v := range r {
		s += v
	}
	return s
}

// agingHot is the aging index's busiest bucket: every tenant's contacts of one priority over 16 buckets.
func (w Workload) agingHot(c Config, s Sample) KeyLoad {
	var worst KeyLoad
	for _, p := range priority.All {
		rate := s.HandedOff * c.Mix[p]
		writes := 3 * rate / 16
		if writes >= worst.WCU {
			worst = KeyLoad{Where: "aging index", Key: p.String() + "#<bucket>", WCU: writes,
				Why: fmt.Sprintf("every tenant's %s hand-offs, %.0f/s × 3 writes (queued, claimed, replied) / 16 buckets = %.0f WCU/s", p, rate, writes)}
		}
	}
	return worst
}
