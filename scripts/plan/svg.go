package main

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"breakwater/scripts/plan/model"
	"breakwater/shared/priority"
)

// Plot geometry in pixels.
const (
	plotW    = 1000
	left     = 78
	legendW  = 230
	innerW   = plotW - left - legendW
	panelH   = 190
	panelGap = 78
	top      = 96
)

var priorityColor = map[priority.Priority]string{
	priority.Urgent: "#d62728", priority.High: "#ff7f0e", priority.Normal: "#2ca02c", priority.Low: "#1f77b4",
}

type series struct {
	name  string
	color string
	dash  bool
	fill  bool
	width float64
	y     []float64
}

type hline struct {
	name  string
	color string
	y     float64
}

type panel struct {
	title  string
	log    bool
	ymin   float64 // of a log scale; 1 when 0
	ticks  []tick  // of a log scale; waiting times when nil
	ymax   float64
	series []series
	lines  []hline
	note   string
}

// plot draws traffic, the intake backlog and the waits over time, one panel each, sharing the time axis.
func plot(w io.Writer, p plan, o outcome) error {
	r := o.Result
	bw := bufio.NewWriter(w)
	xs, pick := downsample(r.Samples, innerW)
	end := r.End
	if end <= 0 {
		end = 1
	}

	arrivals := pick(func(s model.Sample) float64 { return s.Arrivals })
	drained := pick(func(s model.Sample) float64 { return s.Drained })
	traffic := panel{
		title: "Messages per second (contacts and follow-ups)",
		ymax:  1.25 * max(maxOf(arrivals), maxOf(drained), 1),
		series: []series{
			{name: "offered to the API", color: "#aaaaaa", width: 5, y: arrivals},
			{name: "drained by the responder", color: "#17becf", y: drained},
		},
	}
	if r.Refused > 0 {
		traffic.series = append(traffic.series, series{name: "refused at intake", color: "#d62728", y: pick(func(s model.Sample) float64 { return s.Arrivals - s.Accepted })})
	}
	headroom := headroomPanel(o, xs)
	backlog := pick(func(s model.Sample) float64 { return s.Backlog })
	queue := panel{
		title:  "Intake queue backlog (messages)",
		ymax:   1.1 * max(maxOf(backlog), 1),
		series: []series{{name: "intake backlog", color: "#9467bd", fill: true, y: backlog}},
	}
	if r.PeakBacklog == 0 {
		queue.note = "no backlog: the responder kept up"
		if r.Refused > 0 {
			queue.note = fmt.Sprintf("no backlog, but intake refused %.0f%% of messages (write limit or concurrency)", 100*r.Refused/r.Arrived)
		}
	}
	staffing := panel{title: fmt.Sprintf("Contacts waiting for a person, per priority, with %s agents on shift (the plan recommends %s)",
		count(o.Agents), count(float64(o.Advice.Recommended)))}
	var most float64
	for _, pr := range priority.All {
		y := pick(func(s model.Sample) float64 { return s.Queue[pr] })
		staffing.series = append(staffing.series, series{name: pr.String(), color: priorityColor[pr], y: y})
		most = max(most, maxOf(y))
	}
	staffing.ymax = 1.2 * max(most, 1)
	if most < 0.5 {
		staffing.note = "no contact waits: the agents keep up"
	}
	waits := panel{
		title:  "Waiting time (log scale)",
		log:    true,
		series: []series{{name: "oldest intake message", color: "#000000", y: pick(func(s model.Sample) float64 { return s.OldestAge })}},
	}
	ymax := 60.0
	for _, pr := range priority.All {
		y := pick(func(s model.Sample) float64 { return s.Wait[pr] })
		waits.series = append(waits.series, series{name: pr.String() + " queue, oldest wait", color: priorityColor[pr], y: y})
		t := p.Sim.Targets[pr].Seconds()
		waits.lines = append(waits.lines, hline{name: pr.String() + " target " + duration(t), color: priorityColor[pr], y: t})
		ymax = max(ymax, maxOf(y), t)
	}
	ymax = max(ymax, maxOf(waits.series[0].y))
	waits.ymax = ymax * 1.6

	panels := []panel{traffic, headroom, queue, staffing, waits}
	height := top + len(panels)*(panelH+panelGap)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		plotW, height, plotW, height)
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", plotW, height)
	fmt.Fprintf(bw, `<text x="%d" y="28" font-size="18" font-weight="bold">Breakwater capacity plan: %s</text>`+"\n", left, esc(p.Name))
	backlogNote := "no intake backlog"
	if r.PeakBacklog > 0 {
		backlogNote = fmt.Sprintf("peak backlog %s at %s, oldest message %s", count(r.PeakBacklog), clock(r.PeakBacklogAt), duration(r.MaxOldestAge))
	}
	first := "no limit binds"
	if b, ok := o.Binding(); ok {
		first = fmt.Sprintf("first binding limit: %s at %s", b.Name, clock(b.FirstBind))
	}
	fmt.Fprintf(bw, `<text x="%d" y="50" font-size="12" fill="#333">peak %s contacts/s · %s · %s</text>`+"\n",
		left, count(p.Sim.Profile.Peak()), backlogNote, esc(first))
	fmt.Fprintf(bw, `<text x="%d" y="68" font-size="12" fill="#333">responder: %d ms a batch of %d, MaximumConcurrency %d · %s handle time</text>`+"\n",
		left, int(p.Sim.Lambda.BatchMillis), p.Sim.Lambda.BatchSize, p.Stack.Capacity.MaxConcurrency, duration(p.Sim.Agents.HandleSeconds))
	fmt.Fprintf(bw, `<text x="%d" y="86" font-size="13" font-weight="bold" fill="#000">Staff %s agents (%s on shift in this run)</text>`+"\n",
		left, count(float64(o.Advice.Recommended)), count(o.Agents))
	for i, pn := range panels {
		y0 := top + i*(panelH+panelGap) + 22
		drawPanel(bw, pn, xs, end, float64(y0), i == len(panels)-1)
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

func drawPanel(w io.Writer, pn panel, xs []float64, end, y0 float64, last bool) {
	x0 := float64(left)
	fmt.Fprintf(w, `<text x="%g" y="%g" font-size="14" font-weight="bold">%s</text>`+"\n", x0, y0-10, esc(pn.title))
	fmt.Fprintf(w, `<rect x="%g" y="%g" width="%d" height="%d" fill="#fafafa" stroke="#999"/>`+"\n", x0, y0, innerW, panelH)
	ymin := 0.0
	if pn.log {
		ymin = 1
		if pn.ymin > 0 {
			ymin = pn.ymin
		}
	}
	ypix := func(v float64) float64 {
		if pn.log {
			v = max(v, ymin)
			return y0 + panelH - panelH*math.Log(v/ymin)/math.Log(pn.ymax/ymin)
		}
		return y0 + panelH - panelH*min(v, pn.ymax)/pn.ymax
	}
	xpix := func(t float64) float64 { return x0 + innerW*t/end }

	// Grid and ticks.
	ticks := pn.ticks
	if ticks == nil {
		ticks = yTicks(pn.ymax, pn.log)
	}
	for _, t := range ticks {
		y := ypix(t.v)
		fmt.Fprintf(w, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#e0e0e0"/>`+"\n", x0, y, x0+innerW, y)
		fmt.Fprintf(w, `<text x="%g" y="%.1f" text-anchor="end" fill="#333">%s</text>`+"\n", x0-6, y+4, t.label)
	}
	for _, t := range xTicks(end) {
		x := xpix(t)
		fmt.Fprintf(w, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#e0e0e0"/>`+"\n", x, y0, x, y0+panelH)
		fmt.Fprintf(w, `<text x="%.1f" y="%g" text-anchor="middle" fill="#333">%s</text>`+"\n", x, y0+panelH+16, clockShort(t))
	}
	if last {
		fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="middle" fill="#333">time since the peak began (h:mm)</text>`+"\n", x0+innerW/2, y0+panelH+36)
	}

	// Targets, then series on top.
	for _, h := range pn.lines {
		y := ypix(h.y)
		fmt.Fprintf(w, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="7 5"/>`+"\n", x0, y, x0+innerW, y, h.color)
	}
	for _, s := range pn.series {
		var b strings.Builder
		for i, v := range s.y {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&b, "%s%.1f %.1f ", cmd, xpix(xs[i]), ypix(v))
		}
		if b.Len() == 0 {
			continue
		}
		if s.fill {
			fmt.Fprintf(w, `<path d="%sL%.1f %.1f L%.1f %.1f Z" fill="%s" fill-opacity="0.25" stroke="none"/>`+"\n",
				b.String(), xpix(xs[len(xs)-1]), ypix(0), xpix(xs[0]), ypix(0), s.color)
		}
		dash := ""
		if s.dash {
			dash = ` stroke-dasharray="3 3"`
		}
		width := s.width
		if width == 0 {
			width = 2
		}
		fmt.Fprintf(w, `<path d="%s" fill="none" stroke="%s" stroke-width="%g"%s stroke-linejoin="round"/>`+"\n", strings.TrimSpace(b.String()), s.color, width, dash)
		// A value past the top of the panel is drawn at the top: say so with a mark where it first goes past.
		for i, v := range s.y {
			if v > pn.ymax {
				fmt.Fprintf(w, `<path d="M%.1f %.1f l-5 9 h10 Z" fill="%s"/><text x="%.1f" y="%.1f" font-size="10" fill="%s">off the scale</text>`+"\n",
					xpix(xs[i]), y0+1, s.color, xpix(xs[i])+7, y0+10, s.color)
				break
			}
		}
	}
	if pn.note != "" {
		fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="middle" fill="#555" font-size="14">%s</text>`+"\n", x0+innerW/2, y0+panelH/2, esc(pn.note))
	}

	// Legend to the right of the panel.
	lx, ly := x0+innerW+16, y0+12
	item := func(name, color, dash string, width float64) {
		if width == 0 {
			width = 2
		}
		fmt.Fprintf(w, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="%g"%s/>`+"\n", lx, ly-4, lx+26, ly-4, color, width, dash)
		fmt.Fprintf(w, `<text x="%g" y="%g">%s</text>`+"\n", lx+32, ly, esc(name))
		ly += 18
	}
	for _, s := range pn.series {
		dash := ""
		if s.dash {
			dash = ` stroke-dasharray="3 3"`
		}
		item(s.name, s.color, dash, s.width)
	}
	for _, h := range pn.lines {
		item(h.name, h.color, ` stroke-dasharray="7 5"`, 0)
	}
}

