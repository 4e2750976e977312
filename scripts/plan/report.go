package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"breakwater/scripts/plan/model"
	"breakwater/shared/priority"
)

// needs is what the peak asks of each limit, to compare with what the plan gives it.
type needs struct {
	Concurrency   int     // responder batches at once to keep up with the peak
	IntakeConc    float64 // intake function concurrency at the peak
	WRU           float64 // write units a second at the peak
	Staffing      map[priority.Priority]model.Staffing
	HandedPerSec  map[priority.Priority]float64
	StaffingTotal int
}

func needsOf(p plan) needs {
	c := p.Sim
	peak := c.Profile.Peak()
	n := needs{
		Concurrency:  int(math.Ceil(peak / c.Lambda.PerInvocation())),
		IntakeConc:   peak * c.Lambda.IntakeCalls * c.Lambda.IntakeMillis / 1000,
		Staffing:     map[priority.Priority]model.Staffing{},
		HandedPerSec: map[priority.Priority]float64{},
	}
	handed := peak * (1 - c.RoutineShare)
	n.WRU = peak*(c.Dynamo.IntakeWRU+c.Dynamo.ResponderWRU) + handed*c.Dynamo.AgentWRU
	for _, pr := range priority.All {
		rate := handed * c.Mix[pr]
		n.HandedPerSec[pr] = rate
		s := model.AgentsFor(rate, c.Agents.HandleSeconds, c.Targets[pr].Seconds(), p.Level)
		n.Staffing[pr] = s
		n.StaffingTotal += s.Agents
	}
	return n
}

