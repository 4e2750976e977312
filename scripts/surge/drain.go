package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/local/runner"
)

// DrainResult is what drain mode measured besides the usual counts.
type DrainResult struct {
	// Drained counts the contacts whose intake message the responder processed and deleted after the release.
	Drained int `json:"drained"`
	// DrainSeconds runs from the release to the last of those deletions (the stack's own clock).
	DrainSeconds  float64 `json:"drainSeconds"`
	DrainedPerSec float64 `json:"drainedPerSecond"`
	// Seconds99 is when 99% of them had been deleted, and PerSec99 the rate until then: a few messages stranded for
	// the visibility timeout stretch DrainSeconds without saying anything about the rate of the rest.
	Seconds99 float64 `json:"seconds99"`
	PerSec99  float64 `json:"perSecond99"`
	// QueueEmptySeconds is when surge first saw the intake queue empty (visible + in flight = 0) after the release.
	QueueEmptySeconds float64 `json:"queueEmptySeconds"`
	// DeadLetters is the dead-letter queue's depth after the drain: messages the responder gave up on.
	DeadLetters int `json:"deadLetters"`
	// Untimed counts settled contacts with no recorded deletion after the release (processed before it).
	Untimed int `json:"untimed"`
	// Verified counts contacts whose status was read after the drain; Unread the accepted ones the check ran out of
	// time for (they count as lost, since nothing shows they settled).
	Verified int `json:"verified"`
	Unread   int `json:"unread"`
	// Invocations, FailedInvocations and Retried are what the event source did during the drain; a retried
	// message waits out the queue's visibility timeout before it is delivered again.
	Invocations       int64 `json:"invocations"`
	FailedInvocations int64 `json:"failedInvocations"`
	Retried           int64 `json:"retried"`
	// Unextended counts received messages the event source could not hide past its short claim: they may have been
	// handed to the responder twice.
	Unextended int64 `json:"unextended"`
}

// drainStats is the arithmetic of a drain, kept apart from HTTP so it can be tested on its own.
// settled maps contact ids to milliseconds after the release; emptyAt is when the queue was seen empty.
func drainStats(settled map[string]float64, emptyAt time.Duration) DrainResult {
	d := DrainResult{Drained: len(settled), QueueEmptySeconds: emptyAt.Seconds()}
	if len(settled) == 0 {
		return d
	}
	times := make([]float64, 0, len(settled))
	for _, m := range settled {
		times = append(times, m)
	}
	slices.Sort(times)
	d.DrainSeconds = times[len(times)-1] / 1000
	if d.DrainSeconds > 0 {
		d.DrainedPerSec = float64(d.Drained) / d.DrainSeconds
	}
	n99 := int(math.Ceil(0.99 * float64(len(times))))
	d.Seconds99 = times[n99-1] / 1000
	if d.Seconds99 > 0 {
		d.PerSec99 = float64(n99) / d.Seconds99
	}
	return d
}

// controlClient calls the local stack's control endpoints (runner.ControlPrefix).
type controlClient struct {
	base   string
	client *http.Client
}

// errNotLocal means the URL does not serve the control endpoints: drain mode needs the local stack.
var errNotLocal = errors.New("the URL does not serve the local control endpoints; drain mode needs the local stack (go run ./scripts/local)")

func (c controlClient) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+strings.TrimSuffix(runner.ControlPrefix, "/")+path, nil)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set(runner.ControlHeader, "surge")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s %s: %w", method, path, errNotLocal)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func (c controlClient) state(ctx context.Context) (st runner.IntakeState, err error) {
	return st, c.do(ctx, http.MethodGet, "/intake", &st)
}

func (c controlClient) hold(ctx context.Context) (st runner.IntakeState, err error) {
	return st, c.do(ctx, http.MethodPost, "/intake/hold", &st)
}

func (c controlClient) release(ctx context.Context) (st runner.IntakeState, err error) {
	return st, c.do(ctx, http.MethodPost, "/intake/release", &st)
}

func (c controlClient) settled(ctx context.Context) (st runner.Settled, err error) {
	return st, c.do(ctx, http.MethodGet, "/intake/settled", &st)
}

