package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"breakwater/scripts/plan/model"
	"breakwater/shared/topology"
)

// outcome is everything the plan found.
type outcome struct {
	model.Analysis
	Advice model.Advice
	// Staffed is true when the plan staffed its recommended number (the profile named none).
	Staffed bool
	Cost    []model.CostLine
	Logs    model.CostLine
	List    checklist
}

// checklist is what to do before the peak.
type checklist struct {
	// Quotas to ask AWS for, with the number.
	Quotas []string
	// Context is the cdk deploy -c values the peak needs, those the stack does not have already.
	Context map[string]int
	// Deploy is the command that deploys with them.
	Deploy string
	// Prewarm says whether and how to pre-warm the tables.
	Prewarm []string
	// Data and Code are changes outside the stack's settings: merchants' rules, and the code.
	Data []string
	Code []string
	// Staffing is the recommendation.
	Staffing string
}

func compute(p plan) (outcome, error) {
	var o outcome
	msgs := model.Deployed(p.Sim, p.Workload, p.Stack)
	adv, err := model.Recommend(msgs, p.Level)
	if err != nil {
		return o, err
	}
	o.Advice = adv
	if p.Sim.Agents.Total() == 0 {
		p.Sim.Agents.Pooled, p.Sim.Agents.Dedicated = adv.Recommended, nil
		o.Staffed = true
	}
	a, err := model.Analyze(p.Sim, p.Workload, p.Stack)
	if err != nil {
		return o, err
	}
	o.Analysis = a
	o.Cost, o.Logs = model.CostPerMillion(a.Usage, model.ListPrices())
	o.List = advise(p, o)
	return o, nil
}

// failures are the limits the peak passes that throttle, drop or stall contacts, as the check reports them.
func (o outcome) failures() []string {
	var out []string
	for _, l := range o.Limits {
		if !l.Binds() || !l.Severity.Fails() {
			continue
		}
		out = append(out, fmt.Sprintf("%s: the peak needs %s %s at %s, the limit is %s (%s; change %s)",
			l.Name, count(l.Peak), l.Unit, clock(l.PeakAt), count(l.Capacity), l.Severity, l.Setting))
	}
	return out
}

// warnings are the limits the peak passes that only degrade the shoppers' estimates: the check names them and
// passes.
func (o outcome) warnings() []string {
	var out []string
	for _, l := range o.Limits {
		if l.Binds() && !l.Severity.Fails() {
			out = append(out, fmt.Sprintf("%s: the peak needs %s %s at %s, the limit is %s (%s; change %s)",
				l.Name, count(l.Peak), l.Unit, clock(l.PeakAt), count(l.Capacity), l.Severity, l.Setting))
		}
	}
	return out
}

// headroomFactor is the margin the checklist asks for above the peak's need.
const headroomFactor = 1.2

func roundUp(v, step float64) int { return int(math.Ceil(v/step) * step) }

func (o outcome) peak(name string) float64 {
	for _, l := range o.Limits {
		if l.Name == name {
			return l.Peak
		}
	}
	return 0
}

