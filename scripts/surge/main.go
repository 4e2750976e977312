// Command surge sends a realistic burst of contacts to Breakwater's API and reports how fast and how completely they settle.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "surge:", err)
	}
	os.Exit(code)
}

// run returns 0 when every accepted contact settled, 1 when some were lost or none accepted, 2 on bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("surge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		target   = fs.String("url", "http://127.0.0.1:8080", "base URL of the API: the local stack by default, or a deployed API")
		n        = fs.Int("n", 1000, "contacts to send")
		rate     = fs.Float64("rate", 0, "contacts a second; 0 sends as fast as the senders can")
		conc     = fs.Int("c", 32, "concurrent senders")
		pollers  = fs.Int("pollers", 16, "concurrent status polls")
		interval = fs.Duration("poll-interval", 100*time.Millisecond, "least time between two polls of one contact")
		timeout  = fs.Duration("timeout", 2*time.Minute, "give up sending and polling after this long")
		seed     = fs.Uint64("seed", 1, "seed of the contact generator (the same seed sends the same contacts)")
		idem     = fs.Bool("idempotency", true, "send an Idempotency-Key so retried POSTs cannot duplicate a contact")
		chinese  = fs.Float64("chinese", DefaultMix().Chinese, "share of contacts written in Chinese")
		asJSON   = fs.Bool("json", false, "print the result as JSON instead of text")
		quiet    = fs.Bool("quiet", false, "no progress line on stderr")
		drain    = fs.Bool("drain", false, "measure the drain rate (local stack only): hold the responder, fill the intake queue with -n contacts, release it and time until the queue is empty; then check every contact once")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./scripts/surge [flags]\n\nSends -n realistic contacts to POST /contacts and polls each until it settles; with -drain, fills the held\nintake queue of the local stack first and times the responder emptying it.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0, err
	} else if err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *n > 1_000_000 || *conc > 1000 || *pollers > 1000 || *timeout > time.Hour {
		return 2, errors.New("n is at most 1,000,000, -c and -pollers at most 1000, timeout at most 1h")
	}
	if *chinese < 0 || *chinese > 1 {
		return 2, fmt.Errorf("-chinese %g: want a share from 0 to 1", *chinese)
	}
	mix := DefaultMix()
	mix.Chinese = *chinese
	opt := Options{
		URL: *target, N: *n, Rate: *rate, Concurrency: *conc, Pollers: *pollers, PollInterval: *interval,
		Timeout: *timeout, Seed: *seed, Idempotency: *idem, Mix: mix,
	}
	if !*quiet {
		opt.Progress = stderr
	}
	runner := Run
	if *drain {
		runner = RunDrain
	}
	res, err := runner(ctx, opt)
	if err != nil {
		return 2, err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return 2, fmt.Errorf("write result: %w", err)
		}
	} else {
		printResult(stdout, opt, res)
	}
	if res.Lost > 0 || res.Accepted == 0 {
		return 1, nil
	}
	return 0, nil
}

