package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/priority"
)

// Options bound a surge by count and by time.
type Options struct {
	URL         string
	N           int
	Rate        float64 // contacts a second; 0 sends as fast as the senders can
	Concurrency int     // senders
	Pollers     int     // concurrent status polls
	// PollInterval is the least time between two polls of one contact.
	PollInterval time.Duration
	Timeout      time.Duration
	Seed         uint64
	Idempotency  bool // send an Idempotency-Key, so a retried POST cannot make a second contact
	Mix          Mix
	Progress     io.Writer // the progress line goes here; nil for none
	Client       *http.Client
}

// maxAttempts bounds the POSTs per contact: a 429, a 5xx or a broken connection is retried with the same key.
const maxAttempts = 4

// Modes of a surge.
const (
	// ModeConcurrent sends and settles at once: status polls run while contacts are still being sent.
	ModeConcurrent = "concurrent"
	// ModeDrain holds the local stack's responder, fills the intake queue, then times the responder emptying it.
	ModeDrain = "drain"
)

// Result is what a surge saw.
type Result struct {
	Mode        string         `json:"mode"`
	URL         string         `json:"url"`
	N           int            `json:"n"`
	Sent        int            `json:"sent"`
	Accepted    int            `json:"accepted"`
	Settled     int            `json:"settled"`
	Statuses    map[string]int `json:"statuses"`
	Queued      map[string]int `json:"queuedByPriority"`
	Answered    int            `json:"answered"`
	Rejected    int            `json:"rejected"`
	Lost        int            `json:"lost"`
	NotAccepted int            `json:"notAccepted"`
	HTTPErrors  map[string]int `json:"httpErrors"`
	Retries     int            `json:"retries"`
	Polls       int            `json:"polls"`
	// Outcomes counts statuses by what each contact was generated to be.
	Outcomes       map[Kind]map[string]int `json:"outcomes"`
	SendSeconds    float64                 `json:"sendSeconds"`
	SettleSeconds  float64                 `json:"settleSeconds"`
	AcceptedPerSec float64                 `json:"acceptedPerSecond"`
	SettledPerSec  float64                 `json:"settledPerSecond"`
	SettleMillis   Percentiles             `json:"settleMillis"`
	AnswerMillis   Percentiles             `json:"answerMillis"` // answered contacts only
	// PollGapMillis is the time between the last poll that saw a contact pending and the one that saw it settled:
	// the resolution of SettleMillis.
	PollGapMillis  Percentiles `json:"pollGapMillis"`
	PollIntervalMS float64     `json:"pollIntervalMillis"`
	TimedOut       bool        `json:"timedOut"`
	// Drain is set in drain mode only.
	Drain *DrainResult `json:"drain,omitempty"`
}