func advise(p plan, o outcome) checklist {
	cp := p.Stack.Capacity
	need := cp // what the peak needs, setting by setting below
	// HTTP API: the account's quota must cover the whole peak and give each route its share of what it needs.
	var total float64
	for _, l := range o.Limits {
		if l.Name == model.LimitAccountRequests {
			total = l.Peak
		}
	}
	rate := total * headroomFactor
	for _, l := range o.Limits {
		if route, ok := strings.CutPrefix(l.Name, "route "); ok {
			route = strings.TrimSuffix(route, " (throttle)")
			share := topology.RouteShares[route]
			if share == 0 {
				share = topology.DefaultRouteShare
			}
			rate = max(rate, l.Peak*headroomFactor/share)
		}
	}
	if ws := o.peak(model.LimitWSStage); ws > 0 {
		rate = max(rate, ws*headroomFactor/topology.WebSocketShare)
	}
	connects := o.peak(model.LimitWSConnects)
	need.WSConnectRate = max(topology.DefaultWSConnectRate, roundUp(connects*headroomFactor, 100))
	need.APIRate = max(topology.DefaultAPIRate, roundUp(rate, 1000))
	need.APIBurst = max(topology.DefaultAPIBurst, roundUp(float64(need.APIRate)/2, 1000))
	// Lambda: the responder's cap for the peak with room, then the fewest concurrency that leaves the intake its
	// need in the unreserved pool and the agent function its need in its reservation.
	need.MaxConcurrency = max(cp.MaxConcurrency, min(topology.MaxEventSourceBatches, roundUp(o.peak("responder batches (MaximumConcurrency)")*1.5, 10)))
	intake := o.peak(model.LimitUnreserved) * headroomFactor
	agent := o.peak("Lambda reserved concurrency (agent)") * headroomFactor
	need.Concurrency = topology.DefaultConcurrency
	for c := need.Concurrency; c < 1000000; c += 100 {
		try := need
		try.Concurrency = c
		if float64(try.Unreserved()) >= intake && float64(try.Reserved("agent")) >= agent && try.Validate() == nil {
			need.Concurrency = c
			break
		}
	}
	// DynamoDB: pre-warm past what a new table or index takes at once.
	warmTo := func(peak float64, def int) int {
		if peak*headroomFactor <= float64(def) {
			return 0
		}
		return roundUp(peak*headroomFactor, 1000)
	}
	need.WarmWrites = warmTo(o.peak("Contacts table writes (on-demand, warm throughput)"), topology.DefaultTableWrites)
	need.WarmReads = warmTo(o.peak("Contacts table reads (on-demand, warm throughput)"), topology.DefaultTableReads)
	need.WarmIndexWrites = warmTo(max(o.peak("queue index writes (warm throughput)"), o.peak("aging index writes (warm throughput)")), topology.DefaultTableWrites)
	need.WarmIndexReads = warmTo(o.peak("queue index reads (warm throughput)"), topology.DefaultTableReads)

	need.TableWrites = max(topology.DefaultTableQuota, roundUp(headroomFactor*max(o.peak("Contacts table writes (per-table quota)"), o.peak("queue index writes (per-table quota)")), 1000))
	need.TableReads = max(topology.DefaultTableQuota, roundUp(headroomFactor*max(o.peak("Contacts table reads (per-table quota)"), o.peak("queue index reads (per-table quota)")), 1000))

	var c checklist
	c.Context = map[string]int{}
	for _, k := range topology.CapacityKeys {
		want, _ := need.Get(k)
		have, _ := cp.Get(k)
		if want > have {
			c.Context[k] = want
		}
	}
	if need.APIRate > cp.APIRate || need.APIRate > topology.DefaultAPIRate {
		c.Quotas = append(c.Quotas, fmt.Sprintf("API Gateway throttle quota: %s requests/s, burst %s (default 10,000 and 5,000); the peak makes %s/s (HTTP, WebSocket and callback requests)",
			count(float64(need.APIRate)), count(float64(need.APIBurst)), count(total)))
	}
	if need.WSConnectRate > topology.DefaultWSConnectRate {
		c.Quotas = append(c.Quotas, fmt.Sprintf("API Gateway new connections per second for WebSocket APIs: %s (default 500, across the account's WebSocket APIs); the peak opens %s/s: a socket per hand-off and the agents' reconnects",
			count(float64(need.WSConnectRate)), count(connects)))
	}
	if need.Concurrency > topology.DefaultConcurrency {
		c.Quotas = append(c.Quotas, fmt.Sprintf("Lambda concurrent executions: %s (default 1,000): intake %s, agent %s, responder %d at the peak, with a fifth to spare",
			count(float64(need.Concurrency)), count(intake/headroomFactor), count(agent/headroomFactor), need.MaxConcurrency))
	}
	if need.TableWrites > topology.DefaultTableQuota || need.TableReads > topology.DefaultTableQuota {
		c.Quotas = append(c.Quotas, fmt.Sprintf("DynamoDB table-level throughput for on-demand tables: %s WRU/s and %s RRU/s (default 40,000 each; it holds for the table and each index)",
			count(float64(need.TableWrites)), count(float64(need.TableReads))))
	}
	keys := slices.Sorted(maps.Keys(c.Context))
	var flags []string
	for _, k := range keys {
		flags = append(flags, fmt.Sprintf("-c %s=%d", k, c.Context[k]))
	}
	if len(flags) > 0 {
		c.Deploy = "npx cdk deploy -c stage=prod " + strings.Join(flags, " ")
	}
	if need.WarmWrites+need.WarmReads+need.WarmIndexWrites+need.WarmIndexReads > 0 {
		c.Prewarm = append(c.Prewarm, fmt.Sprintf("pre-warm the Contacts table to %s WRU/s and %s RRU/s, each index to %s WRU/s and %s RRU/s: deploy with the warm* context above at least a day before (DynamoDB bills each increase once; warm throughput never goes down)",
			count(float64(need.WarmWrites)), count(float64(need.WarmReads)), count(float64(need.WarmIndexWrites)), count(float64(need.WarmIndexReads))))
	} else {
		c.Prewarm = append(c.Prewarm, "no pre-warming: a new on-demand table and its indexes take this peak at once")
	}
	for _, l := range o.Limits {
		if !l.Binds() && l.Peak <= l.Capacity*0.8 {
			continue
		}
		switch l.Owner {
		case "data":
			c.Data = append(c.Data, fmt.Sprintf("%s: %s %s at %s of %s: raise %s", l.Name, count(l.Peak), l.Unit, clock(l.PeakAt), count(l.Capacity), l.Setting))
		case "code":
			c.Code = append(c.Code, fmt.Sprintf("%s: %s %s at %s, the limit is %s: %s", l.Name, count(l.Peak), l.Unit, clock(l.PeakAt), count(l.Capacity), l.Setting))
		}
	}
	c.Staffing = staffingAdvice(p, o)
	return c
}

func staffingAdvice(p plan, o outcome) string {
	a := o.Advice
	if a.Simulated < 0 {
		return fmt.Sprintf("staff %s agents: the simulation found no pool up to %s that meets every target, so this is Erlang C's steady state with a pool per priority",
			count(float64(a.Recommended)), count(float64(2*a.SteadyTotal)))
	}
	s := fmt.Sprintf("staff %s agents: the fewest in one pool that meet every target over this peak (%s, serving overdue contacts first) plus %s for random bunching (Erlang C at the peak rate)",
		count(float64(a.Recommended)), count(float64(a.Simulated)), count(float64(a.Margin)))
	if !o.Staffed && o.Agents < float64(a.Recommended) {
		s += fmt.Sprintf("; the profile staffs %s", count(o.Agents))
	}
	return s
}
