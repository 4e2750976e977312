package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"breakwater/scripts/plan/model"
	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// plan is the whole question: the simulation's config plus what only the report and the cost need.
type plan struct {
	Name  string
	Sim   model.Config
	Calls model.Calls
	Level float64 // service level for Erlang C: the share answered within the target
	SVG   string
}

// profileFile is the JSON a -profile file holds; every field is optional and overrides the default.
type profileFile struct {
	Name               string             `json:"name"`
	Profile            model.Profile      `json:"profile"`
	RoutineShare       *float64           `json:"routineShare"`
	Mix                map[string]float64 `json:"mix"`
	BatchSize          *int               `json:"batchSize"`
	BatchMillis        *float64           `json:"batchMillis"`
	MaxConcurrency     *int               `json:"maxConcurrency"`
	AccountConcurrency *int               `json:"accountConcurrency"`
	IntakeMillis       *float64           `json:"intakeMillis"`
	Polls              *float64           `json:"polls"`
	TableWRU           *float64           `json:"tableWRU"`
	AdaptMinutes       *float64           `json:"adaptMinutes"`
	IntakeWRU          *float64           `json:"intakeWRU"`
	ResponderWRU       *float64           `json:"responderWRU"`
	AgentWRU           *float64           `json:"agentWRU"`
	Agents             *int               `json:"agents"`
	AgentsByPriority   map[string]int     `json:"agentsByPriority"`
	HandleMinutes      *float64           `json:"handleMinutes"`
	TargetMinutes      map[string]float64 `json:"targetMinutes"`
	ServiceLevel       *float64           `json:"serviceLevel"`
}

func defaultPlan() plan {
	sim := model.DefaultConfig()
	mem := map[string]float64{}
	for _, f := range topology.Functions {
		mem[f.Name] = float64(f.MemoryMB)
	}
	return plan{
		Name: "default peak",
		Sim:  sim,
		Calls: model.Calls{
			Polls: 2, AgentCalls: 3,
			IntakeMillis: 8, AgentMillis: 15,
			IntakeMB: mem["intake"], ResponderMB: mem["responder"], AgentMB: mem["agent"],
			RRUPerPoll: 1, AgentRRU: 2,
		},
		Level: 0.8,
		SVG:   "plan.svg",
	}
}

