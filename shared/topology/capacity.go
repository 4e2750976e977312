package topology

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Capacity is what the stack knows of the account's quotas in its region and how it shares them out among the
// functions and routes, so that no one of them can starve another: per-route HTTP API throttles carved from the
// account's request quota, reserved concurrency carved from its Lambda concurrency, and the Contacts table's warm
// throughput. The stack reads every field from CDK context (see infra/config.go), and scripts/plan checks a peak
// against the same numbers.
type Capacity struct {
	// APIRate and APIBurst are the account's HTTP API throttle quota in the region (requests a second, and the
	// burst), as Service Quotas shows it: 10,000 and 5,000 unless AWS raised them.
	APIRate  int
	APIBurst int
	// Concurrency is the account's Lambda concurrent executions quota in the region: 1,000 unless raised.
	Concurrency int
	// TableWrites and TableReads are the account's DynamoDB per-table throughput quota for on-demand tables in the
	// region (units a second, for the table and for each of its indexes): 40,000 each unless raised. The stack does
	// not set it; scripts/plan holds a peak against it.
	TableWrites int
	TableReads  int
	// MaxConcurrency caps the responder's concurrent batches (the event source's MaximumConcurrency, 2 to 1,000);
	// it is also the responder's reserved concurrency, so the intake's burst cannot take it.
	MaxConcurrency int
	// WarmWrites and WarmReads are the warm throughput (units a second) the Contacts table is pre-warmed to, and
	// WarmIndexWrites and WarmIndexReads each of its indexes'; 0 leaves DynamoDB's (4,000 and 12,000 for a new
	// on-demand table or index). Pre-warming is billed once per increase, so dev stages leave them at 0.
	WarmWrites      int
	WarmReads       int
	WarmIndexWrites int
	WarmIndexReads  int
	// WSConnectRate is the account's API Gateway quota of new WebSocket connections a second in the region,
	// across all its WebSocket APIs: 500 unless raised. Every shopper handed to a person opens one (the push), so
	// a peak of hand-offs needs it raised. The stack does not set it; scripts/plan holds a peak against it.
	WSConnectRate int
}

// AWS's defaults for a new account and region, and DynamoDB's for a new on-demand table or index.
const (
	DefaultAPIRate        = 10000
	DefaultAPIBurst       = 5000
	DefaultConcurrency    = 1000
	DefaultTableWrites    = 4000  // a new on-demand table's or index's warm throughput
	DefaultTableReads     = 12000 // the same, reads
	DefaultTableQuota     = 40000 // DynamoDB's per-table quota for on-demand tables, writes and reads alike
	MinUnreserved         = 100   // Lambda keeps at least this much of the account's concurrency unreserved
	MinReserved           = 2     // a reserved function gets at least this much: one run may overlap the next
	MaxEventSourceBatches = 1000
	DefaultWSConnectRate  = 500 // API Gateway: new WebSocket connections a second per account and region
)

// DefaultCapacity is an account as AWS creates it, with the responder's cap the Double 11 plan needs
// (IntakeSource.MaxConcurrency: scripts/plan finds the Double 11 profile's 24,000 messages a second, contacts and
// follow-ups, take 120 batches of 10 at 50 ms; 200 leaves room).
func DefaultCapacity() Capacity {
	return Capacity{APIRate: DefaultAPIRate, APIBurst: DefaultAPIBurst, Concurrency: DefaultConcurrency,
		TableWrites: DefaultTableQuota, TableReads: DefaultTableQuota, MaxConcurrency: IntakeSource.MaxConcurrency,
		WSConnectRate: DefaultWSConnectRate}
}

// RouteShares is the share of the account's HTTP API quota each route's throttle gets (rate and burst alike).
// With DefaultRouteShare for every other route, WebSocketShare and PushCallbackShare they sum to at most 1, so
// shoppers cannot take the agents' share of the account's quota, nor the other way round. The shares follow the
// Double 11 plan's mix of requests with the WebSocket push (scripts/plan prints it; at the busiest minute, of
// 78,455 HTTP requests/s: shoppers' polls 52%, new contacts 25%, the agents' overview 8%, their re-reads of held
// conversations 6%, follow-ups 5%), so that the account's quota the plan asks for (200,000/s) gives every route its
// peak with a fifth to spare; the overview's share is larger, so that the default quota carries 200 agents' overview
// a second. The push's registration routes take effect when they exist (the WebSocket push, PUSH14).
var RouteShares = map[string]float64{
	"POST /contacts":                  0.12,
	"GET /contacts/{id}":              0.43,
	"POST /contacts/{id}/messages":    0.03,
	"GET /agent/queues":               0.22,
	"POST /agent/claim":               0.015,
	"GET /agent/contacts/{id}":        0.03,
	"POST /agent/contacts/{id}/reply": 0.015,
	"PUT /contacts/{id}/push":         0.01,
	"PUT /agent/push":                 0.005,
}