func report(w io.Writer, p plan, r model.Result) {
	c := p.Sim
	n := needsOf(p)
	out := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }

	out("Breakwater capacity plan: %s\n", p.Name)
	out("%s\n\n", strings.Repeat("=", 27+len(p.Name)))
	out("Peak profile: %s\n", describeProfile(c.Profile))
	out("  %s contacts in %s; %.0f%% answered by templates, %s handed to people\n\n",
		count(c.Profile.Total()), duration(c.Profile.End()), 100*c.RoutineShare, count(c.Profile.Total()*(1-c.RoutineShare)))

	perInv := c.Lambda.PerInvocation()
	capConc := max(0, min(float64(c.Lambda.MaxConcurrency), float64(c.Lambda.AccountConcurrency)-n.IntakeConc))
	out("Intake queue and responder\n")
	out("  responder: %s contacts/s per concurrent batch (%d per %g ms); MaximumConcurrency %d; at the peak %s batches = %s contacts/s; peak needs %d\n",
		count(perInv), c.Lambda.BatchSize, c.Lambda.BatchMillis, c.Lambda.MaxConcurrency, count(math.Floor(capConc)), count(math.Floor(capConc)*perInv), n.Concurrency)
	out("  event source scaling: starts at %d batches, +%g a minute; account concurrency %d, of which intake takes %s at the peak\n",
		c.Lambda.InitialConcurrency, c.Lambda.ScalePerMinute, c.Lambda.AccountConcurrency, count(n.IntakeConc))
	out("  DynamoDB Contacts table: takes %s WRU/s at once, twice a peak once it held for %s; the peak needs %s WRU/s (%g intake + %g responder per contact)\n",
		count(c.Dynamo.StartWRU), duration(c.Dynamo.AdaptSeconds), count(n.WRU), c.Dynamo.IntakeWRU, c.Dynamo.ResponderWRU)
	if r.PeakBacklog > 0 {
		out("  peak intake backlog:   %s messages at %s\n", count(r.PeakBacklog), clock(r.PeakBacklogAt))
		out("  oldest intake message: %s at %s\n", duration(r.MaxOldestAge), clock(r.MaxOldestAt))
	}
	switch {
	case r.DrainedAt < 0:
		out("  intake queue:          NOT drained %s after the peak ended\n", duration(c.Horizon))
	case r.DrainedAt == 0:
		out("  intake queue:          never held a backlog\n")
	default:
		out("  intake queue:          empty again at %s\n", clock(r.DrainedAt))
	}
	out("  refused at intake:     %s contacts (%.2f%%: table write limit or account concurrency full)\n", count(r.Refused), 100*r.Refused/max(1, r.Arrived))
	out("  backlog held by:       Lambda concurrency %s, DynamoDB writes %s\n", duration(r.LambdaBound), duration(r.DynamoBound))
	out("  peak responder concurrency %s; peak writes %s WRU/s\n\n", count(r.PeakConcurrency), count(r.PeakWRU))

	agents := fmt.Sprintf("one pool of %s agents serving overdue contacts first, then by priority", count(float64(c.Agents.Pooled)))
	if c.Agents.Dedicated != nil {
		var parts []string
		for _, pr := range priority.All {
			parts = append(parts, fmt.Sprintf("%s %d", pr, c.Agents.Dedicated[pr]))
		}
		agents = "pools per priority: " + strings.Join(parts, ", ")
	}
	out("Human queues (%s; handle time %s)\n", agents, duration(c.Agents.HandleSeconds))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  priority\ttarget\thanded off\tserved\tstill waiting\tmax wait\tmean wait\tover target\t")
	for _, pr := range priority.All {
		wt := r.Waits[pr]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f%%\t\n", pr, duration(c.Targets[pr].Seconds()), count(wt.HandedOff),
			count(wt.Served), count(wt.Left), duration(wt.MaxWait), duration(wt.MeanWait), 100*wt.OverTarget)
	}
	tw.Flush()
	out("  (fluid model in %s steps: waits come from backlog only; random bunching adds the Erlang C waits below)\n\n", duration(c.Step))

	out("Agents needed at the peak by Erlang C (service level %.0f%% of contacts served within the target, handle time %s)\n",
		100*p.Level, duration(c.Agents.HandleSeconds))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  priority\thand-offs/s\tload (erlangs)\tagents\tP(wait)\twithin target\tmean wait\t")
	for _, pr := range priority.All {
		s := n.Staffing[pr]
		fmt.Fprintf(tw, "  %s\t%.2f\t%s\t%s\t%.3f\t%.1f%%\t%s\t\n", pr, n.HandedPerSec[pr], count(s.Load), count(float64(s.Agents)),
			s.PWait, 100*s.ServiceLvl, duration(s.MeanWaitSec))
	}
	fmt.Fprintf(tw, "  total\t%.2f\t\t%s\t\t\t\t\n", sum(n.HandedPerSec), count(float64(n.StaffingTotal)))
	tw.Flush()
	out("  (each priority as its own pool, steady state at the peak rate)\n")
	search := c
	search.Step = max(c.Step, 10)
	if pooled, err := model.MinPooledAgents(search, p.Level, max(2*n.StaffingTotal, 10)); err == nil && pooled >= 0 {
		out("  one shared pool, serving overdue contacts first and then by priority, meets every target (at least %.0f%% within it,\n", 100*p.Level)
		out("  none left waiting) with %s agents in this simulation: it rides the peak on backlog that drains after it, and\n", count(float64(pooled)))
		out("  sees no random bunching (fluid, %s steps), so add the Erlang C margin for a steady peak\n", duration(search.Step))
	}
	out("\n")

	lines := model.CostPerMillion(p.Calls, model.ListPrices())
	var total float64
	out("Cost per million contacts (us-east-1 list prices; calls per contact as assumed below)\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  service\tper contact\tunit\t$ per million\t")
	for _, l := range lines {
		fmt.Fprintf(tw, "  %s\t%.4g\t%s\t%.2f\t\n", l.Service, l.PerContact, l.Unit, l.PerMillion)
		total += l.PerMillion
	}
	fmt.Fprintf(tw, "  total\t\t\t%.2f\t\n", total)
	tw.Flush()
	k := p.Calls
	out("  assumed: 1 POST + %g status polls per contact (intake %g ms at %g MB); responder %g ms per batch of %d at %g MB;\n",
		k.Polls, k.IntakeMillis, k.IntakeMB, k.ResponderBatchMillis, k.BatchSize, k.ResponderMB)
	out("  SQS 1 send per contact + 1 receive and 1 delete per batch; %g agent calls per hand-off (%g ms at %g MB, %g WRU, %g RRU);\n",
		k.AgentCalls, k.AgentMillis, k.AgentMB, k.AgentWRU, k.AgentRRU)
	out("  %g RRU per poll; not included: CloudWatch logs and metrics, data transfer, the free tier.\n", k.RRUPerPoll)
	out("  this peak: %s contacts = $%s\n\n", count(c.Profile.Total()), money(total*c.Profile.Total()/1e6))

	advice := advise(p, r, n)
	if len(advice) > 0 {
		out("What to change before the peak\n")
		for _, a := range advice {
			out("  - %s\n", a)
		}
		out("\n")
	}
}