// RunDrain measures how fast the local stack's responder empties a backlog: it holds the event source, sends
// opt.N contacts into the intake queue, releases it and times from the release until the queue is empty; then it
// reads every accepted contact's status once to check that none was lost. Times to settle run from the release
// to the deletion of the contact's message (recorded by the stack's event source), not from acceptance.
func RunDrain(ctx context.Context, opt Options) (Result, error) {
	s, err := newSurge(opt, ModeDrain)
	if err != nil {
		return Result{}, err
	}
	opt = s.opt
	ctl := controlClient{base: s.base, client: opt.Client}
	outer := ctx // interrupts end the check after the drain too; the timeout does not
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()

	st, err := ctl.state(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("surge: read the intake queue: %w", err)
	}
	if st.Intake.Total() != 0 {
		return Result{}, fmt.Errorf("surge: the intake queue already holds %d messages (%d in flight): let it drain first", st.Intake.Total(), st.Intake.InFlight)
	}
	if _, err := ctl.hold(ctx); err != nil {
		return Result{}, fmt.Errorf("surge: hold the responder's event source: %w", err)
	}
	released := false
	defer func() { // never leave the stack held, even when interrupted
		if !released {
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer rcancel()
			ctl.release(rctx)
		}
	}()

	samples := samples(opt)
	var tick <-chan time.Time
	if opt.Progress != nil {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		tick = t.C
	}
	s.start = time.Now()
	accepted := s.sendAll(ctx, samples, tick)
	if ctx.Err() != nil {
		return s.result(true), nil
	}

	before, err := ctl.release(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("surge: release the responder's event source: %w", err)
	}
	released = true
	s.releasedAt.Store(time.Now().UnixNano())
	emptyAt, err := s.awaitEmpty(ctx, ctl, tick)
	timedOut := ctx.Err() != nil
	if err != nil && !timedOut {
		return Result{}, fmt.Errorf("surge: wait for the intake queue to drain: %w", err)
	}
	// What follows reads; give it time of its own so a drain that ran out of time still reports. Reading 50,000
	// contacts back through the intake function takes minutes on a loaded machine, so -timeout stretches it.
	vctx, vcancel := context.WithTimeout(outer, max(5*time.Minute, opt.Timeout))
	defer vcancel()
	set, err := ctl.settled(vctx)
	if err != nil {
		return Result{}, fmt.Errorf("surge: read settle times: %w", err)
	}
	after, err := ctl.state(vctx)
	if err != nil {
		return Result{}, fmt.Errorf("surge: read the queues after the drain: %w", err)
	}
	d := drainStats(set.Millis, emptyAt)
	d.DeadLetters = after.DeadLetters.Total()
	d.Invocations = after.Source.Invocations - before.Source.Invocations
	d.FailedInvocations = after.Source.FailedInvocations - before.Source.FailedInvocations
	d.Retried = after.Source.Retried - before.Source.Retried
	d.Unextended = after.Source.Unextended - before.Source.Unextended
	d.Verified, d.Untimed = s.verify(vctx, accepted, set.Millis)
	d.Unread = len(accepted) - d.Verified
	if opt.Progress != nil {
		s.progress(true)
	}
	res := s.result(timedOut)
	res.Drain = &d
	res.SettleSeconds = d.DrainSeconds
	res.SettledPerSec = 0
	if d.DrainSeconds > 0 {
		res.SettledPerSec = float64(res.Settled) / d.DrainSeconds
	}
	return res, nil
}

// sendAll sends every sample with opt.Concurrency senders at opt.Rate and returns the accepted contacts.
func (s *surge) sendAll(ctx context.Context, samples []Sample, tick <-chan time.Time) []*tracked {
	jobs := make(chan int)
	var mu sync.Mutex
	var accepted []*tracked
	var senders sync.WaitGroup
	for range s.opt.Concurrency {
		senders.Go(func() {
			for i := range jobs {
				if tr := s.send(ctx, i, samples[i]); tr != nil {
					mu.Lock()
					accepted = append(accepted, tr)
					mu.Unlock()
				}
			}
		})
	}
	go s.pace(ctx, jobs)
	done := make(chan struct{})
	go func() { senders.Wait(); close(done) }()
	for {
		select {
		case <-done:
			return accepted
		case <-tick:
			s.progress(false)
		}
	}
}

// pace hands the senders the indexes of opt.N contacts at opt.Rate (as fast as they take them when 0), then
// closes jobs; it stops early when ctx ends.
func (s *surge) pace(ctx context.Context, jobs chan<- int) {
	defer close(jobs)
	for i := range s.opt.N {
		if s.opt.Rate > 0 {
			due := s.start.Add(time.Duration(float64(i) / s.opt.Rate * float64(time.Second)))
			if !sleepUntil(ctx, due) {
				return
			}
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			return
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// awaitEmpty polls the intake queue's depth until nothing is visible or in flight, and returns when it first saw that.
func (s *surge) awaitEmpty(ctx context.Context, ctl controlClient, tick <-chan time.Time) (time.Duration, error) {
	released := time.Unix(0, s.releasedAt.Load())
	every := time.NewTicker(100 * time.Millisecond)
	defer every.Stop()
	for {
		st, err := ctl.state(ctx)
		if err != nil {
			return time.Since(released), err
		}
		s.onQueue.Store(int64(st.Intake.Total()))
		if st.Intake.Total() == 0 {
			return time.Since(released), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(released), ctx.Err()
		case <-tick:
			s.progress(false)
		case <-every.C:
		}
	}
}

// verify reads every accepted contact's status (a pending one up to maxAttempts times, 200 ms apart) and tallies
// the settled ones with their time from the release. It returns how many it read and how many settled ones had no time.
func (s *surge) verify(ctx context.Context, accepted []*tracked, millis map[string]float64) (verified, untimed int) {
	work := make(chan *tracked)
	var read, noTime atomic.Int64
	var wg sync.WaitGroup
	for range s.opt.Pollers {
		wg.Go(func() {
			for tr := range work {
				seen := false
				for attempt := 1; attempt <= maxAttempts; attempt++ {
					st, ok := s.status(ctx, tr)
					if ok && !seen {
						seen = true
						read.Add(1)
					}
					if ok && settledStatus(contact.Status(st.Status)) {
						m, timed := millis[tr.id]
						if !timed {
							noTime.Add(1)
						}
						s.tally(tr, st, time.Duration(m*float64(time.Millisecond)), timed)
						break
					}
					if attempt < maxAttempts && !sleepUntil(ctx, time.Now().Add(200*time.Millisecond)) {
						break
					}
				}
			}
		})
	}
	for _, tr := range accepted {
		work <- tr
	}
	close(work)
	wg.Wait()
	return int(read.Load()), int(noTime.Load())
}