// WebSocketShare is the WebSocket API stage's share of the account's quota: its throttle, which counts the
// shoppers' and agents' connection requests, hellos and pings (6,101/s at the Double 11 peak). PushCallbackShare
// is what the functions' PostToConnection calls may take of it (2,640/s): API Gateway counts HTTP, WebSocket and
// WebSocket callback requests against the one quota and no throttle bounds the callbacks, so their share is left
// free.
const (
	WebSocketShare    = 0.04
	PushCallbackShare = 0.02
)

// DefaultRouteShare is the share of every route not in RouteShares (the pages, the rare agent actions, the voice of
// the customer): the stage's default route throttle.
const DefaultRouteShare = 0.005

// Throttle is a route's steady rate and burst, requests a second.
type Throttle struct {
	Rate  int
	Burst int
}

// RouteThrottle is the throttle of the route "METHOD /path".
func (c Capacity) RouteThrottle(route string) Throttle {
	share, ok := RouteShares[route]
	if !ok {
		share = DefaultRouteShare
	}
	return c.throttle(share)
}

// WebSocketThrottle is the WebSocket API stage's throttle (every client message and connection request: hello,
// ping, $connect), its WebSocketShare of the account's quota.
func (c Capacity) WebSocketThrottle() Throttle { return c.throttle(WebSocketShare) }

// DefaultThrottle is the stage's default route throttle, for routes RouteShares does not name.
func (c Capacity) DefaultThrottle() Throttle { return c.throttle(DefaultRouteShare) }

func (c Capacity) throttle(share float64) Throttle {
	return Throttle{Rate: max(1, int(math.Floor(share*float64(c.APIRate)))), Burst: max(1, int(math.Floor(share*float64(c.APIBurst))))}
}

// ReservedShares is the share of the account's reservable concurrency (what is left after MinUnreserved and the
// responder's MaxConcurrency) each function reserves, at least MinReserved. The agent function is kept apart from
// the intake's surge (the Double 11 plan's agents need about 340 at the peak with 200,000 agents: a quarter of
// what a 2,500 quota leaves); the scheduled functions keep a little; the intake is not reserved: it takes the
// unreserved pool, at least MinUnreserved and most of the account.
var ReservedShares = map[string]float64{
	"agent":   0.25,
	"metrics": 0.002,
	"voice":   0.002,
}

// Reserved is function fn's reserved concurrency, 0 for none (it runs in the account's unreserved pool).
func (c Capacity) Reserved(fn string) int {
	if fn == ConsumerOf(Intake.ID) {
		return c.MaxConcurrency
	}
	share, ok := ReservedShares[fn]
	if !ok {
		return 0
	}
	return max(MinReserved, int(math.Floor(share*float64(c.reservable()))))
}

func (c Capacity) reservable() int { return max(0, c.Concurrency-MinUnreserved-c.MaxConcurrency) }

// Unreserved is the account's concurrency no function reserves: the intake's, and anything else in the region.
func (c Capacity) Unreserved() int {
	n := c.Concurrency
	for _, f := range Functions {
		n -= c.Reserved(f.Name)
	}
	return n
}

// Validate reports the first setting the stack cannot deploy: Lambda refuses reservations that leave less than
// MinUnreserved of the account's concurrency unreserved.
func (c Capacity) Validate() error {
	switch {
	case c.APIRate < 1 || c.APIBurst < 1:
		return fmt.Errorf("HTTP API quota %d/s, burst %d: want both at least 1", c.APIRate, c.APIBurst)
	case c.WSConnectRate < 1:
		return fmt.Errorf("context %s = %d: want the account's WebSocket new-connection quota, at least 1", KeyWSConnectRate, c.WSConnectRate)
	case c.TableWrites < 1 || c.TableReads < 1:
		return fmt.Errorf("DynamoDB table quota %d writes/s, %d reads/s: want both at least 1", c.TableWrites, c.TableReads)
	case c.MaxConcurrency < 2 || c.MaxConcurrency > MaxEventSourceBatches:
		return fmt.Errorf("maxConcurrency %d: the SQS event source takes 2 to %d", c.MaxConcurrency, MaxEventSourceBatches)
	case c.WarmWrites < 0 || c.WarmReads < 0 || c.WarmIndexWrites < 0 || c.WarmIndexReads < 0:
		return errors.New("warm throughput must not be negative")
	}
	for _, w := range []struct {
		key      string
		v, least int
	}{{KeyWarmWrites, c.WarmWrites, DefaultTableWrites}, {KeyWarmReads, c.WarmReads, DefaultTableReads},
		{KeyWarmIndexWrites, c.WarmIndexWrites, DefaultTableWrites}, {KeyWarmIndexReads, c.WarmIndexReads, DefaultTableReads}} {
		if w.v > 0 && w.v < w.least {
			return fmt.Errorf("context %s = %d: want 0 (DynamoDB's own) or at least %d, what a new on-demand table or index takes already", w.key, w.v, w.least)
		}
	}
	if u := c.Unreserved(); u < MinUnreserved {
		return fmt.Errorf("account concurrency %d: the responder's %d and the other reservations leave %d unreserved, and Lambda keeps at least %d; raise the quota (and concurrencyQuota) or lower maxConcurrency",
			c.Concurrency, c.MaxConcurrency, u, MinUnreserved)
	}
	if sum := AccountSharesSum(); sum > 1+1e-9 {
		return fmt.Errorf("route shares, the WebSocket stage's and the pushes' sum to %.3f: more than the account's quota", sum)
	}
	return nil
}

