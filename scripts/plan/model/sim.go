package model

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
)

// Lambda is how the responder consumes the intake queue and what else uses the account's concurrency.
type Lambda struct {
	BatchSize int
	// BatchMillis is the responder's measured time for one batch, including its DynamoDB writes.
	BatchMillis        float64
	InitialConcurrency int     // concurrent batches the event source starts with
	ScalePerMinute     float64 // concurrent invocations the event source may add a minute
	MaxConcurrency     int     // the event source mapping's MaximumConcurrency
	AccountConcurrency int     // the region's concurrency, shared with the intake function
	// Reserved is the responder's reserved concurrency: when positive, the intake cannot take the responder's
	// concurrency, and the event source never gets more than it.
	Reserved int
	// IntakeMillis and IntakeCalls (POST plus status polls per contact) give the intake function's share of the account.
	IntakeMillis float64
	IntakeCalls  float64
}

// PerInvocation is how many contacts a second one busy responder invocation drains.
func (l Lambda) PerInvocation() float64 { return float64(l.BatchSize) * 1000 / l.BatchMillis }

// Dynamo is the Contacts table's on-demand write limit and what each contact costs in it.
type Dynamo struct {
	// StartWRU is what the table takes at once: 4,000 for a new on-demand table, or its pre-warmed throughput.
	StartWRU float64
	// AdaptSeconds is how long a new peak takes to become the "previous peak" whose double the table takes at once.
	AdaptSeconds float64
	IntakeWRU    float64 // per accepted contact
	ResponderWRU float64 // per contact the responder settles
	AgentWRU     float64 // per handed-off contact an agent claims and answers
}

// Agents are the people on shift: one pool serving in claim order, or one pool per priority.
type Agents struct {
	Pooled        int
	Dedicated     map[priority.Priority]int
	HandleSeconds float64
}

// Config is everything the simulation needs.
type Config struct {
	Profile      Profile
	RoutineShare float64
	// Mix is the share of handed-off contacts per priority; the shares sum to 1.
	Mix     map[priority.Priority]float64
	Lambda  Lambda
	Dynamo  Dynamo
	Agents  Agents
	Targets humanqueue.Targets
	// Step is the simulation step in seconds; Horizon how long after the profile ends the backlog is followed.
	Step    float64
	Horizon float64
}

// DefaultConfig is the Double 11 question with a new table and the stack's default concurrency cap.
func DefaultConfig() Config {
	return Config{
		Profile:      DefaultProfile(),
		RoutineShare: 0.95,
		Mix:          map[priority.Priority]float64{priority.Urgent: 0.10, priority.High: 0.30, priority.Normal: 0.40, priority.Low: 0.20},
		Lambda: Lambda{
			BatchSize: 10, BatchMillis: 25, InitialConcurrency: 5, ScalePerMinute: 300,
			MaxConcurrency: 50, AccountConcurrency: 1000, IntakeMillis: 8, IntakeCalls: 3,
		},
		Dynamo:  Dynamo{StartWRU: 4000, AdaptSeconds: 30 * 60, IntakeWRU: 2, ResponderWRU: 2, AgentWRU: 4},
		Agents:  Agents{Pooled: 2000, HandleSeconds: 240},
		Targets: humanqueue.DefaultTargets(),
		Step:    1,
		Horizon: 12 * 3600,
	}
}

// Validate reports the first setting the simulation cannot use.
func (c Config) Validate() error {
	if err := c.Profile.Validate(); err != nil {
		return err
	}
	var sum float64
	for _, p := range priority.All {
		if c.Mix[p] < 0 {
			return fmt.Errorf("mix for %s is negative", p)
		}
		sum += c.Mix[p]
	}
	l, d := c.Lambda, c.Dynamo
	switch {
	case c.RoutineShare < 0 || c.RoutineShare > 1:
		return fmt.Errorf("routine share %g is not between 0 and 1", c.RoutineShare)
	case math.Abs(sum-1) > 1e-6:
		return fmt.Errorf("priority mix sums to %g, want 1", sum)
	case l.BatchSize < 1 || l.BatchMillis <= 0:
		return errors.New("batch size and batch time must be positive")
	case l.InitialConcurrency < 1 || l.MaxConcurrency < 1 || l.AccountConcurrency < 1 || l.ScalePerMinute <= 0:
		return errors.New("concurrency settings must be positive")
	case l.IntakeMillis < 0 || l.IntakeCalls < 0:
		return errors.New("intake time and calls must not be negative")
	case d.StartWRU <= 0 || d.AdaptSeconds <= 0 || d.IntakeWRU < 0 || d.ResponderWRU <= 0 || d.AgentWRU < 0:
		return errors.New("DynamoDB settings must be positive")
	case c.Agents.HandleSeconds <= 0:
		return errors.New("handle time must be positive")
	case c.Agents.Pooled < 0:
		return errors.New("agents must not be negative")
	case c.Step <= 0 || c.Horizon < 0:
		return errors.New("step must be positive and horizon not negative")
	}
	for _, p := range priority.All {
		if c.Targets[p] <= 0 {
			return fmt.Errorf("target for %s must be positive", p)
		}
	}
	return nil
}