// Percentiles summarise a set of durations in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(q*float64(len(ds))+0.5) - 1
		return ms(ds[max(0, min(len(ds)-1, i))])
	}
	return Percentiles{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(ds[len(ds)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// settledStatus reports whether a contact is past the responder: answered, queued for a person, or further.
func settledStatus(s contact.Status) bool {
	switch s {
	case contact.Answered, contact.Queued, contact.Claimed, contact.Resolved, contact.Rejected:
		return true
	}
	return false
}

// tracked is one accepted contact on its way to settling.
type tracked struct {
	id, token string
	kind      Kind
	accepted  time.Time
	lastPoll  time.Time // when a poll last saw it pending
	next      time.Time // not polled again before this
}

// surge holds the counters the senders, pollers and progress line share.
type surge struct {
	opt      Options
	base     string
	start    time.Time
	sent     atomic.Int64
	accepted atomic.Int64
	settled  atomic.Int64
	// releasedAt (Unix ns) and onQueue are set in drain mode once the responder is released.
	releasedAt atomic.Int64
	onQueue    atomic.Int64

	mu         sync.Mutex
	res        Result
	settle     []time.Duration
	answer     []time.Duration
	gaps       []time.Duration
	lastAccept time.Time
	lastSettle time.Time
}

// newSurge checks opt and prepares the shared state of a run in mode.
func newSurge(opt Options, mode string) (*surge, error) {
	u, err := url.Parse(opt.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("surge: url %q is not an http(s) URL", opt.URL)
	}
	if opt.N < 1 || opt.Concurrency < 1 || opt.Pollers < 1 || opt.Timeout <= 0 || opt.Rate < 0 {
		return nil, errors.New("surge: n, concurrency, pollers and timeout must be positive and rate not negative")
	}
	if opt.Client == nil {
		opt.Client = &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns: opt.Concurrency + opt.Pollers, MaxIdleConnsPerHost: opt.Concurrency + opt.Pollers,
				IdleConnTimeout: 30 * time.Second,
			},
		}
	}
	return &surge{
		opt:  opt,
		base: strings.TrimRight(opt.URL, "/"),
		res: Result{
			Mode: mode, URL: opt.URL, N: opt.N, Statuses: map[string]int{}, Queued: map[string]int{}, HTTPErrors: map[string]int{},
			Outcomes: map[Kind]map[string]int{}, PollIntervalMS: ms(opt.PollInterval),
		},
	}, nil
}

// samples generates every contact up front, so senders only send and the generator needs no lock.
func samples(opt Options) []Sample {
	gen := NewGenerator(opt.Seed, opt.N, opt.Mix)
	out := make([]Sample, opt.N)
	for i := range out {
		out[i] = gen.Next()
	}
	return out
}

// Run sends opt.N contacts, waits for each accepted one to settle or for the timeout, and reports.
func Run(ctx context.Context, opt Options) (Result, error) {
	s, err := newSurge(opt, ModeConcurrent)
	if err != nil {
		return Result{}, err
	}
	opt = s.opt
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()

	samples := samples(opt)
	s.start = time.Now()

	jobs := make(chan int)
	pending := make(chan *tracked, opt.N)
	var outstanding sync.WaitGroup
	var senders, pollers sync.WaitGroup

	go s.pace(ctx, jobs)
	for range opt.Concurrency {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range jobs {
				if tr := s.send(ctx, i, samples[i]); tr != nil {
					outstanding.Add(1)
					pending <- tr
				}
			}
		}()
	}
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	for range opt.Pollers {
		pollers.Add(1)
		go func() {
			defer pollers.Done()
			s.poll(pollCtx, pending, &outstanding)
		}()
	}
	done := make(chan struct{})
	go func() {
		senders.Wait()
		outstanding.Wait()
		close(done)
	}()

	var tick <-chan time.Time
	if opt.Progress != nil {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		tick = t.C
	}
wait:
	for {
		select {
		case <-done:
			break wait
		case <-ctx.Done():
			break wait
		case <-tick:
			s.progress(false)
		}
	}
	stopPolling()
	senders.Wait()
	pollers.Wait()
	if opt.Progress != nil {
		s.progress(true)
	}
	return s.result(ctx.Err() != nil), nil
}

// send POSTs one contact, retrying throttling and server errors with the same idempotency key.
func (s *surge) send(ctx context.Context, i int, smp Sample) *tracked {
	s.sent.Add(1)
	key := fmt.Sprintf("surge-%d-%d", s.opt.Seed, i)
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/contacts", bytes.NewReader(smp.Body))
		if err != nil {
			s.httpError("POST build")
			return nil
		}
		req.Header.Set("Content-Type", "application/json")
		if s.opt.Idempotency {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := s.opt.Client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.httpError("POST transport")
		} else {
			var body struct {
				ID    string `json:"id"`
				Token string `json:"token"`
			}
			derr := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusAccepted && derr == nil && body.ID != "" && body.Token != "":
				now := time.Now()
				s.accepted.Add(1)
				s.mu.Lock()
				s.lastAccept = now
				s.mu.Unlock()
				return &tracked{id: body.ID, token: body.Token, kind: smp.Kind, accepted: now, lastPoll: now, next: now}
			case resp.StatusCode == http.StatusAccepted:
				s.httpError("POST 202 without id and token")
				return nil
			case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
				s.httpError("POST " + strconv.Itoa(resp.StatusCode))
			default: // a 4xx other than 429 will not change on retry
				s.httpError("POST " + strconv.Itoa(resp.StatusCode))
				return nil
			}
		}
		if attempt == maxAttempts {
			return nil
		}
		s.mu.Lock()
		s.res.Retries++
		s.mu.Unlock()
		t := time.NewTimer(time.Duration(attempt) * 200 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
	return nil
}

// poll takes contacts round-robin: the one at the head was polled longest ago, so waiting for it is never wasted.
func (s *surge) poll(ctx context.Context, pending chan *tracked, outstanding *sync.WaitGroup) {
	for {
		var tr *tracked
		select {
		case <-ctx.Done():
			return
		case tr = <-pending:
		}
		if d := time.Until(tr.next); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				pending <- tr
				return
			case <-t.C:
			}
		}
		sentAt := time.Now()
		st, ok := s.status(ctx, tr)
		now := time.Now()
		if ok && settledStatus(contact.Status(st.Status)) {
			s.mu.Lock()
			s.gaps = append(s.gaps, now.Sub(tr.lastPoll))
			s.lastSettle = now
			s.mu.Unlock()
			s.tally(tr, st, now.Sub(tr.accepted), true)
			outstanding.Done()
			continue
		}
		if ok {
			tr.lastPoll = sentAt // it was still pending at some moment after this
		}
		tr.next = now.Add(s.opt.PollInterval)
		pending <- tr // never blocks: the channel holds every contact
	}
}