// RouteSharesSum is the share of the account's API Gateway quota all of Routes' throttles together may take.
func RouteSharesSum() float64 {
	sum := 0.0
	for _, r := range Routes {
		if s, ok := RouteShares[r.Method+" "+r.Path]; ok {
			sum += s
		} else {
			sum += DefaultRouteShare
		}
	}
	return sum
}

// AccountSharesSum is the share of the account's request quota (HTTP, WebSocket and WebSocket callback APIs
// share it) that the HTTP routes' throttles, the WebSocket stage's throttle and the pushes together may take.
func AccountSharesSum() float64 { return RouteSharesSum() + WebSocketShare + PushCallbackShare }

// Context keys the stack reads Capacity from (`-c key=value` or cdk.json's context), and scripts/plan checks.
const (
	KeyAPIRate         = "apiRateQuota"
	KeyAPIBurst        = "apiBurstQuota"
	KeyConcurrency     = "concurrencyQuota"
	KeyTableWrites     = "tableWriteQuota"
	KeyTableReads      = "tableReadQuota"
	KeyMaxConcurrency  = "maxConcurrency"
	KeyWarmWrites      = "warmWrites"
	KeyWarmReads       = "warmReads"
	KeyWarmIndexWrites = "warmIndexWrites"
	KeyWarmIndexReads  = "warmIndexReads"
	KeyWSConnectRate   = "wsConnectQuota"
)

// CapacityKeys lists the context keys of Capacity.
var CapacityKeys = []string{KeyAPIRate, KeyAPIBurst, KeyConcurrency, KeyTableWrites, KeyTableReads, KeyMaxConcurrency, KeyWarmWrites, KeyWarmReads, KeyWarmIndexWrites, KeyWarmIndexReads, KeyWSConnectRate}

// field is the Capacity field a context key sets.
func (c *Capacity) field(key string) *int {
	switch key {
	case KeyAPIRate:
		return &c.APIRate
	case KeyAPIBurst:
		return &c.APIBurst
	case KeyConcurrency:
		return &c.Concurrency
	case KeyTableWrites:
		return &c.TableWrites
	case KeyTableReads:
		return &c.TableReads
	case KeyMaxConcurrency:
		return &c.MaxConcurrency
	case KeyWarmWrites:
		return &c.WarmWrites
	case KeyWarmReads:
		return &c.WarmReads
	case KeyWarmIndexWrites:
		return &c.WarmIndexWrites
	case KeyWarmIndexReads:
		return &c.WarmIndexReads
	case KeyWSConnectRate:
		return &c.WSConnectRate
	}
	return nil
}

// Get returns the value of context key in c.
func (c Capacity) Get(key string) (int, bool) {
	p := c.field(key)
	if p == nil {
		return 0, false
	}
	return *p, true
}

// With returns c with each of CapacityKeys that lookup finds set to its value: a whole number, as CDK hands
// context over (a string from -c, a number from cdk.json). Empty strings and absent keys keep c's value.
func (c Capacity) With(lookup func(key string) any) (Capacity, error) {
	for _, key := range CapacityKeys {
		var n int
		switch v := lookup(key).(type) {
		case nil:
			continue
		case float64:
			if v != math.Trunc(v) {
				return c, fmt.Errorf("context %s = %v: want a whole number", key, v)
			}
			n = int(v)
		case int:
			n = v
		case string:
			if v == "" {
				continue
			}
			var err error
			if n, err = strconv.Atoi(v); err != nil {
				return c, fmt.Errorf("context %s = %q: want a whole number", key, v)
			}
		default:
			return c, fmt.Errorf("context %s = %v (%T): want a whole number", key, v, v)
		}
		if n < 0 {
			return c, fmt.Errorf("context %s = %d: want a whole number, not negative", key, n)
		}
		*c.field(key) = n
	}
	return c, c.Validate()
}
