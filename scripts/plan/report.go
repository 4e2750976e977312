package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"breakwater/scripts/plan/model"
	"breakwater/shared/contact"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func report(w io.Writer, p plan, o outcome) {
	c, r := p.Sim, o.Result
	out := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	wl := p.Workload

	out("Breakwater capacity plan: %s\n", p.Name)
	out("%s\n\n", strings.Repeat("=", 27+len(p.Name)))
	out("Peak profile: %s\n", describeProfile(c.Profile))
	out("  %s contacts in %s, %.0f%% sending a follow-up: %s messages; %.0f%% answered by templates, %s handed to people\n",
		count(o.Contacts), duration(c.Profile.End()), 100*wl.FollowUpShare, count(o.Messages), 100*c.RoutineShare, count(o.Messages*(1-c.RoutineShare)))
	out("  tenants: %s merchants, Zipf exponent %g: the biggest has %.1f%% of the contacts; the platform team serves %.0f%% of the hand-offs\n",
		count(float64(wl.Tenants.Merchants)), wl.Tenants.Exponent, 100*wl.Tenants.Top(), 100*wl.Tenants.PlatformShare)
	out("  %s\n  writes: %s\n\n", describePush(wl), describeWrites(wl.Writes))

	if b, ok := o.Binding(); ok {
		out("The limit that binds first: %s, at %s (needs %s %s, has %s; %s).\n  Change: %s\n\n",
			b.Name, clock(b.FirstBind), count(b.Peak), b.Unit, count(b.Capacity), b.Severity, b.Setting)
	} else if len(o.Limits) > 0 {
		l := o.Limits[0]
		out("No limit binds. The tightest: %s, %s of %s %s at %s (%.0f%% headroom).\n\n", l.Name, count(l.Peak), count(l.Capacity), l.Unit, clock(l.PeakAt), 100*(l.Headroom()-1))
	}

	out("Every limit in the path, tightest first (stack settings from %s)\n", sourcesLine(p))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  limit\tpeak need\tat\tlimit\theadroom\tbinds at\tif passed\towner\t")
	unused := 0
	for _, l := range o.Limits {
		if l.Peak <= 0 {
			unused++ // in -json; a row of zeros says nothing here
			continue
		}
		binds := "-"
		if l.Binds() {
			binds = clock(l.FirstBind)
		}
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Name, count(l.Peak), l.Unit, clock(l.PeakAt), count(l.Capacity), headroom(l), binds, l.Severity, l.Owner)
	}
	tw.Flush()
	if unused > 0 {
		out("  (%d more the peak does not touch: -json lists them)\n", unused)
	}
	if p.Verbose {
		out("\n  Why (the peak's arithmetic):\n")
		for _, l := range o.Limits {
			if l.Why != "" {
				out("  - %s: %s\n", l.Name, l.Why)
			}
		}
		out("  - settings: %s\n", settingsLine(p))
	}
	out("\n")

	peakLoad := o.peakLoad()
	out("At the busiest minute (%s): %s requests/s\n", clock(peakLoad.T), count(peakLoad.Total()))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, route := range model.LargestFirst(peakLoad.Routes) {
		fmt.Fprintf(tw, "  %s\t%s/s\t\n", route, count(peakLoad.Routes[route]))
	}
	tw.Flush()
	if wl.Push.On {
		pl := peakLoad.Push
		out("  shoppers' polls: %s while the bot decides, %s while queued (contact.NextPoll), %s safety polls every %s and %s after a poke while a person holds the conversation\n",
			count(peakLoad.PendingPolls), count(peakLoad.QueuedPolls), count(peakLoad.ClaimedPolls), duration(wl.Push.SafetySeconds), count(peakLoad.PokedPolls))
		out("  consoles' re-reads of held conversations: %s safety re-reads every %s and %s after a poke\n",
			count(peakLoad.Rereads), duration(wl.Push.SafetySeconds), count(peakLoad.PokedRereads))
		out("  WebSocket: %s sockets open (queued and held conversations' pages, agents' consoles); %s new/s (a socket per hand-off, agents reconnecting every %s); stage %s requests/s (connections, hellos, pings every %s); %s pokes/s (PostToConnection): %s to shoppers (on claim and each agent message), %s to agents (a shopper's follow-up on a held conversation); %s messages/s\n",
			count(pl.Sockets), count(pl.Connects), duration(wl.Push.ReconnectSeconds), count(pl.StageRequests()), duration(wl.Push.PingSeconds),
			count(pl.Callbacks()), count(pl.ShopperPokes), count(pl.AgentPokes), count(pl.Messages()))
	} else {
		out("  shoppers' polls: %s while the bot decides, %s while queued, %s while an agent holds the conversation (contact.NextPoll)\n",
			count(peakLoad.PendingPolls), count(peakLoad.QueuedPolls), count(peakLoad.ClaimedPolls))
		if wl.WatchSeconds > 0 {
			out("  consoles' re-reads of held conversations: %s (every %s, the console's watch)\n", count(peakLoad.Rereads), duration(wl.WatchSeconds))
		} else {
			out("  consoles' re-reads of held conversations: left out (-watch 0)\n")
		}
	}
	out("  concurrency: intake %s, agent %s, responder %s; Contacts table %s WRU/s and %s RRU/s, queue index %s WRU/s and %s RRU/s\n\n",
		count(peakLoad.Concurrency[model.FnIntake]), count(peakLoad.Concurrency[model.FnAgent]), count(peakLoad.Concurrency[model.FnResponder]),
		count(peakLoad.TableWRU), count(peakLoad.TableRRU), count(peakLoad.QueueWRU), count(peakLoad.QueueRRU))

	perInv := c.Lambda.PerInvocation()
	out("Intake queue and responder\n")
	out("  responder: %s messages/s per concurrent batch (%d per %g ms); MaximumConcurrency %d = %s messages/s; the peak needs %s batches\n",
		count(perInv), c.Lambda.BatchSize, c.Lambda.BatchMillis, p.Stack.Capacity.MaxConcurrency, count(float64(p.Stack.Capacity.MaxConcurrency)*perInv),
		count(math.Ceil(o.Messages/max(1, o.Contacts)*c.Profile.Peak()/perInv)))
	out("  event source scaling: starts at %d batches, +%g a minute\n", c.Lambda.InitialConcurrency, c.Lambda.ScalePerMinute)
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
	out("  refused at intake:     %s messages (%.2f%%: the table's write limit)\n", count(r.Refused), 100*r.Refused/max(1, r.Arrived))
	out("  backlog held by:       Lambda concurrency %s, DynamoDB writes %s\n\n", duration(r.LambdaBound), duration(r.DynamoBound))

	agents := fmt.Sprintf("one pool of %s agents serving overdue contacts first, then by priority", count(o.Agents))
	if c.Agents.Dedicated != nil {
		var parts []string
		for _, pr := range priority.All {
			parts = append(parts, fmt.Sprintf("%s %d", pr, c.Agents.Dedicated[pr]))
		}
		agents = "pools per priority: " + strings.Join(parts, ", ")
	}
	out("Human queues (%s; handle time %s)\n", agents, duration(c.Agents.HandleSeconds))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  priority\ttarget\thanded off\tserved\tstill waiting\tmax wait\tmean wait\tover target\t")
	for _, pr := range priority.All {
		wt := r.Waits[pr]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f%%\t\n", pr, duration(c.Targets[pr].Seconds()), count(wt.HandedOff),
			count(wt.Served), count(wt.Left), duration(wt.MaxWait), duration(wt.MeanWait), 100*wt.OverTarget)
	}
	tw.Flush()
	out("  (fluid model in %s steps: waits come from backlog only; random bunching adds the Erlang C margin below)\n\n", duration(c.Step))

	a := o.Advice
	out("Agents to staff: %s\n", count(float64(a.Recommended)))
	out("  %s.\n", o.List.Staffing)
	out("  For comparison, Erlang C with a pool per priority held at the peak rate (service level %.0f%% within target):\n", 100*p.Level)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  priority\thand-offs/s\tload (erlangs)\tagents\tP(wait)\twithin target\tmean wait\t")
	for _, pr := range priority.All {
		s := a.PerPriority[pr]
		fmt.Fprintf(tw, "  %s\t%.2f\t%s\t%s\t%.3f\t%.1f%%\t%s\t\n", pr, s.Load/c.Agents.HandleSeconds, count(s.Load), count(float64(s.Agents)),
			s.PWait, 100*s.ServiceLvl, duration(s.MeanWaitSec))
	}
	fmt.Fprintf(tw, "  total\t\t\t%s\t\t\t\t\n", count(float64(a.SteadyTotal)))
	tw.Flush()
	out("  (that many only if the peak lasted for ever: this one is short enough for lower priorities to ride it)\n\n")

	l := o.List
	out("Pre-peak checklist\n")
	if len(l.Quotas) > 0 {
		out("  Ask AWS (Service Quotas, this region), a week ahead:\n")
		for _, q := range l.Quotas {
			out("  - %s\n", q)
		}
	}
	if l.Deploy != "" {
		out("  Deploy with these context values (the stack carves route throttles and reserved concurrency from them):\n    %s\n", l.Deploy)
	} else {
		out("  Context: the stack's settings already fit this peak.\n")
	}
	for _, s := range l.Prewarm {
		out("  - %s\n", s)
	}
	if len(l.Data) > 0 {
		out("  Merchants' rules (catalog data):\n")
		for _, s := range l.Data {
			out("  - %s\n", s)
		}
	}
	if len(l.Code) > 0 {
		out("  In the code (no setting reaches these):\n")
		for _, s := range l.Code {
			out("  - %s\n", s)
		}
	}
	out("  - %s\n\n", l.Staffing)

	total := model.Total(o.Cost)
	out("Cost per million contacts (us-east-1 list prices; every request of the run, agents' included)\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  service\tper contact\tunit\t$ per million\t")
	for _, cl := range o.Cost {
		fmt.Fprintf(tw, "  %s\t%.4g\t%s\t%.2f\t\n", cl.Service, cl.PerContact, cl.Unit, cl.PerMillion)
	}
	fmt.Fprintf(tw, "  total\t\t\t%.2f\t\n", total)
	fmt.Fprintf(tw, "  %s (apart)\t%.4g\t%s\t%.2f\t\n", o.Logs.Service, o.Logs.PerContact, o.Logs.Unit, o.Logs.PerMillion)
	tw.Flush()
	out("  requests per contact by route: %s\n", o.Cost[0].Detail)
	if wl.Push.On {
		out("  WebSocket messages per contact: %s (a hello and its answer are two, a ping one: the mock integration answers nothing; a poke is one PostToConnection)\n", o.Cost[1].Detail)
		out("  WebSocket connection-minutes per contact: %.2f (pages from hand-off to the end of the conversation, agents' consoles for the whole run)\n", o.Cost[2].PerContact)
	}
	out("  not included: data transfer, the free tier, alarms, dashboard and metrics at rest (infra/DEPLOY.md), one-time pre-warming\n")
	out("  this run: %s contacts = $%s, $%s with logs\n\n", count(o.Contacts), money(total*o.Contacts/1e6), money((total+o.Logs.PerMillion)*o.Contacts/1e6))

	if p.Check {
		fails := o.failures()
		if len(fails) == 0 {
			out("Pre-peak check: PASS. No limit throttles, drops or delays contacts at this profile with the stack as configured.\n")
			for _, w := range o.warnings() {
				out("  warning: %s\n", w)
			}
		} else {
			out("Pre-peak check: FAIL. The stack as configured would throttle or drop contacts at this profile:\n")
			for _, f := range fails {
				out("  - %s\n", f)
			}
		}
	}
}