// tally counts a settled contact; timed says whether settle (its time to settle) is known.
func (s *surge) tally(tr *tracked, st statusBody, settle time.Duration, timed bool) {
	s.settled.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if timed {
		s.settle = append(s.settle, settle)
		if st.Status == string(contact.Answered) {
			s.answer = append(s.answer, settle)
		}
	}
	s.res.Statuses[st.Status]++
	if st.Status == string(contact.Queued) || st.Status == string(contact.Claimed) {
		p := "unknown"
		if st.Queue != nil && st.Queue.Priority != priority.None {
			p = st.Queue.Priority.String()
		}
		s.res.Queued[p]++
	}
	if s.res.Outcomes[tr.kind] == nil {
		s.res.Outcomes[tr.kind] = map[string]int{}
	}
	s.res.Outcomes[tr.kind][st.Status]++
}

type statusBody struct {
	Status string         `json:"status"`
	Queue  *contact.Place `json:"queue"`
}

func (s *surge) status(ctx context.Context, tr *tracked) (statusBody, bool) {
	var st statusBody
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/contacts/"+url.PathEscape(tr.id), nil)
	if err != nil {
		s.httpError("GET build")
		return st, false
	}
	req.Header.Set("X-Contact-Token", tr.token)
	s.mu.Lock()
	s.res.Polls++
	s.mu.Unlock()
	resp, err := s.opt.Client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			s.httpError("GET transport")
		}
		return st, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		s.httpError("GET " + strconv.Itoa(resp.StatusCode))
		return st, false
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		s.httpError("GET bad body")
		return st, false
	}
	return st, true
}

func (s *surge) httpError(what string) {
	s.mu.Lock()
	s.res.HTTPErrors[what]++
	s.mu.Unlock()
}

func (s *surge) progress(final bool) {
	const width = 30
	n, sent, acc, set := s.opt.N, s.sent.Load(), s.accepted.Load(), s.settled.Load()
	el := time.Since(s.start).Seconds()
	var line string
	if rel := s.releasedAt.Load(); rel != 0 { // drain mode, after the release
		left := s.onQueue.Load()
		since := time.Since(time.Unix(0, rel)).Seconds()
		gone := max(0, acc-left)
		line = fmt.Sprintf("\r[%s] draining: %d of %d off the queue, %d left  %.0f drained/s  %.1fs since release ",
			bar(width, gone, acc), gone, acc, left, float64(gone)/max(since, 1e-3), since)
	} else if s.res.Mode == ModeDrain {
		line = fmt.Sprintf("\r[%s] filling the held queue: sent %d/%d  accepted %d  %.0f accepted/s  %.1fs ",
			bar(width, sent, int64(n)), sent, n, acc, float64(acc)/max(el, 1e-3), el)
	} else {
		line = fmt.Sprintf("\r[%s] sent %d/%d  accepted %d  settled %d  %.0f accepted/s  %.0f settled/s  %.1fs ",
			bar(width, set, int64(n)), sent, n, acc, set, float64(acc)/max(el, 1e-3), float64(set)/max(el, 1e-3), el)
	}
	if final {
		line += "\n"
	}
	io.WriteString(s.opt.Progress, line)
}

// bar is a progress bar of width characters, done of total filled.
func bar(width int, done, total int64) string {
	filled := 0
	if total > 0 {
		filled = int(float64(width) * float64(min(done, total)) / float64(total))
	}
	return strings.Repeat("#", filled) + strings.Repeat("-", width-filled)
}

func (s *surge) result(timedOut bool) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res
	r.Sent, r.Accepted, r.Settled = int(s.sent.Load()), int(s.accepted.Load()), int(s.settled.Load())
	r.Answered, r.Rejected = r.Statuses[string(contact.Answered)], r.Statuses[string(contact.Rejected)]
	r.Lost = r.Accepted - r.Settled
	r.NotAccepted = r.N - r.Accepted
	r.TimedOut = timedOut
	if r.Accepted > 0 {
		r.SendSeconds = s.lastAccept.Sub(s.start).Seconds()
		r.AcceptedPerSec = float64(r.Accepted) / max(r.SendSeconds, 1e-3)
	}
	if r.Settled > 0 {
		r.SettleSeconds = s.lastSettle.Sub(s.start).Seconds()
		r.SettledPerSec = float64(r.Settled) / max(r.SettleSeconds, 1e-3)
	}
	r.SettleMillis = percentiles(s.settle)
	r.AnswerMillis = percentiles(s.answer)
	r.PollGapMillis = percentiles(s.gaps)
	return r
}