// parse reads the defaults, then the -profile file, then the flags the user set, so a flag always wins.
func parse(args []string) (plan, error) {
	p := defaultPlan()
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	var (
		profile   = fs.String("profile", "", "JSON file with the peak and any of the settings below (see testdata/double11.json)")
		points    = fs.String("points", "", `peak profile as minute:rate points, linearly interpolated, e.g. "0:0,10:20000,40:20000,50:0"`)
		peak      = fs.Float64("peak", 20000, "peak arrival rate, contacts a second (with -ramp, -hold, -down)")
		ramp      = fs.Duration("ramp", 10*time.Minute, "time to ramp up to -peak")
		hold      = fs.Duration("hold", 30*time.Minute, "time at -peak")
		down      = fs.Duration("down", 10*time.Minute, "time to ramp down")
		routine   = fs.Float64("routine", p.Sim.RoutineShare, "share of contacts a template answers")
		mix       = fs.String("mix", "urgent=0.1,high=0.3,normal=0.4,low=0.2", "shares of handed-off contacts per priority")
		batch     = fs.Int("batch", p.Sim.Lambda.BatchSize, "responder batch size")
		batchMS   = fs.Float64("batch-ms", p.Sim.Lambda.BatchMillis, "measured responder time per batch, ms, including its DynamoDB transaction")
		maxConc   = fs.Int("max-concurrency", p.Sim.Lambda.MaxConcurrency, "event source MaximumConcurrency (2-1000)")
		initial   = fs.Int("initial-batches", p.Sim.Lambda.InitialConcurrency, "concurrent batches the SQS event source starts with")
		scale     = fs.Float64("scale-per-minute", p.Sim.Lambda.ScalePerMinute, "concurrent invocations the SQS event source adds a minute")
		account   = fs.Int("account-concurrency", p.Sim.Lambda.AccountConcurrency, "Lambda concurrency of the account and region, shared with intake")
		intakeMS  = fs.Float64("intake-ms", p.Calls.IntakeMillis, "intake function time per HTTP request, ms")
		polls     = fs.Float64("polls", p.Calls.Polls, "GET /contacts/{id} polls per contact by the shopper's page")
		tableWRU  = fs.Float64("table-wru", p.Sim.Dynamo.StartWRU, "WRU a second the Contacts table takes at once: 4000 for a new on-demand table")
		prewarm   = fs.Float64("prewarm", 0, "pre-warmed write throughput of the Contacts table, WRU a second (overrides -table-wru)")
		adapt     = fs.Duration("adapt", 30*time.Minute, "how long before a new DynamoDB peak counts as the previous peak, whose double it takes at once")
		intakeWRU = fs.Float64("intake-wru", p.Sim.Dynamo.IntakeWRU, "WRU per contact written by intake (contact put + shopper note; about 5 with an Idempotency-Key)")
		respWRU   = fs.Float64("responder-wru", p.Sim.Dynamo.ResponderWRU, "WRU per contact in the responder's transaction")
		agentWRU  = fs.Float64("agent-wru", p.Sim.Dynamo.AgentWRU, "WRU per handed-off contact for claim and reply")
		agents    = fs.String("agents", "2000", `agents on shift: a number for one pool, or "urgent=50,high=150,normal=200,low=100" for pools per priority`)
		aht       = fs.Duration("aht", 4*time.Minute, "agents' average handle time")
		targets   = fs.String("targets", "urgent=1m,high=5m,normal=15m,low=60m", "waiting targets per priority")
		level     = fs.Float64("service-level", p.Level, "Erlang C service level: share of contacts served within the target")
		step      = fs.Duration("step", time.Second, "simulation step")
		horizon   = fs.Duration("horizon", 12*time.Hour, "how long after the peak to follow the backlog")
		svg       = fs.String("svg", p.SVG, "where to write the plot; empty for none")
	)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./scripts/plan [flags]\n\nSimulates a traffic peak through Breakwater and prints backlog, waits, agents needed and cost.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return p, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if fs.NArg() > 0 {
		return p, fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	if *profile != "" {
		if err := p.load(*profile); err != nil {
			return p, err
		}
	}
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if set["peak"] || set["ramp"] || set["hold"] || set["down"] {
		p.Sim.Profile = trapezoid(*peak, *ramp, *hold, *down)
	}
	if set["points"] {
		pts, err := parsePoints(*points)
		check(err)
		p.Sim.Profile = pts
	}
	floats := []struct {
		name string
		dst  *float64
		v    float64
	}{
		{"routine", &p.Sim.RoutineShare, *routine},
		{"batch-ms", &p.Sim.Lambda.BatchMillis, *batchMS},
		{"intake-ms", &p.Calls.IntakeMillis, *intakeMS},
		{"polls", &p.Calls.Polls, *polls},
		{"table-wru", &p.Sim.Dynamo.StartWRU, *tableWRU},
		{"prewarm", &p.Sim.Dynamo.StartWRU, *prewarm},
		{"intake-wru", &p.Sim.Dynamo.IntakeWRU, *intakeWRU},
		{"responder-wru", &p.Sim.Dynamo.ResponderWRU, *respWRU},
		{"agent-wru", &p.Sim.Dynamo.AgentWRU, *agentWRU},
		{"service-level", &p.Level, *level},
		{"scale-per-minute", &p.Sim.Lambda.ScalePerMinute, *scale},
	}
	for _, f := range floats {
		if set[f.name] {
			*f.dst = f.v
		}
	}
	ints := []struct {
		name string
		dst  *int
		v    int
	}{
		{"batch", &p.Sim.Lambda.BatchSize, *batch},
		{"max-concurrency", &p.Sim.Lambda.MaxConcurrency, *maxConc},
		{"account-concurrency", &p.Sim.Lambda.AccountConcurrency, *account},
		{"initial-batches", &p.Sim.Lambda.InitialConcurrency, *initial},
	}
	for _, f := range ints {
		if set[f.name] {
			*f.dst = f.v
		}
	}
	if set["mix"] || p.Sim.Mix == nil {
		m, err := parseShares(*mix)
		check(err)
		p.Sim.Mix = m
	}
	if set["agents"] {
		check(p.setAgents(*agents))
	}
	if set["aht"] {
		p.Sim.Agents.HandleSeconds = aht.Seconds()
	}
	if set["targets"] {
		t, err := parseTargets(*targets, p.Sim.Targets)
		check(err)
		p.Sim.Targets = t
	}
	if set["adapt"] {
		p.Sim.Dynamo.AdaptSeconds = adapt.Seconds()
	}
	if set["svg"] {
		p.SVG = *svg
	}
	p.Sim.Step, p.Sim.Horizon = step.Seconds(), horizon.Seconds()
	p.Sim.Lambda.IntakeMillis, p.Sim.Lambda.IntakeCalls = p.Calls.IntakeMillis, 1+p.Calls.Polls
	p.Calls.RoutineShare, p.Calls.BatchSize = p.Sim.RoutineShare, p.Sim.Lambda.BatchSize
	p.Calls.ResponderBatchMillis = p.Sim.Lambda.BatchMillis
	p.Calls.IntakeWRU, p.Calls.ResponderWRU, p.Calls.AgentWRU = p.Sim.Dynamo.IntakeWRU, p.Sim.Dynamo.ResponderWRU, p.Sim.Dynamo.AgentWRU
	if p.Level <= 0 || p.Level >= 1 {
		check(fmt.Errorf("service level %g: want a share between 0 and 1", p.Level))
	}
	check(p.Sim.Validate())
	return p, errors.Join(errs...)
}

func (p *plan) load(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read profile %s: %w", path, err)
	}
	var f profileFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("decode profile %s: %w", path, err)
	}
	if f.Name != "" {
		p.Name = f.Name
	}
	if f.Profile != nil {
		p.Sim.Profile = f.Profile
	}
	setF := func(dst *float64, v *float64, scale float64) {
		if v != nil {
			*dst = *v * scale
		}
	}
	setF(&p.Sim.RoutineShare, f.RoutineShare, 1)
	setF(&p.Sim.Lambda.BatchMillis, f.BatchMillis, 1)
	setF(&p.Calls.IntakeMillis, f.IntakeMillis, 1)
	setF(&p.Calls.Polls, f.Polls, 1)
	setF(&p.Sim.Dynamo.StartWRU, f.TableWRU, 1)
	setF(&p.Sim.Dynamo.AdaptSeconds, f.AdaptMinutes, 60)
	setF(&p.Sim.Dynamo.IntakeWRU, f.IntakeWRU, 1)
	setF(&p.Sim.Dynamo.ResponderWRU, f.ResponderWRU, 1)
	setF(&p.Sim.Dynamo.AgentWRU, f.AgentWRU, 1)
	setF(&p.Sim.Agents.HandleSeconds, f.HandleMinutes, 60)
	setF(&p.Level, f.ServiceLevel, 1)
	if f.BatchSize != nil {
		p.Sim.Lambda.BatchSize = *f.BatchSize
	}
	if f.MaxConcurrency != nil {
		p.Sim.Lambda.MaxConcurrency = *f.MaxConcurrency
	}
	if f.AccountConcurrency != nil {
		p.Sim.Lambda.AccountConcurrency = *f.AccountConcurrency
	}
	if f.Agents != nil {
		p.Sim.Agents.Pooled, p.Sim.Agents.Dedicated = *f.Agents, nil
	}
	if f.AgentsByPriority != nil {
		d, err := byPriority(f.AgentsByPriority)
		if err != nil {
			return fmt.Errorf("profile %s agentsByPriority: %w", path, err)
		}
		p.Sim.Agents.Dedicated = d
	}
	if f.Mix != nil {
		m := map[priority.Priority]float64{}
		for name, v := range f.Mix {
			pr, err := priority.Parse(name)
			if err != nil {
				return fmt.Errorf("profile %s mix: %w", path, err)
			}
			m[pr] = v
		}
		p.Sim.Mix = m
	}
	if f.TargetMinutes != nil {
		for name, v := range f.TargetMinutes {
			pr, err := priority.Parse(name)
			if err != nil {
				return fmt.Errorf("profile %s targetMinutes: %w", path, err)
			}
			p.Sim.Targets[pr] = time.Duration(v * float64(time.Minute))
		}
	}
	return nil
}