// headroomPanel is each limit's need as a share of the limit over time, the tightest few: above 100% it binds.
func headroomPanel(o outcome, xs []float64) panel {
	pn := panel{title: "Need as a share of each limit, the tightest eight (log scale; above 100% the limit binds)", log: true, ymin: 0.01,
		lines: []hline{{name: "the limit (100%)", color: "#d62728", y: 1}}}
	colors := []string{"#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#1f77b4"}
	var top float64
	for _, l := range o.Limits {
		if len(pn.series) == len(colors) {
			break
		}
		if l.Peak <= 0 || l.Capacity <= 0 {
			continue
		}
		y := make([]float64, len(xs))
		for i, x := range xs {
			m := min(len(l.Need)-1, max(0, int(math.Ceil(x/60))-1))
			if m >= 0 {
				y[i] = l.Need[m] / l.Capacity
			}
		}
		top = max(top, maxOf(y))
		name := strings.NewReplacer(" (the biggest merchant)", "", "#<shard>", "", "#<minute>", "", " (on-demand, warm throughput)", " (warm)",
			"partition ", "key ", "Contacts table", "table", " (account quota: HTTP, WebSocket, callbacks)", " (quota)", " (account quota)", " (quota)", "WebSocket new connections", "WebSocket connections",
			"Lambda concurrency, unreserved (intake, push)", "Lambda unreserved (intake)", "Lambda concurrency, unreserved", "Lambda unreserved").Replace(l.Name)
		if r := []rune(name); len(r) > 30 {
			name = string(r[:29]) + "…"
		}
		pn.series = append(pn.series, series{name: name, color: colors[len(pn.series)], y: y})
	}
	pn.ymax = max(2, top*1.5)
	for v := 0.01; v <= pn.ymax; v *= 10 {
		pn.ticks = append(pn.ticks, tick{v, fmt.Sprintf("%s%%", short(100*v))})
	}
	return pn
}

