package model

import (
	"cmp"
	"maps"
	"math"
	"slices"
)

// Prices are list prices in US dollars (us-east-1).
type Prices struct {
	HTTPPerMillion     float64 // API Gateway HTTP API requests (the first 300 million a month)
	WSPerMillion       float64 // API Gateway WebSocket messages (each 32 KB, both directions, PostToConnection included)
	WSMinutePerMillion float64 // API Gateway WebSocket connection-minutes
	SQSPerMillion      float64 // SQS standard requests
	LambdaPerGBSecond  float64 // arm64
	LambdaPerMillion   float64 // invocations
	WRUPerMillion      float64 // DynamoDB on-demand write request units
	RRUPerMillion      float64 // DynamoDB on-demand read request units
	LogsPerGB          float64 // CloudWatch Logs ingestion
}

// ListPrices are the us-east-1 list prices the plan uses.
func ListPrices() Prices {
	return Prices{
		HTTPPerMillion: 1.00, WSPerMillion: 1.00, WSMinutePerMillion: 0.25, SQSPerMillion: 0.40, LambdaPerGBSecond: 0.0000133334, LambdaPerMillion: 0.20,
		WRUPerMillion: 0.625, RRUPerMillion: 0.125, LogsPerGB: 0.50,
	}
}

// Log bytes per request or invocation, as the stack writes them: Lambda's platform lines (start, end, report) in
// JSON, the API's access log line, the functions' own lines.
const (
	platformLogBytes  = 700
	accessLogBytes    = 350
	postLogBytes      = 250 // "contact accepted"
	batchLogBytes     = 850 // "batch settled" and its EMF lines
	agentCallLogBytes = 150
)

// Usage is what a run used, in total.
type Usage struct {
	Contacts float64
	// Requests by route; Invocations and GBSeconds by function.
	Requests    map[string]float64
	Invocations map[string]float64
	GBSeconds   map[string]float64
	SQS         float64 // sends, receives and delete batches
	WRU, RRU    float64 // the table and its indexes
	LogBytes    float64
	// WSMessages are the WebSocket messages billed, by what sent them (WSHello ...); WSMinutes the connection-minutes.
	WSMessages map[string]float64
	WSMinutes  float64
	// Reads are the shoppers' polls and the consoles' re-reads of held conversations, by why they are made
	// (ReadPending ...): parts of GET /contacts/{id} and GET /agent/contacts/{id}.
	Reads map[string]float64
}

// Why a page or console reads, for Usage.Reads.
const (
	ReadPending     = "polls while the bot decides"
	ReadQueued      = "polls while queued"
	ReadHeld        = "polls while a person holds it"
	ReadPoked       = "polls after a poke"
	ReadRereads     = "console re-reads"
	ReadPokedReread = "console re-reads after a poke"
)

// What WebSocket messages are, for Usage.WSMessages and the report.
const (
	WSHello       = "hellos"
	WSPing        = "pings"
	WSShopperPoke = "pokes to shoppers"
	WSAgentPoke   = "pokes to agents"
)

func newUsage() Usage {
	return Usage{Requests: map[string]float64{}, Invocations: map[string]float64{}, GBSeconds: map[string]float64{}, WSMessages: map[string]float64{}, Reads: map[string]float64{}}
}

// memoryMB is function fn's memory: topology's, or the push function's own when topology does not list it yet.
func memoryMB(memory map[string]float64, fn string) float64 {
	if m, ok := memory[fn]; ok {
		return m
	}
	if fn == FnPush {
		return PushMemoryMB
	}
	return 0
}

// add counts dt seconds of load l, with the responder's batches and the functions' memory in MB.
func (u *Usage) add(l Load, s Sample, w Workload, lam Lambda, memory map[string]float64, dt float64) {
	u.Contacts += l.Contacts * dt
	// Every HTTP request is one invocation of its function; the intake's, agent's and push function's time is
	// their concurrency (function-seconds a second, every request at its own Millis), in whole milliseconds.
	for _, route := range slices.Sorted(maps.Keys(l.Routes)) { // in one order: float sums must not vary by run
		rps := l.Routes[route]
		u.Requests[route] += rps * dt
		u.Invocations[FunctionOf(route)] += rps * dt
		switch route {
		case RoutePost, RouteMessage:
			u.LogBytes += rps * dt * postLogBytes
		case RoutePoll, RouteOverview, RoutePushShopper:
		default:
			u.LogBytes += rps * dt * agentCallLogBytes
		}
		u.LogBytes += rps * dt * (platformLogBytes + accessLogBytes)
	}
	for _, fn := range []string{FnIntake, FnAgent, FnPush} {
		u.GBSeconds[fn] += l.Concurrency[fn] * dt * memoryMB(memory, fn) / 1024
	}
	u.addPush(l.Push, dt)
	for k, v := range map[string]float64{ReadPending: l.PendingPolls, ReadQueued: l.QueuedPolls, ReadHeld: l.ClaimedPolls,
		ReadPoked: l.PokedPolls, ReadRereads: l.Rereads, ReadPokedReread: l.PokedRereads} {
		u.Reads[k] += v * dt
	}
	batch := EffectiveBatch(s.Drained, s.Concurrency, lam)
	invocations := s.Drained / batch
	u.Invocations[FnResponder] += invocations * dt
	u.GBSeconds[FnResponder] += invocations * dt * math.Ceil(BatchMillis(lam, batch)) / 1000 * memoryMB(memory, FnResponder) / 1024
	u.LogBytes += invocations * dt * (platformLogBytes + batchLogBytes)
	// SQS: intake sends each message; the event source receives a batch and deletes it in one call.
	u.SQS += (s.Arrivals + 2*invocations) * dt
	u.WRU += (l.TableWRU + l.QueueWRU + l.AgingWRU + l.MessagesWRU) * dt
	u.RRU += (l.TableRRU + l.QueueRRU + l.AgingRRU + l.MessagesRRU) * dt
}

