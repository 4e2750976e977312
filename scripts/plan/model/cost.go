package model

import (
	"math"
	"slices"
)

// Prices are list prices in US dollars (us-east-1).
type Prices struct {
	HTTPPerMillion    float64 // API Gateway HTTP API requests (the first 300 million a month)
	SQSPerMillion     float64 // SQS standard requests
	LambdaPerGBSecond float64 // arm64
	LambdaPerMillion  float64 // invocations
	WRUPerMillion     float64 // DynamoDB on-demand write request units
	RRUPerMillion     float64 // DynamoDB on-demand read request units
	LogsPerGB         float64 // CloudWatch Logs ingestion
}

// ListPrices are the us-east-1 list prices the plan uses.
func ListPrices() Prices {
	return Prices{
		HTTPPerMillion: 1.00, SQSPerMillion: 0.40, LambdaPerGBSecond: 0.0000133334, LambdaPerMillion: 0.20,
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
}

func newUsage() Usage {
	return Usage{Requests: map[string]float64{}, Invocations: map[string]float64{}, GBSeconds: map[string]float64{}}
}

// add counts dt seconds of load l, with the responder's batches and the functions' memory in MB.
func (u *Usage) add(l Load, s Sample, w Workload, lam Lambda, memory map[string]float64, dt float64) {
	u.Contacts += l.Contacts * dt
	gbs := func(fn string, calls, ms float64) {
		u.Invocations[fn] += calls * dt
		u.GBSeconds[fn] += calls * dt * math.Ceil(ms) / 1000 * memory[fn] / 1024
	}
	m := w.Millis
	for route, rps := range l.Routes {
		u.Requests[route] += rps * dt
		switch route {
		case RoutePost:
			gbs(FnIntake, rps, m.Post)
			u.LogBytes += rps * dt * postLogBytes
		case RouteMessage:
			gbs(FnIntake, rps, m.Message)
			u.LogBytes += rps * dt * postLogBytes
		case RoutePoll:
			gbs(FnIntake, rps, m.Poll)
		case RouteOverview:
			gbs(FnAgent, rps, m.Overview)
		default:
			gbs(FnAgent, rps, m.Agent)
			u.LogBytes += rps * dt * agentCallLogBytes
		}
		u.LogBytes += rps * dt * (platformLogBytes + accessLogBytes)
	}
	batch := EffectiveBatch(s.Drained, s.Concurrency, lam)
	invocations := s.Drained / batch
	gbs(FnResponder, invocations, BatchMillis(lam, batch))
	u.LogBytes += invocations * dt * (platformLogBytes + batchLogBytes)
	// SQS: intake sends each message; the event source receives a batch and deletes it in one call.
	u.SQS += (s.Arrivals + 2*invocations) * dt
	u.WRU += (l.TableWRU + l.QueueWRU + l.AgingWRU + l.MessagesWRU) * dt
	u.RRU += (l.TableRRU + l.QueueRRU + l.AgingRRU + l.MessagesRRU) * dt
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
	sum := func(m map[string]float64) float64 {
		var s float64
		for _, v := range m {
			s += v
		}
		return s
	}
	http := per(sum(u.Requests))
	inv := per(sum(u.Invocations))
	gbs := per(sum(u.GBSeconds))
	lines = []CostLine{
		{"API Gateway HTTP API", "requests", http, http * p.HTTPPerMillion, routesDetail(u, per)},
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

// routesDetail lists requests per contact by route, largest first.
func routesDetail(u Usage, per func(float64) float64) string {
	keys := make([]string, 0, len(u.Requests))
	for k := range u.Requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		switch {
		case u.Requests[a] > u.Requests[b]:
			return -1
		case u.Requests[a] < u.Requests[b]:
			return 1
		}
		return 0
	})
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ", "
		}
		out += k + " " + trim2(per(u.Requests[k]))
	}
	return out
}

func trim2(v float64) string {
	s := math.Round(v*100) / 100
	return formatFloat(s)
}
