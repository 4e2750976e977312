package model

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"breakwater/shared/topology"
)

// Severity is what happens past a limit.
type Severity string

// Severities, worst first.
const (
	// Drops: contacts are refused, or fail to settle and are retried toward the DLQ.
	Drops Severity = "drops contacts"
	// Stalls: agents' calls are throttled or slowed, so handed-off contacts wait past their targets.
	Stalls Severity = "stalls agents"
	// Delays: the intake queue holds a backlog; answers come later but come.
	Delays Severity = "delays answers"
	// Fallback: a page or console cannot open or register its socket and goes back to polling, a load the plan
	// did not size the routes and quotas for.
	Fallback Severity = "falls back to polling"
	// Degrades: a best-effort write or read fails (the staffing notes behind wait estimates); no contact waits for
	// it, the shoppers' estimates are less sure. The check warns about it and does not fail.
	Degrades Severity = "degrades estimates"
)

// Fails reports whether passing a limit of this severity throttles, drops or delays contacts.
func (s Severity) Fails() bool { return s != Degrades }

// Limit is one limit in the path, what the peak asks of it minute by minute, and what raises it.
type Limit struct {
	Name     string   `json:"name"`
	Unit     string   `json:"unit"`
	Capacity float64  `json:"capacity"`
	Severity Severity `json:"severity"`
	// Owner is who sets it: "account" (an AWS quota), "stack" (CDK context), "data" (priority rules), "code".
	Owner string `json:"owner"`
	// Setting names what to change, e.g. "context apiRateQuota" or "shared/aws/dynamo/staffing.go".
	Setting string `json:"setting"`
	// Need is the peak's need at the end of each minute (the highest in that minute).
	Need []float64 `json:"need"`
	// Peak and PeakAt are the highest need and when; FirstBind is the first second the need passed the capacity,
	// -1 if it never did.
	Peak      float64 `json:"peak"`
	PeakAt    float64 `json:"peakAt"`
	FirstBind float64 `json:"firstBind"`
	// Why is the arithmetic of the peak's need, for -v.
	Why string `json:"why,omitempty"`
}

// Headroom is the capacity over the peak need (2 means twice what the peak needs; below 1 it binds).
func (l Limit) Headroom() float64 {
	if l.Peak <= 0 {
		return math.Inf(1)
	}
	return l.Capacity / l.Peak
}

// Binds reports whether the peak needs more than the limit allows.
func (l Limit) Binds() bool { return l.FirstBind >= 0 }

// PartitionWriteBudget is the writes a second the plan lets one partition key value take: half of DynamoDB's
// 1,000 WCU per partition, so a burst of twice the average still fits.
const PartitionWriteBudget = 500

// Names of the limits the checklist sizes settings from.
const (
	LimitAccountRequests = "API Gateway requests (account quota: HTTP, WebSocket, callbacks)"
	LimitUnreserved      = "Lambda concurrency, unreserved (intake, push)"
	LimitWSConnects      = "WebSocket new connections (account quota)"
	LimitWSStage         = "WebSocket stage (throttle)"
)

// Per-partition limits of DynamoDB, table and indexes alike, and SQS's in-flight limit for a standard queue.
const (
	PartitionWCU  = 1000
	PartitionRCU  = 3000
	SQSInFlight   = 120000
	minuteSeconds = 60
)

// limitSet collects needs per minute by limit name.
type limitSet struct {
	order  []string
	limits map[string]*Limit
}

func (ls *limitSet) need(name string, t, v float64, def func() Limit) {
	l, ok := ls.limits[name]
	if !ok {
		x := def()
		x.Name, x.FirstBind = name, -1
		l = &x
		ls.limits[name] = l
		ls.order = append(ls.order, name)
	}
	minute := int(math.Max(0, math.Ceil(t/minuteSeconds)-1))
	for len(l.Need) <= minute {
		l.Need = append(l.Need, 0)
	}
	l.Need[minute] = max(l.Need[minute], v)
	if v > l.Peak {
		l.Peak, l.PeakAt = v, t
	}
	if v > l.Capacity*(1+1e-9) && l.FirstBind < 0 {
		l.FirstBind = t
	}
}