func printResult(w io.Writer, opt Options, r Result) {
	out := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	pace := "as fast as possible"
	if opt.Rate > 0 {
		pace = fmt.Sprintf("%g/s", opt.Rate)
	}
	d := r.Drain
	if d != nil {
		out("Drain of %d contacts on %s (sent at rate %s by %d senders into the held intake queue, seed %d)\n", r.N, r.URL, pace, opt.Concurrency, opt.Seed)
		out("  accepted      %7d  (%.1f%%) in %.2fs = %.0f/s, with the responder held\n", r.Accepted, pct(r.Accepted, r.N), r.SendSeconds, r.AcceptedPerSec)
		out("  drained       %7d  in %.2fs from the release to the last message deleted = %.0f/s (queue seen empty after %.2fs)\n",
			d.Drained, d.DrainSeconds, d.DrainedPerSec, d.QueueEmptySeconds)
		out("  drained 99%%  %7.0f  in %.2fs = %.0f/s\n", math.Ceil(0.99*float64(d.Drained)), d.Seconds99, d.PerSec99)
		out("  settled       %7d  (status read once after the drain: %d read)\n", r.Settled, d.Verified)
		if d.Unread > 0 {
			out("  not read      %7d  (the check after the drain ran out of time; counted as lost below: rerun with a longer -timeout)\n", d.Unread)
		}
		out("  dead letters  %7d\n", d.DeadLetters)
		out("  batches       %7d  (%.1f contacts each; %d failed as a whole; %d messages retried, each after the visibility timeout)\n",
			d.Invocations, float64(d.Drained)/max(float64(d.Invocations), 1), d.FailedInvocations, d.Retried)
		if d.Unextended > 0 {
			out("  unextended    %7d  (received messages not hidden past the event source's claim: possibly handed over twice)\n", d.Unextended)
		}
	} else {
		out("Surge of %d contacts to %s (rate %s, %d senders, %d pollers, seed %d)\n", r.N, r.URL, pace, opt.Concurrency, opt.Pollers, opt.Seed)
		out("  accepted      %7d  (%.1f%%) in %.2fs = %.0f/s\n", r.Accepted, pct(r.Accepted, r.N), r.SendSeconds, r.AcceptedPerSec)
		out("  settled       %7d  in %.2fs = %.0f/s\n", r.Settled, r.SettleSeconds, r.SettledPerSec)
	}
	out("  answered      %7d\n", r.Answered)
	queued := 0
	var parts []string
	for _, p := range []string{"urgent", "high", "normal", "low", "unknown"} {
		if k := r.Queued[p]; k > 0 || p != "unknown" {
			parts = append(parts, fmt.Sprintf("%s %d", p, k))
			queued += k
		}
	}
	out("  queued        %7d  (%s)\n", queued, strings.Join(parts, ", "))
	if k := r.Statuses["claimed"] + r.Statuses["resolved"]; k > 0 {
		out("  already with agents %d (claimed %d, resolved %d)\n", k, r.Statuses["claimed"], r.Statuses["resolved"])
	}
	out("  rejected      %7d\n", r.Rejected)
	out("  lost          %7d  (accepted but not settled within %s)\n", r.Lost, opt.Timeout)
	if r.NotAccepted > 0 {
		out("  not accepted  %7d\n", r.NotAccepted)
	}
	errs := 0
	var names []string
	for k, v := range r.HTTPErrors {
		errs += v
		names = append(names, fmt.Sprintf("%s: %d", k, v))
	}
	slices.Sort(names)
	if len(names) > 0 {
		out("  HTTP errors   %7d  (%s)\n", errs, strings.Join(names, ", "))
	} else {
		out("  HTTP errors   %7d\n", errs)
	}
	out("  retries       %7d\n", r.Retries)
	s, a := r.SettleMillis, r.AnswerMillis
	if d != nil {
		out("  time to settle FROM THE RELEASE (to its message's deletion, stack clock): p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms\n", s.P50, s.P95, s.P99, s.Max)
		out("  time to answer FROM THE RELEASE (answered contacts only):                p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms\n", a.P50, a.P95, a.P99, a.Max)
		if d.Untimed > 0 {
			out("  %d settled contacts have no time: their messages were processed before the release\n", d.Untimed)
		}
		out("  checking: %d GETs after the drain\n", r.Polls)
	} else {
		out("  time to settle (202 to the first poll that shows it settled): p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms\n", s.P50, s.P95, s.P99, s.Max)
		out("  time to answer (answered contacts only):                     p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms\n", a.P50, a.P95, a.P99, a.Max)
		g := r.PollGapMillis
		out("  polling: %d GETs, each contact at most every %.0f ms; the settling poll came p50 %.0f ms, p95 %.0f ms after the last pending one (the resolution of the times above)\n",
			r.Polls, r.PollIntervalMS, g.P50, g.P95)
	}
	out("  outcome by what was sent:\n")
	for _, k := range Kinds {
		o := r.Outcomes[k]
		total := 0
		var keys []string
		for st, v := range o {
			total += v
			keys = append(keys, st)
		}
		if total == 0 {
			continue
		}
		slices.Sort(keys)
		var ps []string
		for _, st := range keys {
			ps = append(ps, fmt.Sprintf("%s %.0f%%", st, pct(o[st], total)))
		}
		out("    %-16s %6d  %s\n", k, total, strings.Join(ps, ", "))
	}
	if r.TimedOut {
		out("  stopped by the %s timeout\n", opt.Timeout)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