// addPush counts dt seconds of the push's load p: its messages, connection-minutes, the push function's hellos and
// the stage's access log lines (connection requests, hellos, pings).
func (u *Usage) addPush(p PushLoad, dt float64) {
	u.WSMessages[WSHello] += p.Hellos * MessagesPerHello * dt
	u.WSMessages[WSPing] += p.Pings * MessagesPerPing * dt
	u.WSMessages[WSShopperPoke] += p.ShopperPokes * MessagesPerPoke * dt
	u.WSMessages[WSAgentPoke] += p.AgentPokes * MessagesPerPoke * dt
	u.WSMinutes += p.Sockets * dt / 60
	u.Invocations[FnPush] += p.Hellos * dt
	u.LogBytes += p.StageRequests()*dt*accessLogBytes + p.Hellos*dt*platformLogBytes
}

// addLogins counts agents consoles connecting at the start of their shift (the reconnects during it are in the
// load): a connection, its hello and the console's PUT /agent/push each; w's times, function memory in MB.
func (u *Usage) addLogins(agents float64, w Workload, memory map[string]float64) {
	if !w.Push.On || agents <= 0 {
		return
	}
	u.addPush(PushLoad{Connects: agents, Hellos: agents}, 1)
	u.Requests[RoutePushAgent] += agents
	u.Invocations[FnAgent] += agents
	u.GBSeconds[FnAgent] += agents * w.Millis.Register / 1000 * memoryMB(memory, FnAgent) / 1024
	u.GBSeconds[FnPush] += agents * w.Millis.Hello / 1000 * memoryMB(memory, FnPush) / 1024
	u.WRU += agents
	u.LogBytes += agents * (platformLogBytes + accessLogBytes + agentCallLogBytes)
}

// BatchMillis is a responder invocation's time for a batch of n messages: BatchMillis for a full batch, a fifth of
// it fixed (the invocation, the one write call) and the rest in proportion to the messages.
func BatchMillis(l Lambda, n float64) float64 {
	return l.BatchMillis * (0.2 + 0.8*n/float64(l.BatchSize))
}

// CostLine is one service's share of the cost of a million contacts.
type CostLine struct {
	Service    string
	Unit       string
	PerContact float64 // units per contact
	PerMillion float64 // dollars per million contacts
	// Detail says where the units come from, for the report and DEPLOY.md.
	Detail string
}

// CostPerMillion prices a million contacts line by line from what a run used; logs come last and apart.
func CostPerMillion(u Usage, p Prices) (lines []CostLine, logs CostLine) {
	per := func(v float64) float64 {
		if u.Contacts <= 0 {
			return 0
		}
		return v / u.Contacts
	}
	http := per(sum(u.Requests))
	inv := per(sum(u.Invocations))
	gbs := per(sum(u.GBSeconds))
	ws, minutes := per(sum(u.WSMessages)), per(u.WSMinutes)
	lines = []CostLine{
		{"API Gateway HTTP API", "requests", http, http * p.HTTPPerMillion, detail(u.Requests, per) + "; of which " + detail(u.Reads, per)},
		{"API Gateway WebSocket messages", "messages", ws, ws * p.WSPerMillion, detail(u.WSMessages, per)},
		{"API Gateway WebSocket connections", "connection-minutes", minutes, minutes * p.WSMinutePerMillion, ""},
		{"Lambda invocations", "invocations", inv, inv * p.LambdaPerMillion, ""},
		{"Lambda duration (arm64)", "GB-s", gbs, gbs * 1e6 * p.LambdaPerGBSecond, ""},
		{"SQS", "requests", per(u.SQS), per(u.SQS) * p.SQSPerMillion, ""},
		{"DynamoDB writes", "WRU", per(u.WRU), per(u.WRU) * p.WRUPerMillion, ""},
		{"DynamoDB reads", "RRU", per(u.RRU), per(u.RRU) * p.RRUPerMillion, ""},
	}
	gb := per(u.LogBytes) / 1e9
	logs = CostLine{"CloudWatch Logs (ingestion)", "GB", gb, gb * 1e6 * p.LogsPerGB, ""}
	return lines, logs
}

// Total is the sum of lines, in dollars per million contacts.
func Total(lines []CostLine) float64 {
	var t float64
	for _, l := range lines {
		t += l.PerMillion
	}
	return t
}

// detail lists m's units per contact by key (requests by route, messages by sender), largest first; keys with
// none are left out.
func detail(m map[string]float64, per func(float64) float64) string {
	out := ""
	for _, k := range LargestFirst(m) {
		if m[k] <= 0 {
			break
		}
		if out != "" {
			out += ", "
		}
		out += k + " " + trim2(per(m[k]))
	}
	return out
}

// LargestFirst is m's keys by value, largest first, and by name among equal values.
func LargestFirst(m map[string]float64) []string {
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	return keys
}

func trim2(v float64) string {
	s := math.Round(v*100) / 100
	return formatFloat(s)
}