// assess records every limit's need at moment l.
func (ls *limitSet) assess(l Load, s Sample, c Config, w Workload, st Stack) {
	cp := st.Capacity
	t := l.T
	account := func(name, unit string, capacity float64, sev Severity, setting string) func() Limit {
		return func() Limit {
			return Limit{Unit: unit, Capacity: capacity, Severity: sev, Owner: "account", Setting: setting}
		}
	}
	stack := func(unit string, capacity float64, sev Severity, setting string) func() Limit {
		return func() Limit {
			return Limit{Unit: unit, Capacity: capacity, Severity: sev, Owner: "stack", Setting: setting}
		}
	}
	ls.need(LimitAccountRequests, t, l.Total()+l.Push.StageRequests()+l.Push.Callbacks(),
		account("", "requests/s", float64(cp.APIRate), Drops, "ask AWS (Service Quotas: Amazon API Gateway, throttle rate), then context apiRateQuota"))
	if w.Push.On {
		total := l.Total() + l.Push.StageRequests() + l.Push.Callbacks()
		ls.why(LimitAccountRequests, t, total, fmt.Sprintf("HTTP %.0f/s (shoppers' polls %.0f, of them %.0f after a poke), the WebSocket stage %.0f/s, pushes (PostToConnection) %.0f/s: %.0f to shoppers' pages on claim and on each agent message, %.0f to agents' consoles on a shopper's follow-up to a held conversation",
			l.Total(), l.Routes[RoutePoll], l.PokedPolls, l.Push.StageRequests(), l.Push.Callbacks(), l.Push.ShopperPokes, l.Push.AgentPokes))
	}
	for _, route := range slices.Sorted(maps.Keys(l.Routes)) {
		var sev Severity
		switch route {
		case RoutePost, RouteMessage, RoutePoll:
			sev = Drops
		case RoutePushShopper, RoutePushAgent:
			sev = Fallback
		default:
			sev = Stalls
		}
		ls.need("route "+route+" (throttle)", t, l.Routes[route],
			stack("requests/s", float64(cp.RouteThrottle(route).Rate), sev, fmt.Sprintf("context apiRateQuota (the route gets %.1f%% of it: topology.RouteShares)", 100*routeShare(route))))
	}
	if w.Push.On {
		ls.need(LimitWSConnects, t, l.Push.Connects,
			account("", "connections/s", float64(cp.WSConnectRate), Fallback, "ask AWS (Service Quotas: Amazon API Gateway, new connections per second for WebSocket APIs), then context "+topology.KeyWSConnectRate))
		ls.why(LimitWSConnects, t, l.Push.Connects, fmt.Sprintf("%.0f hand-offs/s open a socket each, %.0f agents reconnect every %s (%.1f/s); agents' first connections at the start of their shift are not counted: stagger the logins",
			s.HandedOff, l.Agents, formatFloat(w.Push.ReconnectSeconds/3600)+" h", l.Agents/w.Push.ReconnectSeconds))
		ls.need(LimitWSStage, t, l.Push.StageRequests(),
			stack("requests/s", float64(cp.WebSocketThrottle().Rate), Fallback, fmt.Sprintf("context apiRateQuota (the WebSocket stage gets %.1f%% of it: topology.WebSocketShare)", 100*topology.WebSocketShare)))
		ls.why(LimitWSStage, t, l.Push.StageRequests(), fmt.Sprintf("connection requests %.0f/s, hellos %.0f/s, pings %.0f/s (%.0f sockets open every %gs)",
			l.Push.Connects, l.Push.Hellos, l.Push.Pings, l.Push.Sockets, w.Push.PingSeconds))
	}
	ls.need(LimitUnreserved, t, l.Concurrency[FnIntake]+l.Concurrency[FnPush],
		account("", "concurrent", float64(cp.Unreserved()), Drops, "ask AWS (Service Quotas: AWS Lambda, concurrent executions), then context concurrencyQuota"))
	ls.need("Lambda reserved concurrency (agent)", t, l.Concurrency[FnAgent],
		stack("concurrent", float64(cp.Reserved(FnAgent)), Stalls, fmt.Sprintf("context concurrencyQuota (the agent function reserves %.0f%% of what the responder leaves: topology.ReservedShares)", 100*topology.ReservedShares[FnAgent])))
	ls.need("responder batches (MaximumConcurrency)", t, s.Arrivals/c.Lambda.PerInvocation(),
		stack("concurrent batches", float64(cp.MaxConcurrency), Delays, "context maxConcurrency (also the responder's reserved concurrency)"))
	ls.need("Contacts table writes (on-demand, warm throughput)", t, l.TableWRU,
		func() Limit {
			return Limit{Unit: "WRU/s", Capacity: s.WriteLimit, Severity: Drops, Owner: "stack", Setting: "context warmWrites (pre-warm the table)"}
		})
	if lim := ls.limits["Contacts table writes (on-demand, warm throughput)"]; lim != nil {
		lim.Capacity = max(lim.Capacity, s.WriteLimit) // the on-demand table takes twice a peak it held for 30 minutes
	}
	ls.need("Contacts table reads (on-demand, warm throughput)", t, l.TableRRU,
		stack("RRU/s", warm(cp.WarmReads, topology.DefaultTableReads), Stalls, "context warmReads (pre-warm the table)"))
	quota := func(unit string, capacity int, sev Severity, key string) func() Limit {
		return account("", unit, float64(capacity), sev, "ask AWS (Service Quotas: Amazon DynamoDB, table-level throughput for on-demand tables), then context "+key)
	}
	ls.need("Contacts table writes (per-table quota)", t, l.TableWRU, quota("WRU/s", cp.TableWrites, Drops, topology.KeyTableWrites))
	ls.need("Contacts table reads (per-table quota)", t, l.TableRRU, quota("RRU/s", cp.TableReads, Stalls, topology.KeyTableReads))
	ls.need("queue index writes (per-table quota)", t, l.QueueWRU, quota("WRU/s", cp.TableWrites, Drops, topology.KeyTableWrites))
	ls.need("queue index reads (per-table quota)", t, l.QueueRRU, quota("RRU/s", cp.TableReads, Stalls, topology.KeyTableReads))
	ls.need("queue index writes (warm throughput)", t, l.QueueWRU,
		stack("WRU/s", warm(cp.WarmIndexWrites, topology.DefaultTableWrites), Drops, "context warmIndexWrites (pre-warm the indexes; a throttled index write throttles the settle that feeds it)"))
	ls.need("queue index reads (warm throughput)", t, l.QueueRRU,
		stack("RRU/s", warm(cp.WarmIndexReads, topology.DefaultTableReads), Stalls, "context warmIndexReads"))
	ls.need("aging index writes (warm throughput)", t, l.AgingWRU,
		stack("WRU/s", warm(cp.WarmIndexWrites, topology.DefaultTableWrites), Drops, "context warmIndexWrites"))
	ls.need("SQS messages in flight", t, l.SQSInFlight,
		account("", "messages", SQSInFlight, Delays, "a standard queue's limit (120,000 in flight); lower maxConcurrency"))
	for _, h := range l.Hot {
		if h.Where == "" {
			continue
		}
		owner, setting, sev := "code", "", Stalls
		switch h.Where {
		case "queue index":
			owner, setting, sev = "data", "priority.Rules shards / platformShards (the tenant's rules)", Drops
		case "aging index":
			owner, setting, sev = "code", "topology.AgingBuckets", Drops
		case "table":
			sev = Degrades // recordActivity is best effort: its errors are ignored
			setting = "shared/aws/dynamo/staffing.go (activityShards; each write is billed for the whole item, which grows with the agents' names)"
		}
		name := fmt.Sprintf("%s partition %s writes", h.Where, h.Key)
		ls.need(name, t, h.WCU, func() Limit {
			return Limit{Unit: "WCU/s", Capacity: PartitionWCU, Severity: sev, Owner: owner, Setting: setting}
		})
		ls.why(name, t, h.WCU, h.Why)
		rs := setting
		if h.Where == "queue index" {
			rs = "shared/aws/dynamo/position.go and queue.go (PositionTTL, the overview's cache): reads per instance; or more shards"
		}
		name = fmt.Sprintf("%s partition %s reads", h.Where, h.Key)
		ls.need(name, t, h.RCU, func() Limit {
			return Limit{Unit: "RCU/s", Capacity: PartitionRCU, Severity: Stalls, Owner: "code", Setting: rs}
		})
		ls.why(name, t, h.RCU, h.Why)
	}
}

// why keeps the arithmetic of limit name's peak: v at t is its need, with arithmetic why.
func (ls *limitSet) why(name string, t, v float64, why string) {
	if l := ls.limits[name]; l.Why == "" || (l.PeakAt == t && l.Peak == v) {
		l.Why = why
	}
}

func warm(set, def int) float64 {
	if set > 0 {
		return float64(max(set, def))
	}
	return float64(def)
}

func routeShare(route string) float64 {
	if s, ok := topology.RouteShares[route]; ok {
		return s
	}
	return topology.DefaultRouteShare
}

// sorted returns the limits, those that bind first (earliest) first, then by least headroom.
func (ls *limitSet) sorted() []Limit {
	out := make([]Limit, 0, len(ls.order))
	for _, n := range ls.order {
		out = append(out, *ls.limits[n])
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Binds() != b.Binds():
			return a.Binds()
		case a.Binds() && a.FirstBind != b.FirstBind:
			return a.FirstBind < b.FirstBind
		}
		return a.Headroom() < b.Headroom()
	})
	return out
}