func trapezoid(peak float64, ramp, hold, down time.Duration) model.Profile {
	r, h, d := ramp.Minutes(), hold.Minutes(), down.Minutes()
	return model.Profile{{Minute: 0, Rate: 0}, {Minute: r, Rate: peak}, {Minute: r + h, Rate: peak}, {Minute: r + h + d, Rate: 0}}
}

func parsePoints(s string) (model.Profile, error) {
	var p model.Profile
	for _, part := range strings.Split(s, ",") {
		m, r, ok := strings.Cut(strings.TrimSpace(part), ":")
		minute, err1 := strconv.ParseFloat(m, 64)
		rate, err2 := strconv.ParseFloat(r, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("points: %q is not minute:rate", part)
		}
		p = append(p, model.Point{Minute: minute, Rate: rate})
	}
	return p, p.Validate()
}

// pairs reads "name=value,name=value" keyed by priority names.
func pairs(s string) (map[priority.Priority]string, error) {
	out := map[priority.Priority]string{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not priority=value", part)
		}
		p, err := priority.Parse(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("read %q: %w", part, err)
		}
		out[p] = strings.TrimSpace(v)
	}
	return out, nil
}

func parseShares(s string) (map[priority.Priority]float64, error) {
	kv, err := pairs(s)
	if err != nil {
		return nil, fmt.Errorf("mix: %w", err)
	}
	out := map[priority.Priority]float64{}
	for p, v := range kv {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsNaN(f) {
			return nil, fmt.Errorf("mix: %s share %q is not a number from 0 to 1", p, v)
		}
		out[p] = f
	}
	return out, nil
}

