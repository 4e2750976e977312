package main

import (
	"bytes"
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

// plan is the whole question: the simulation's config, the workload, the stack's settings and what to print.
type plan struct {
	Name     string
	Sim      model.Config // contacts; model.Analyze adds the follow-ups
	Workload model.Workload
	Stack    model.Stack
	// Sources says where each capacity setting came from: "topology default", "cdk.json", "profile", "-c".
	Sources map[string]string
	Level   float64 // service level for Erlang C: the share answered within the target
	SVG     string
	JSON    bool
	Check   bool
	Verbose bool
}

// profileFile is the JSON a -profile file holds; every field is optional and overrides the default.
type profileFile struct {
	Name             string             `json:"name"`
	Profile          model.Profile      `json:"profile"`
	RoutineShare     *float64           `json:"routineShare"`
	Mix              map[string]float64 `json:"mix"`
	BatchSize        *int               `json:"batchSize"`
	BatchMillis      *float64           `json:"batchMillis"`
	AdaptMinutes     *float64           `json:"adaptMinutes"`
	Agents           *int               `json:"agents"`
	AgentsByPriority map[string]int     `json:"agentsByPriority"`
	HandleMinutes    *float64           `json:"handleMinutes"`
	TargetMinutes    map[string]float64 `json:"targetMinutes"`
	ServiceLevel     *float64           `json:"serviceLevel"`
	StepSeconds      *float64           `json:"stepSeconds"`
	// Workload overrides fields of model.DefaultWorkload (only those the file names).
	Workload json.RawMessage `json:"workload"`
	// Context is the CDK context this peak is deployed with (`cdk deploy -c key=value`): the account's quotas as
	// AWS raised them, the responder's cap, the tables' warm throughput.
	Context map[string]any `json:"context"`
	// Notes document the profile; the plan ignores them.
	Notes []string `json:"notes"`
}

func defaultPlan() plan {
	mem := map[string]float64{}
	for _, f := range topology.Functions {
		mem[f.Name] = float64(f.MemoryMB)
	}
	sim := model.DefaultConfig()
	// A settle of 10 on AWS: ten UpdateItems at once, about 50 ms with the invocation; the stack's
	// maxConcurrency default (topology.IntakeSource) is sized by it.
	sim.Lambda.BatchMillis = 50
	w := model.DefaultWorkload()
	r := priority.DefaultRules()
	w.Shards, w.PlatformShards = r.Shards, r.PlatformShards
	return plan{
		Name:     "default peak",
		Sim:      sim,
		Workload: w,
		Stack:    model.Stack{Capacity: topology.DefaultCapacity(), Memory: mem},
		Sources:  map[string]string{},
		Level:    0.8,
		SVG:      "plan.svg",
	}
}

// contextFlags collects -c key=value, as cdk takes them.
type contextFlags map[string]string

func (c contextFlags) String() string { return fmt.Sprint(map[string]string(c)) }

func (c contextFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	c[k] = v
	return nil
}

// parse reads the defaults, then the -profile file, then the flags the user set, so a flag always wins. The stack's
// settings are topology's defaults, then cdk.json's context, then the profile's context, then -c.
func parse(args []string) (plan, error) {
	p := defaultPlan()
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	ctx := contextFlags{}
	var (
		profile  = fs.String("profile", "", "JSON file with the peak and any of the settings below (see testdata/double11.json)")
		points   = fs.String("points", "", `peak profile as minute:rate points, linearly interpolated, e.g. "0:0,10:20000,40:20000,50:0"`)
		peak     = fs.Float64("peak", 20000, "peak arrival rate, contacts a second (with -ramp, -hold, -down)")
		ramp     = fs.Duration("ramp", 10*time.Minute, "time to ramp up to -peak")
		hold     = fs.Duration("hold", 30*time.Minute, "time at -peak")
		down     = fs.Duration("down", 10*time.Minute, "time to ramp down")
		routine  = fs.Float64("routine", p.Sim.RoutineShare, "share of messages a template answers")
		mix      = fs.String("mix", "urgent=0.1,high=0.3,normal=0.4,low=0.2", "shares of handed-off contacts per priority")
		batch    = fs.Int("batch", p.Sim.Lambda.BatchSize, "responder batch size")
		batchMS  = fs.Float64("batch-ms", p.Sim.Lambda.BatchMillis, "responder time per full batch on AWS, ms, including its DynamoDB transaction")
		initial  = fs.Int("initial-batches", p.Sim.Lambda.InitialConcurrency, "concurrent batches the SQS event source starts with")
		scale    = fs.Float64("scale-per-minute", p.Sim.Lambda.ScalePerMinute, "concurrent invocations the SQS event source adds a minute")
		adapt    = fs.Duration("adapt", 30*time.Minute, "how long before a new DynamoDB peak counts as the previous peak, whose double it takes at once")
		agents   = fs.String("agents", "", `agents on shift: a number for one pool, or "urgent=50,high=150,normal=200,low=100" for pools per priority; empty staffs the plan's recommended number`)
		aht      = fs.Duration("aht", 4*time.Minute, "agents' average handle time")
		targets  = fs.String("targets", "urgent=1m,high=5m,normal=15m,low=60m", "waiting targets per priority")
		level    = fs.Float64("service-level", p.Level, "Erlang C service level: share of contacts served within the target")
		follow   = fs.Float64("follow-ups", p.Workload.FollowUpShare, "share of contacts that send one follow-up message")
		overview = fs.Float64("overview-seconds", p.Workload.OverviewSeconds, "how often each agent's console reads the queue overview")
		push     = fs.Bool("push", p.Workload.Push.On, "model the WebSocket push for conversations a person is in (false: the page polls while held, the console re-reads every -watch)")
		watch    = fs.Duration("watch", time.Duration(p.Workload.WatchSeconds*float64(time.Second)), "without -push, how often the console re-reads each held conversation (0: leave it out)")
		queued   = fs.Duration("queued-floor", 0, "with -push, slow a queued shopper's polls to at least this (default contact.PushQueuedPoll; 0: contact.NextPoll's pace)")
		noteOnce = fs.Bool("note-once", p.Workload.Writes.NoteOnce, "the intake writes the shopper note once a contact instead of twice (model.Writes.NoteOnce)")
		settle   = fs.Bool("settle-apart", p.Workload.Writes.SettleApart, "the responder settles each contact with its own UpdateItem, 1 WRU an item, not a transaction a batch (model.Writes.SettleApart)")
		turn     = fs.Bool("turn-apart", p.Workload.Writes.TurnApart, "a follow-up and its answer are single conditional writes, 1 WRU an item, not transactions (model.Writes.TurnApart)")
		step     = fs.Duration("step", time.Second, "simulation step")
		horizon  = fs.Duration("horizon", 12*time.Hour, "how long after the peak to follow the backlog")
		svg      = fs.String("svg", p.SVG, "where to write the plot; empty for none")
		cdkJSON  = fs.String("cdk-json", "", "cdk.json whose context the stack is deployed with (default: the repository's)")
	)
	fs.Var(ctx, "c", "context value the stack is deployed with, as `key=value` for cdk deploy -c (repeatable): "+strings.Join(topology.CapacityKeys, ", "))
	fs.BoolVar(&p.Check, "check", false, "pre-peak check: exit 1, naming the setting, if the stack as configured would throttle or drop contacts")
	fs.BoolVar(&p.JSON, "json", false, "print the plan as JSON instead of text")
	fs.BoolVar(&p.Verbose, "v", false, "print the arithmetic of every limit's peak (partitions included)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./scripts/plan [flags]\n\nSimulates a traffic peak through Breakwater, holds every limit in its path against it, and prints\nbacklog, waits, the agents to staff, the pre-peak checklist and the cost.\n\n")
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

	var profileContext map[string]any
	if *profile != "" {
		c, err := p.load(*profile)
		if err != nil {
			return p, err
		}
		profileContext = c
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
		{"service-level", &p.Level, *level},
		{"scale-per-minute", &p.Sim.Lambda.ScalePerMinute, *scale},
		{"follow-ups", &p.Workload.FollowUpShare, *follow},
		{"overview-seconds", &p.Workload.OverviewSeconds, *overview},
	}
	for _, f := range floats {
		if set[f.name] {
			*f.dst = f.v
		}
	}
	if set["batch"] {
		p.Sim.Lambda.BatchSize = *batch
	}
	if set["push"] {
		p.Workload.Push.On = *push
	}
	if set["watch"] {
		p.Workload.WatchSeconds = watch.Seconds()
	}
	if set["queued-floor"] {
		p.Workload.Push.QueuedFloorSeconds = queued.Seconds()
	}
	if set["note-once"] {
		p.Workload.Writes.NoteOnce = *noteOnce
	}
	if set["settle-apart"] {
		p.Workload.Writes.SettleApart = *settle
	}
	if set["turn-apart"] {
		p.Workload.Writes.TurnApart = *turn
	}
	if set["initial-batches"] {
		p.Sim.Lambda.InitialConcurrency = *initial
	}
	if set["mix"] || p.Sim.Mix == nil {
		m, err := parseShares(*mix)
		check(err)
		p.Sim.Mix = m
	}
	if set["agents"] && *agents != "" {
		check(p.setAgents(*agents))
	} else if set["agents"] {
		p.Sim.Agents.Pooled, p.Sim.Agents.Dedicated = 0, nil
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
	if set["step"] {
		p.Sim.Step = step.Seconds()
	}
	p.Sim.Horizon = horizon.Seconds()
	check(p.resolveStack(*cdkJSON, profileContext, ctx))
	if p.Level <= 0 || p.Level >= 1 {
		check(fmt.Errorf("service level %g: want a share between 0 and 1", p.Level))
	}
	check(p.Workload.Validate())
	check(p.Sim.Validate())
	return p, errors.Join(errs...)
}

// load reads a profile file over p and returns the context it names.
func (p *plan) load(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile %s: %w", path, err)
	}
	var f profileFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode profile %s: %w", path, err)
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
	setF(&p.Sim.Dynamo.AdaptSeconds, f.AdaptMinutes, 60)
	setF(&p.Sim.Agents.HandleSeconds, f.HandleMinutes, 60)
	setF(&p.Level, f.ServiceLevel, 1)
	setF(&p.Sim.Step, f.StepSeconds, 1)
	if f.BatchSize != nil {
		p.Sim.Lambda.BatchSize = *f.BatchSize
	}
	if f.Agents != nil {
		p.Sim.Agents.Pooled, p.Sim.Agents.Dedicated = *f.Agents, nil
	}
	if f.AgentsByPriority != nil {
		d, err := byPriority(f.AgentsByPriority)
		if err != nil {
			return nil, fmt.Errorf("profile %s agentsByPriority: %w", path, err)
		}
		p.Sim.Agents.Dedicated = d
	}
	if f.Mix != nil {
		m := map[priority.Priority]float64{}
		for name, v := range f.Mix {
			pr, err := priority.Parse(name)
			if err != nil {
				return nil, fmt.Errorf("profile %s mix: %w", path, err)
			}
			m[pr] = v
		}
		p.Sim.Mix = m
	}
	if f.TargetMinutes != nil {
		for name, v := range f.TargetMinutes {
			pr, err := priority.Parse(name)
			if err != nil {
				return nil, fmt.Errorf("profile %s targetMinutes: %w", path, err)
			}
			p.Sim.Targets[pr] = time.Duration(v * float64(time.Minute))
		}
	}
	if len(f.Workload) > 0 {
		dec := json.NewDecoder(bytes.NewReader(f.Workload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p.Workload); err != nil {
			return nil, fmt.Errorf("profile %s workload: %w", path, err)
		}
	}
	for k := range f.Context {
		if _, ok := topology.DefaultCapacity().Get(k); !ok {
			return nil, fmt.Errorf("profile %s context: %q is not a capacity setting (%s)", path, k, strings.Join(topology.CapacityKeys, ", "))
		}
	}
	return f.Context, nil
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