type tick struct {
	v     float64
	label string
}

func yTicks(ymax float64, log bool) []tick {
	if log {
		var out []tick
		for _, t := range []tick{{1, "≤1s"}, {10, "10s"}, {60, "1m"}, {300, "5m"}, {900, "15m"}, {3600, "1h"}, {4 * 3600, "4h"}, {12 * 3600, "12h"}, {24 * 3600, "1d"}, {3 * 86400, "3d"}} {
			if t.v <= ymax {
				out = append(out, t)
			}
		}
		return out
	}
	step := niceStep(ymax / 5)
	var out []tick
	for v := 0.0; v <= ymax+step/1e6; v += step {
		out = append(out, tick{v, short(v)})
	}
	return out
}

func xTicks(end float64) []float64 {
	var step float64
	for _, m := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440} {
		step = m * 60
		if end/step <= 10 {
			break
		}
	}
	var out []float64
	for t := 0.0; t <= end; t += step {
		out = append(out, t)
	}
	return out
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*mag >= raw {
			return f * mag
		}
	}
	return 10 * mag
}

// short prints 1500 as 1.5k and 2000000 as 2M.
func short(v float64) string {
	trim := func(s string) string { return strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".") }
	switch {
	case v >= 1e6:
		return trim(trim(fmt.Sprintf("%.2f", v/1e6))) + "M"
	case v >= 1e3:
		return trim(trim(fmt.Sprintf("%.2f", v/1e3))) + "k"
	default:
		return trim(trim(fmt.Sprintf("%.2f", v)))
	}
}