// Sample is the state at the end of one step. Rates are per second, ages and waits in seconds.
type Sample struct {
	T              float64
	Arrivals       float64 // offered to the API
	Accepted       float64 // written by intake; the rest was refused
	Drained        float64 // taken off the intake queue by the responder
	Concurrency    float64 // concurrent responder batches
	LambdaCapacity float64 // contacts a second the current concurrency drains
	DynamoCapacity float64 // contacts a second the responder's share of the write limit allows
	WriteLimit     float64 // WRU a second the table takes at once
	WRU            float64 // WRU a second consumed
	Backlog        float64 // messages in the intake queue
	OldestAge      float64 // age of the oldest intake message
	Queue          [priority.Urgent + 1]float64
	Wait           [priority.Urgent + 1]float64 // age of the oldest contact waiting in each human queue, indexed by priority.Priority
	HandedOff      float64                      // contacts a second handed to the human queues
	Served         float64                      // contacts a second agents take from the human queues
}

// Waits summarises one human queue.
type Waits struct {
	HandedOff  float64
	Served     float64
	Left       float64 // still waiting when the simulation ended
	MaxWait    float64
	MaxAt      float64
	MeanWait   float64
	OverTarget float64 // share of served contacts that waited past the target
}

// Result is what a simulation found.
type Result struct {
	Samples       []Sample
	Arrived       float64
	Refused       float64 // contacts intake could not write (the table or the account's concurrency was full)
	PeakBacklog   float64
	PeakBacklogAt float64
	MaxOldestAge  float64
	MaxOldestAt   float64
	// DrainedAt is when the intake queue last became empty: 0 if it never held a backlog, -1 if it still did at the end.
	DrainedAt       float64
	PeakConcurrency float64
	PeakWRU         float64
	// LambdaBound and DynamoBound are how many seconds the backlog grew or stayed because of each limit.
	LambdaBound float64
	DynamoBound float64
	Waits       [priority.Urgent + 1]Waits
	End         float64
}

const eps = 1e-6

// cumulative keeps a running total at every step boundary, to answer "when did the total reach v".
type cumulative struct {
	dt  float64
	sum []float64
}

func newCumulative(dt float64) *cumulative { return &cumulative{dt: dt, sum: []float64{0}} }

func (c *cumulative) add(v float64) { c.sum = append(c.sum, c.sum[len(c.sum)-1]+v) }

func (c *cumulative) total() float64 { return c.sum[len(c.sum)-1] }

// when is the time the total reached v, assuming arrivals spread evenly over each step.
func (c *cumulative) when(v float64) float64 {
	k := sort.SearchFloat64s(c.sum, v)
	if k == 0 {
		return 0
	}
	if k >= len(c.sum) {
		return float64(len(c.sum)-1) * c.dt
	}
	lo, hi := c.sum[k-1], c.sum[k]
	return (float64(k-1) + (v-lo)/(hi-lo)) * c.dt
}

// at is the total at time t.
func (c *cumulative) at(t float64) float64 {
	if t <= 0 {
		return 0
	}
	x := t / c.dt
	k := int(x)
	if k >= len(c.sum)-1 {
		return c.total()
	}
	return c.sum[k] + (x-float64(k))*(c.sum[k+1]-c.sum[k])
}