func advise(p plan, r model.Result, n needs) []string {
	c := p.Sim
	var a []string
	if n.Concurrency > c.Lambda.MaxConcurrency {
		a = append(a, fmt.Sprintf("raise the event source's MaximumConcurrency from %d to at least %d (-max-concurrency %d): at %g ms a batch one batch drains %s contacts/s",
			c.Lambda.MaxConcurrency, n.Concurrency, n.Concurrency, c.Lambda.BatchMillis, count(c.Lambda.PerInvocation())))
	}
	if need := float64(n.Concurrency) + n.IntakeConc; need > float64(c.Lambda.AccountConcurrency) {
		a = append(a, fmt.Sprintf("ask for account concurrency of at least %s (responder %d + intake %s); it is %d",
			count(need), n.Concurrency, count(n.IntakeConc), c.Lambda.AccountConcurrency))
	}
	if n.WRU > c.Dynamo.StartWRU {
		a = append(a, fmt.Sprintf("pre-warm the Contacts table to at least %s WRU/s (warm throughput; -prewarm %.0f): it takes %s at once, and throttled responder writes fail their messages, which return after the %s visibility timeout and reach the DLQ after 5 receives",
			count(n.WRU), math.Ceil(n.WRU/1000)*1000, count(c.Dynamo.StartWRU), duration(6*30)))
	}
	if r.Refused > 0 {
		a = append(a, fmt.Sprintf("%s contacts were refused at intake: shoppers see errors and retry", count(r.Refused)))
	}
	for _, pr := range priority.All {
		if w := r.Waits[pr]; w.OverTarget > 1-p.Level || w.Left > 0 {
			a = append(a, fmt.Sprintf("%s: %.0f%% waited past the %s target (max %s); Erlang C staffing for it alone is %s agents",
				pr, 100*w.OverTarget, duration(c.Targets[pr].Seconds()), duration(w.MaxWait), count(float64(n.Staffing[pr].Agents))))
		}
	}
	return a
}

func describeProfile(p model.Profile) string {
	parts := make([]string, len(p))
	for i, pt := range p {
		parts[i] = fmt.Sprintf("%s/s at %s", count(pt.Rate), clock(pt.Minute*60))
	}
	return strings.Join(parts, ", ") + " (linear between)"
}

func sum(m map[priority.Priority]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// count prints a non-negative quantity with thousands separators, to one decimal below 10.
func count(v float64) string {
	if v < 10 && v != math.Trunc(v) {
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func money(v float64) string {
	cents := int64(math.Round(v * 100))
	return fmt.Sprintf("%s.%02d", count(float64(cents/100)), cents%100)
}

// duration prints seconds as 45s, 4m05s or 2h03m.
func duration(sec float64) string {
	switch s := int(math.Round(sec)); {
	case sec < 0.05:
		return "0s"
	case sec < 10 && sec != math.Trunc(sec):
		return fmt.Sprintf("%.1fs", sec)
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
}

// clock prints seconds since the start as h:mm:ss.
func clock(sec float64) string {
	s := int(math.Round(sec))
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s%3600/60, s%60)
}