func clockShort(sec float64) string {
	s := int(math.Round(sec))
	return fmt.Sprintf("%d:%02d", s/3600, s%3600/60)
}

// downsample groups samples into at most n buckets; pick returns each bucket's highest value of a field, so peaks survive.
func downsample(ss []model.Sample, n int) ([]float64, func(func(model.Sample) float64) []float64) {
	buckets := make([][2]int, 0, n)
	for i := 0; i < n && len(ss) > 0; i++ {
		lo, hi := i*len(ss)/n, (i+1)*len(ss)/n
		if hi > lo {
			buckets = append(buckets, [2]int{lo, hi})
		}
	}
	xs := make([]float64, len(buckets))
	for i, b := range buckets {
		xs[i] = ss[b[1]-1].T
	}
	return xs, func(f func(model.Sample) float64) []float64 {
		ys := make([]float64, len(buckets))
		for i, b := range buckets {
			m := f(ss[b[0]])
			for _, s := range ss[b[0]+1 : b[1]] {
				m = max(m, f(s))
			}
			ys[i] = m
		}
		return ys
	}
}

func maxOf(ys []float64) float64 {
	var m float64
	for _, y := range ys {
		m = max(m, y)
	}
	return m
}

func agentsShort(a model.Agents) string {
	if a.Dedicated == nil {
		return count(float64(a.Pooled))
	}
	n := 0
	for _, k := range a.Dedicated {
		n += k
	}
	return count(float64(n))
}

func esc(s string) string { return html.EscapeString(s) }