// Simulate runs the peak through intake, the responder and the human queues in steps of c.Step seconds.
// Quantities are fluid (fractions of contacts), queues are first in, first out within a priority, and agents take
// overdue contacts first, then higher priority, as humanqueue.Targets.Before orders them.
func Simulate(c Config) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, fmt.Errorf("simulate: %w", err)
	}
	dt := c.Step
	l, d := c.Lambda, c.Dynamo
	perInv := l.PerInvocation()
	intakeIn := newCumulative(dt)
	var human [priority.Urgent + 1]*cumulative
	for _, p := range priority.All {
		human[p] = newCumulative(dt)
	}
	var (
		r        = Result{}
		backlog  float64
		drained  float64
		queue    [priority.Urgent + 1]float64
		served   [priority.Urgent + 1]float64
		waitSum  [priority.Urgent + 1]float64
		overSum  [priority.Urgent + 1]float64
		conc     = float64(min(l.InitialConcurrency, l.MaxConcurrency))
		wruHist  []float64
		prevPeak float64
		adapted  int
		adaptK   = int(math.Round(d.AdaptSeconds / dt))
	)
	end := c.Profile.End()
	for k := 0; ; k++ {
		t0 := float64(k) * dt
		t1, mid := t0+dt, t0+dt/2
		busy := backlog > eps
		for _, q := range queue {
			busy = busy || q > eps
		}
		if t0 >= end && (!busy || t0 >= end+c.Horizon) {
			r.End = t0
			break
		}

		// Intake: the account's concurrency and the table's write limit bound what is accepted.
		rate := c.Profile.Rate(mid)
		accepted := rate
		perIntake := l.IntakeCalls * l.IntakeMillis / 1000
		if perIntake > 0 {
			accepted = min(accepted, float64(l.AccountConcurrency)/perIntake)
		}
		for ; adapted <= k-adaptK && adapted < len(wruHist); adapted++ {
			prevPeak = max(prevPeak, wruHist[adapted])
		}
		limit := max(d.StartWRU, 2*prevPeak)

		// Responder: the event source scales toward the backlog, within its cap and what intake leaves of the account.
		room := max(0, min(float64(l.MaxConcurrency), float64(l.AccountConcurrency)-accepted*perIntake))
		if l.Reserved > 0 {
			room = float64(min(l.MaxConcurrency, l.Reserved))
		}
		want := math.Ceil((backlog + accepted*dt) / (perInv * dt))
		switch {
		case want > conc:
			conc = min(conc+l.ScalePerMinute/60*dt, want)
		default:
			conc = max(want, float64(l.InitialConcurrency))
		}
		conc = min(conc, room)
		lambdaCap := conc * perInv

		// DynamoDB: when intake and the responder together want more than the table takes, both are throttled in
		// proportion; intake's throttled writes are contacts refused, the responder's stay in the queue.
		intakeDemand := accepted * d.IntakeWRU
		respDemand := min(backlog/dt+accepted, lambdaCap) * d.ResponderWRU
		if demand := intakeDemand + respDemand; demand > limit && intakeDemand > 0 {
			accepted *= limit / demand
		}
		r.Arrived += rate * dt
		r.Refused += (rate - accepted) * dt
		a := accepted * dt
		intakeIn.add(a)
		left := limit - accepted*d.IntakeWRU
		dynamoCap := max(0, left) / d.ResponderWRU
		out := min(backlog+a, min(lambdaCap, dynamoCap)*dt)
		if backlog+a-out > eps {
			if lambdaCap <= dynamoCap {
				r.LambdaBound += dt
			} else {
				r.DynamoBound += dt
			}
		}
		backlog += a - out
		if backlog < eps {
			backlog = 0
		}
		drained += out
		left -= out / dt * d.ResponderWRU

		// Human queues: hand-offs arrive as the responder drains; agents serve overdue first, then by priority.
		start := queue
		for _, p := range priority.All {
			in := out * (1 - c.RoutineShare) * c.Mix[p]
			human[p].add(in)
			queue[p] += in
			r.Waits[p].HandedOff += in
		}
		capacity := agentCapacity(c.Agents, dt)
		if d.AgentWRU > 0 {
			total := 0.0
			for _, c := range capacity {
				total += c
			}
			if allowed := max(0, left) / d.AgentWRU * dt; total > allowed && total > 0 {
				for i := range capacity {
					capacity[i] *= allowed / total
				}
			}
		}
		var take [priority.Urgent + 1]float64
		serve := func(p priority.Priority, pool int, most float64) {
			x := min(most-take[p], capacity[pool])
			if x <= 0 {
				return
			}
			take[p] += x
			capacity[pool] -= x
		}
		pooled := c.Agents.Dedicated == nil
		for _, p := range priority.All {
			overdue := max(0, human[p].at(t0-c.Targets[p].Seconds())-served[p])
			if pooled {
				serve(p, 0, min(queue[p], overdue))
			}
		}
		for _, p := range priority.All {
			pool := 0
			if !pooled {
				pool = int(p)
			}
			serve(p, pool, queue[p])
		}
		var agentWRU, servedNow, handedNow float64
		for _, p := range priority.All {
			x := take[p]
			servedNow += x / dt
			handedNow += out / dt * (1 - c.RoutineShare) * c.Mix[p]
			if x > 0 {
				s := served[p]
				w := &r.Waits[p]
				if head := mid - human[p].when(s); start[p] > eps && head > w.MaxWait {
					w.MaxWait, w.MaxAt = head, mid
				}
				waitSum[p] += x * max(0, mid-human[p].when(s+x/2))
				overSum[p] += min(x, max(0, human[p].at(mid-c.Targets[p].Seconds())-s))
				served[p] += x
				queue[p] -= x
				if queue[p] < eps {
					queue[p] = 0
				}
			}
			agentWRU += x / dt * d.AgentWRU
		}

		wru := accepted*d.IntakeWRU + out/dt*d.ResponderWRU + agentWRU
		wruHist = append(wruHist, wru)
		s := Sample{
			T: t1, Arrivals: rate, Accepted: accepted, Drained: out / dt, Concurrency: conc,
			LambdaCapacity: lambdaCap, DynamoCapacity: dynamoCap, WriteLimit: limit, WRU: wru,
			Backlog: backlog, Queue: queue, HandedOff: handedNow, Served: servedNow,
		}
		if backlog > 0 {
			s.OldestAge = t1 - intakeIn.when(drained)
			r.DrainedAt = -1
		} else if r.DrainedAt < 0 {
			r.DrainedAt = t1
		}
		for _, p := range priority.All {
			if queue[p] > 0 {
				s.Wait[p] = t1 - human[p].when(served[p])
			}
		}
		r.Samples = append(r.Samples, s)
		if backlog > r.PeakBacklog {
			r.PeakBacklog, r.PeakBacklogAt = backlog, t1
		}
		if s.OldestAge > r.MaxOldestAge {
			r.MaxOldestAge, r.MaxOldestAt = s.OldestAge, t1
		}
		r.PeakConcurrency = max(r.PeakConcurrency, conc)
		r.PeakWRU = max(r.PeakWRU, wru)
	}
	for _, p := range priority.All {
		w := &r.Waits[p]
		w.Served, w.Left = served[p], queue[p]
		for _, s := range r.Samples {
			if s.Wait[p] > w.MaxWait {
				w.MaxWait, w.MaxAt = s.Wait[p], s.T
			}
		}
		if served[p] > 0 {
			w.MeanWait = waitSum[p] / served[p]
			w.OverTarget = overSum[p] / served[p]
		}
	}
	return r, nil
}