// parseTargets reads "urgent=30s,low=2h" over base, leaving the priorities it does not name as they were.
func parseTargets(s string, base humanqueue.Targets) (humanqueue.Targets, error) {
	kv, err := pairs(s)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	t := humanqueue.Targets{}
	for p, d := range base {
		t[p] = d
	}
	for p, v := range kv {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("targets: %s target %q is not a positive duration such as 5m", p, v)
		}
		t[p] = d
	}
	return t, nil
}

func (p *plan) setAgents(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return fmt.Errorf("agents: %d is negative", n)
		}
		p.Sim.Agents.Pooled, p.Sim.Agents.Dedicated = n, nil
		return nil
	}
	kv, err := pairs(s)
	if err != nil {
		return fmt.Errorf("agents: %w", err)
	}
	m := map[string]int{}
	for pr, v := range kv {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("agents: %s count %q is not a whole number", pr, v)
		}
		m[pr.String()] = n
	}
	d, err := byPriority(m)
	if err != nil {
		return fmt.Errorf("agents: %w", err)
	}
	p.Sim.Agents.Dedicated = d
	return nil
}

func byPriority(m map[string]int) (map[priority.Priority]int, error) {
	out := map[priority.Priority]int{}
	for name, n := range m {
		p, err := priority.Parse(name)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, fmt.Errorf("%s agents %d is negative", name, n)
		}
		out[p] = n
	}
	return out, nil
}