// peakLoad is the minute with the most requests.
func (o outcome) peakLoad() model.Load {
	var best model.Load
	for _, l := range o.Loads {
		if l.Total() > best.Total() {
			best = l
		}
	}
	if best.Routes == nil {
		best.Routes = map[string]float64{}
		best.Concurrency = map[string]float64{}
	}
	return best
}

func headroom(l model.Limit) string {
	h := l.Headroom()
	switch {
	case math.IsInf(h, 1):
		return "unused"
	case h >= 100:
		return "x100+"
	}
	return fmt.Sprintf("x%.2f", h)
}

func sourcesLine(p plan) string {
	seen := map[string]bool{}
	var out []string
	for _, k := range []string{"-c", "profile", "cdk.json", "topology default"} {
		for _, v := range p.Sources {
			if v == k && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return strings.Join(out, ", ")
}

func settingsLine(p plan) string {
	var parts []string
	for _, k := range topology.CapacityKeys {
		v, _ := p.Stack.Capacity.Get(k)
		parts = append(parts, fmt.Sprintf("%s=%d (%s)", k, v, p.Sources[k]))
	}
	return strings.Join(parts, ", ")
}

func describePush(w model.Workload) string {
	if w.Push.On {
		s := fmt.Sprintf("push: a WebSocket for conversations a person is in (hand-off to resolution) and per agent; safety polls and re-reads every %s", duration(w.Push.SafetySeconds))
		if w.Push.QueuedFloorSeconds > 0 {
			s += fmt.Sprintf("; queued polls at least every %s", duration(w.Push.QueuedFloorSeconds))
		}
		return s
	}
	if w.WatchSeconds > 0 {
		return fmt.Sprintf("no push: the page polls every %s while a person holds the conversation, the console re-reads each held conversation every %s", duration(contact.PollClaimed.Seconds()), duration(w.WatchSeconds))
	}
	return fmt.Sprintf("no push: the page polls every %s while a person holds the conversation; the console's re-reads left out", duration(contact.PollClaimed.Seconds()))
}

func describeWrites(w model.Writes) string {
	note, settle := "the shopper note twice a contact (NoteOnce false)", "the settle a transaction, 2 WRU an item (SettleApart false)"
	if w.NoteOnce {
		note = "the shopper note once a contact (NoteOnce true)"
	}
	if w.SettleApart {
		settle = "the settle an UpdateItem a contact, 1 WRU an item (SettleApart true)"
	}
	turn := "a follow-up and its answer two transactions (TurnApart false)"
	if w.TurnApart {
		turn = "a follow-up and its answer single writes, 5 WRU (TurnApart true)"
	}
	return note + ", " + settle + ", " + turn + " (model.Writes)"
}

func describeProfile(p model.Profile) string {
	parts := make([]string, len(p))
	for i, pt := range p {
		parts[i] = fmt.Sprintf("%s/s at %s", count(pt.Rate), clock(pt.Minute*60))
	}
	return strings.Join(parts, ", ") + " (linear between)"
}

// count prints a non-negative quantity with thousands separators, to one decimal below 10.
func count(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Sprint(v)
	}
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
