// Command soak runs the local stack behind fault proxies, sends it many contacts as storefronts do (retrying 503s
// with the same Idempotency-Key), waits for every accepted contact to settle, and accounts for each of them:
// nothing lost, nothing answered twice, and the throughput under faults.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/faults"
	"breakwater/shared/local/runner"
)

func main() {
	o := options{}
	flag.IntVar(&o.n, "n", 2000, "contacts to send")
	flag.Float64Var(&o.rate, "fault-rate", 0.05, "fraction of the functions' DynamoDB and SQS calls that fail")
	flag.IntVar(&o.c, "c", 64, "storefront connections sending and polling at once")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the fault decisions")
	flag.StringVar(&o.dynamoKinds, "dynamo-faults", "throttle,server-error,unavailable", "fault kinds for DynamoDB calls: throttle, server-error, unavailable, timeout, late")
	flag.StringVar(&o.sqsKinds, "sqs-faults", "throttle,server-error,unavailable,timeout,late", "fault kinds for SQS calls")
	flag.IntVar(&o.attempts, "attempts", 10, "posts per contact before a storefront gives up")
	flag.IntVar(&o.concurrency, "concurrency", 0, "responder batches in flight (0: the local default)")
	flag.IntVar(&o.watchEvery, "watch-every", 50, "poll every this many contacts' status as its shopper does, recording the first answer seen (the rest are accounted from the table)")
	flag.IntVar(&o.intake, "intake-instances", 16, "intake function environments (Lambda scales out; injected timeouts hold one each)")
	flag.StringVar(&o.log, "log", "", "write the functions' logs to this file (discarded when empty)")
	flag.StringVar(&o.out, "json", "", "also write the result as JSON to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o, os.Stderr)
	if res != nil {
		res.print(os.Stdout)
		if o.out != "" {
			b, _ := json.MarshalIndent(res, "", "  ")
			_ = os.WriteFile(o.out, b, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type options struct {
	n, c, attempts, concurrency int
	watchEvery, intake          int
	rate                        float64
	seed                        uint64
	dynamoKinds, sqsKinds       string
	log, out                    string
}

type result struct {
	Command        string           `json:"command"`
	Contacts       int              `json:"contacts"`
	FaultRate      float64          `json:"faultRate"`
	Faults         map[string]int64 `json:"faults"`
	Calls          map[string]int64 `json:"calls"`
	Posts          int              `json:"posts"`
	Refused        int              `json:"refused"` // storefront gave up after all attempts
	Ledger         faults.Ledger    `json:"ledger"`
	Lost           int              `json:"lost"`
	AnsweredTwice  int              `json:"answeredTwice"`
	Misjudged      int              `json:"misjudged"`
	Settles        int              `json:"settlesCounted"`
	Seconds        float64          `json:"seconds"`
	AcceptedPerSec float64          `json:"acceptedPerSecond"`
	SentSeconds    float64          `json:"sentSeconds"`
	SettleP50      time.Duration    `json:"settleP50"`
	SettleP99      time.Duration    `json:"settleP99"`
	Check          string           `json:"check"`
}

func kinds(s string) []faults.Kind {
	var out []faults.Kind
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, faults.Kind(k))
		}
	}
	return out
}

func run(ctx context.Context, o options, progress io.Writer) (*result, error) {
	var logw io.Writer = io.Discard
	if o.log != "" {
		f, err := os.Create(o.log)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		logw = f
	}
	fmt.Fprintf(progress, "soak: starting emulators and the stack behind fault proxies (rate %g)...\n", o.rate)
	emu, err := emulators.Start(ctx, emulators.Options{Log: logw})
	if err != nil {
		return nil, err
	}
	defer emu.Close()
	rig, err := faults.StartRig(ctx, faults.RigOptions{
		Stack:  runner.Options{Emulators: emu, Log: logw, Concurrency: o.concurrency, MetricsEvery: -1, IntakeInstances: o.intake},
		Dynamo: faults.Options{Rate: o.rate, Seed: o.seed, Kinds: kinds(o.dynamoKinds)},
		SQS:    faults.Options{Rate: o.rate, Seed: o.seed + 1, Kinds: kinds(o.sqsKinds)},
	})
	if err != nil {
		return nil, err
	}
	defer rig.Close()

	subs := make([]faults.Submission, o.n)
	settle := make([]time.Duration, o.n)
	var next, accepted, done, posts atomic.Int64
	begin := time.Now()
	stopProgress := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Go(func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				el := time.Since(begin).Seconds()
				fmt.Fprintf(progress, "soak: %6.0fs  sent %d of %d, accepted %d (%.0f/s), settles %d, faults %d\n",
					el, done.Load(), o.n, accepted.Load(), float64(accepted.Load())/el, rig.Settles.Total(), rig.Dynamo.Injected()+rig.SQS.Injected())
			}
		}
	})
	var wg sync.WaitGroup
	for range o.c {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= o.n {
					return
				}
				start := time.Now()
				body, key := request(i, o.seed)
				s := rig.Submit(ctx, body, key, o.attempts)
				posts.Add(int64(s.Attempts))
				if s.Accepted {
					accepted.Add(1)
				}
				if s.Accepted && o.watchEvery > 0 && i%o.watchEvery == 0 {
					wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
					if err := rig.Watch(wctx, &s, 250*time.Millisecond); err != nil {
						fmt.Fprintf(progress, "soak: %v\n", err)
					}
					cancel()
					settle[i] = time.Since(start)
				}
				subs[i] = s
				done.Add(1)
			}
		})
	}
	wg.Wait()
	sent := time.Since(begin)
	fmt.Fprintf(progress, "soak: all %d sent in %s; waiting for the intake queue to drain...\n", o.n, sent.Round(time.Second))
	actx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	derr := rig.Drain(actx)
	elapsed := time.Since(begin)
	close(stopProgress)
	pwg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "soak: drained after %s; accounting...\n", elapsed.Round(time.Second))
	l, aerr := rig.Account(actx, subs)
	aerr = errorsJoin(derr, aerr)
	res := &result{
		Command:     strings.Join(os.Args, " "),
		Contacts:    o.n,
		FaultRate:   o.rate,
		Faults:      rig.Faults(),
		Calls:       map[string]int64{"dynamodb": int64(rig.Dynamo.Calls()), "sqs": int64(rig.SQS.Calls())},
		Posts:       int(posts.Load()),
		Ledger:      l,
		Lost:        len(l.Lost),
		Settles:     rig.Settles.Total(),
		Seconds:     elapsed.Seconds(),
		SentSeconds: sent.Seconds(),
		Misjudged:   len(l.Misjudged),
	}
	res.AnsweredTwice = len(l.Changed)
	for _, s := range subs {
		if !s.Accepted {
			res.Refused++
		}
	}
	res.AcceptedPerSec = float64(l.Accepted) / elapsed.Seconds()
	var ds []time.Duration
	for _, d := range settle {
		if d > 0 {
			ds = append(ds, d)
		}
	}
	sort.Slice(ds, func(a, b int) bool { return ds[a] < ds[b] })
	if len(ds) > 0 {
		res.SettleP50, res.SettleP99 = ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)*99/100].Round(time.Millisecond)
	}
	err = aerr
	if cerr := l.Check(); cerr != nil {
		err = errorsJoin(err, cerr)
	}
	if res.Settles > l.Accepted+len(l.Phantoms) {
		err = errorsJoin(err, fmt.Errorf("the responder counted %d settles for %d contacts: a contact was settled twice", res.Settles, l.Accepted))
	}
	res.Check = "ok"
	if err != nil {
		res.Check = err.Error()
	}
	return res, err
}