// agentCapacity is how many contacts each pool finishes in dt: index 0 (priority.None) for the shared pool, else by priority.
func agentCapacity(a Agents, dt float64) [priority.Urgent + 1]float64 {
	var out [priority.Urgent + 1]float64
	if a.Dedicated == nil {
		out[0] = float64(a.Pooled) / a.HandleSeconds * dt
		return out
	}
	for p, n := range a.Dedicated {
		out[p] = float64(n) / a.HandleSeconds * dt
	}
	return out
}

// MinPooledAgents finds, by bisection over whole simulations, the fewest agents in one shared pool for which every
// priority has at most 1-level of its contacts waiting past the target and none left waiting at the end. It is a
// fluid answer: it sees the backlog a peak builds, not the random bunching Erlang C adds on top.
func MinPooledAgents(c Config, level float64, most int) (int, error) {
	c.Agents.Dedicated = nil
	ok := func(n int) (bool, error) {
		c.Agents.Pooled = n
		r, err := Simulate(c)
		if err != nil {
			return false, err
		}
		for _, p := range priority.All {
			if w := r.Waits[p]; w.Left > 0 || w.OverTarget > 1-level {
				return false, nil
			}
		}
		return true, nil
	}
	if good, err := ok(most); err != nil || !good {
		return -1, err
	}
	lo, hi := 0, most // lo fails or is 0, hi meets every target
	if good, err := ok(0); err != nil {
		return -1, err
	} else if good {
		return 0, nil
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		good, err := ok(mid)
		if err != nil {
			return -1, err
		}
		if good {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}
