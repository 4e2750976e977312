package model

import (
	"fmt"
	"math"

	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// Stack is the deployed settings a peak is checked against.
type Stack struct {
	Capacity topology.Capacity
	// Memory is each function's memory in MB (topology.Functions).
	Memory map[string]float64
}

// Analysis is a plan's whole answer: the simulation, what each minute asks of AWS, every limit, the cost.
type Analysis struct {
	Result Result
	// Loads is the demand at the end of each minute.
	Loads  []Load
	Limits []Limit
	Usage  Usage
	// Agents is how many agents were on shift in the run.
	Agents float64
	// Messages is contacts and follow-ups; Contacts the contacts alone.
	Messages, Contacts float64
}

// Binding is the first limit the peak passes that throttles, drops or delays contacts, or failing that the first
// it passes at all, if any.
func (a Analysis) Binding() (Limit, bool) {
	for _, l := range a.Limits {
		if l.Binds() && l.Severity.Fails() {
			return l, true
		}
	}
	if len(a.Limits) > 0 && a.Limits[0].Binds() {
		return a.Limits[0], true
	}
	return Limit{}, false
}

// Analyze runs the contacts profile c.Profile through the stack as st sets it up, with the workload w: the
// simulation follows messages (contacts and their follow-ups), and every step's demand is held against every limit.
func Analyze(c Config, w Workload, st Stack) (Analysis, error) {
	if err := w.Validate(); err != nil {
		return Analysis{}, fmt.Errorf("analyze: %w", err)
	}
	if err := st.Capacity.Validate(); err != nil {
		return Analysis{}, fmt.Errorf("analyze: %w", err)
	}
	sc := Deployed(c, w, st)
	r, err := Simulate(sc)
	if err != nil {
		return Analysis{}, err
	}
	a := Analysis{Result: r, Usage: newUsage(), Agents: float64(sc.Agents.Total())}
	a.Usage.addLogins(a.Agents, w, st.Memory)
	ls := &limitSet{limits: map[string]*Limit{}}
	for i, s := range r.Samples {
		l := Demand(sc, w, s, a.Agents)
		ls.assess(l, s, sc, w, st)
		a.Usage.add(l, s, w, sc.Lambda, st.Memory, sc.Step)
		if math.Mod(s.T, minuteSeconds) < sc.Step/2 || i == len(r.Samples)-1 {
			a.Loads = append(a.Loads, l)
		}
	}
	a.Limits = ls.sorted()
	a.Contacts = c.Profile.Total()
	a.Messages = sc.Profile.Total()
	return a, nil
}

// Deployed is the simulation's config for contacts profile c.Profile through the stack as st sets it up: messages
// (contacts and follow-ups), the responder's cap and reservation, the table's warm throughput, and the table writes
// per message the workload makes.
func Deployed(c Config, w Workload, st Stack) Config {
	sc := Messages(c, w)
	sc.Lambda.MaxConcurrency = st.Capacity.MaxConcurrency
	sc.Lambda.Reserved = st.Capacity.MaxConcurrency
	sc.Dynamo.StartWRU = max(warm(st.Capacity.WarmWrites, topology.DefaultTableWrites), c.Dynamo.StartWRU)
	sc.Dynamo.IntakeWRU, sc.Dynamo.ResponderWRU, sc.Dynamo.AgentWRU = w.tableWRU(sc)
	return sc
}

// Messages is c with its contacts profile turned into messages: each contact and, for FollowUpShare of them, a
// follow-up.
func Messages(c Config, w Workload) Config {
	sc := c
	sc.Profile = make(Profile, len(c.Profile))
	for i, p := range c.Profile {
		sc.Profile[i] = Point{Minute: p.Minute, Rate: p.Rate * (1 + w.FollowUpShare)}
	}
	return sc
}

// tableWRU is what the simulation's write limit counts per message (intake, responder) and per contact agents serve,
// from the demand at the profile's peak (the staffing notes grow with the agents on shift).
func (w Workload) tableWRU(c Config) (intake, responder, agent float64) {
	peak := c.Profile.Peak()
	if peak <= 0 {
		return 1, 1, 1
	}
	handed := peak * (1 - c.RoutineShare)
	s := Sample{Arrivals: peak, Drained: peak, HandedOff: handed, Served: handed, Concurrency: math.Ceil(peak / c.Lambda.PerInvocation())}
	l := Demand(c, w, s, float64(c.Agents.Total()))
	f := w.FollowUpShare
	wcu := math.Ceil(w.Sizes.ContactKB)
	intake = ((w.Writes.NoteWRU() + wcu) + f*(1+wcu)) / (1 + f)
	responder = w.Writes.SettleWRU(wcu, float64(c.Lambda.BatchSize))
	agent = (l.TableWRU - peak*intake - peak*responder) / handed
	return intake, responder, max(agent, 1)
}

// Total is the agents on shift: the pool, or the pools per priority together.
func (a Agents) Total() int {
	if a.Dedicated == nil {
		return a.Pooled
	}
	n := 0
	for _, k := range a.Dedicated {
		n += k
	}
	return n
}

// Advice is the staffing the plan recommends: one number, and how it came about.
type Advice struct {
	// Recommended is the agents to staff.
	Recommended int
	// Simulated is the fewest agents in one pool that meet every target over this peak (fluid: no randomness),
	// -1 when none up to the search bound does.
	Simulated int
	// Margin is what random bunching adds at the peak rate: Erlang C's agents for the whole hand-off stream at the
	// tightest target, less the load in erlangs.
	Margin int
	// PerPriority is each priority's Erlang C staffing as its own pool at the peak rate.
	PerPriority map[priority.Priority]Staffing
	// SteadyTotal is their sum: what a peak held forever would take with a pool per priority.
	SteadyTotal int
}

// Recommend sizes the agents for c (a messages config) at service level: the simulation's fewest agents in one
// pool (the peak is finite: lower priorities may wait toward their targets and be served after it) plus Erlang C's
// margin for random bunching.
func Recommend(c Config, level float64) (Advice, error) {
	peak := c.Profile.Peak() * (1 - c.RoutineShare)
	aht := c.Agents.HandleSeconds
	adv := Advice{PerPriority: map[priority.Priority]Staffing{}}
	tightest := math.Inf(1)
	for _, p := range priority.All {
		s := AgentsFor(peak*c.Mix[p], aht, c.Targets[p].Seconds(), level)
		adv.PerPriority[p] = s
		adv.SteadyTotal += s.Agents
		tightest = min(tightest, c.Targets[p].Seconds())
	}
	pooled := AgentsFor(peak, aht, tightest, level)
	adv.Margin = pooled.Agents - int(math.Floor(pooled.Load))
	search := c
	search.Step = max(c.Step, 10)
	n, err := MinPooledAgents(search, level, max(2*adv.SteadyTotal, 10))
	if err != nil {
		return adv, err
	}
	adv.Simulated = n
	if n < 0 {
		adv.Recommended = adv.SteadyTotal
		return adv, nil
	}
	adv.Recommended = n + adv.Margin
	return adv, nil
}