func errorsJoin(a, b error) error {
	if a == nil {
		return b
	}
	return fmt.Errorf("%w; %w", a, b)
}

func (r *result) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", r.Command)
	fmt.Fprintf(w, "contacts sent        %d (%d posts, %d refused after all retries)\n", r.Contacts, r.Posts, r.Refused)
	keys := make([]string, 0, len(r.Faults))
	var total int64
	for k, n := range r.Faults {
		keys = append(keys, k)
		total += n
	}
	slices.Sort(keys)
	fmt.Fprintf(w, "faults injected      %d of %d DynamoDB and %d SQS calls\n", total, r.Calls["dynamodb"], r.Calls["sqs"])
	for _, k := range keys {
		fmt.Fprintf(w, "  %-26s %d\n", k, r.Faults[k])
	}
	l := r.Ledger
	fmt.Fprintf(w, "accepted             %d\n", l.Accepted)
	fmt.Fprintf(w, "  answered           %d\n", l.Answered)
	fmt.Fprintf(w, "  queued             %d\n", l.Queued)
	fmt.Fprintf(w, "  rejected           %d\n", l.Rejected)
	fmt.Fprintf(w, "  in DLQ             %d\n", l.InDLQ)
	fmt.Fprintf(w, "  still pending      %d\n", l.Pending)
	fmt.Fprintf(w, "lost                 %d\n", r.Lost)
	fmt.Fprintf(w, "answered twice       %d\n", r.AnsweredTwice)
	fmt.Fprintf(w, "misjudged answers    %d (stored answer differs from a fresh triage decision)\n", r.Misjudged)
	fmt.Fprintf(w, "phantoms / orphans   %d / %d (settled / pending contacts no shopper got a 202 for)\n", len(l.Phantoms), len(l.Orphans))
	fmt.Fprintf(w, "withdrawn            %d (stored, then not queued: the shopper got 503 and retried)\n", l.Withdrawn)
	fmt.Fprintf(w, "settles counted      %d (responder EMF)\n", r.Settles)
	fmt.Fprintf(w, "table items          %v, all with expiresAt: %v\n", l.Items, len(l.NoTTL) == 0)
	fmt.Fprintf(w, "throughput           %.1f accepted and settled contacts/s (%d in %.0f s from the first post until the intake queue drained; posting took %.0f s)\n", r.AcceptedPerSec, l.Accepted, r.Seconds, r.SentSeconds)
	fmt.Fprintf(w, "watched contacts     post to settled as the shopper saw it: p50 %s, p99 %s\n", r.SettleP50, r.SettleP99)
	fmt.Fprintf(w, "check                %s\n", r.Check)
}
