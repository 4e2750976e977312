package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/triage"
)

// fakeAPI imitates POST /contacts and GET /contacts/{id}: a contact settles on its settleAfter-th poll, answered
// unless its text carries a hand-off cue; pendingForever contacts never settle.
type fakeAPI struct {
	settleAfter    int
	pendingForever func(n int) bool // by order of acceptance
	failFirst      func(n int) bool // by order of POSTs: answer 503 once

	mu       sync.Mutex
	posts    int
	accepted int
	contacts map[string]*fakeContact
	keys     map[string]string // idempotency key -> id
	order    []string          // ids by acceptance

	// The local control endpoints: while held nothing settles; a release settles every contact at once, 2 ms apart.
	held, released bool
	holds          int
	settledMs      map[string]float64
}

type fakeContact struct {
	token   string
	polls   int
	status  string
	queueTo string
	forever bool
	onQueue bool // accepted while the fake's responder was held
}

func newFakeAPI(t *testing.T, f *fakeAPI) *httptest.Server {
	f.contacts, f.keys = map[string]*fakeContact{}, map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return srv
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/_local/"):
		f.control(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/contacts":
		f.posts++
		if f.failFirst != nil && f.failFirst(f.posts) {
			http.Error(w, `{"error":{"code":"unavailable"}}`, http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, err := contact.Decode(body)
		var c contact.Contact
		if err == nil {
			c, err = contact.New(req, time.Now())
		}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"code":"invalid_field","message":%q}}`, err.Error())
			return
		}
		key := r.Header.Get("Idempotency-Key")
		id, seen := f.keys[key]
		if !seen || key == "" {
			f.accepted++
			id = fmt.Sprintf("c_%06d", f.accepted)
			fc := &fakeContact{token: "tok-" + id, status: "answered"}
			if sig := triage.Inspect(c.Text, c.Locale); len(sig.Reasons) > 0 {
				fc.status, fc.queueTo = "queued", "high"
			}
			if f.pendingForever != nil && f.pendingForever(f.accepted) {
				fc.forever = true
			}
			f.contacts[id] = fc
			f.keys[key] = id
			f.order = append(f.order, id)
			fc.onQueue = f.held
		}
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]string{"id": id, "status": "pending", "token": f.contacts[id].token})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/contacts/"):
		id := strings.TrimPrefix(r.URL.Path, "/contacts/")
		c, ok := f.contacts[id]
		if !ok || r.Header.Get("X-Contact-Token") != c.token {
			http.Error(w, `{"error":{"code":"not_found"}}`, http.StatusNotFound)
			return
		}
		c.polls++
		st := map[string]any{"id": id, "status": "pending"}
		if !c.forever && c.polls >= f.settleAfter && !f.held {
			st["status"] = c.status
			if c.queueTo != "" {
				st["queue"] = map[string]any{"priority": c.queueTo, "position": 3}
			}
		}
		json.NewEncoder(w).Encode(st)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) control(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.Header.Get("X-Breakwater-Local") == "" {
		http.Error(w, `{"message":"header"}`, http.StatusForbidden)
		return
	}
	onQueue, dead := 0, 0
	for _, id := range f.order {
		switch c := f.contacts[id]; {
		case c.onQueue:
			onQueue++
		case f.released && c.forever:
			dead++
		}
	}
	state := func() {
		json.NewEncoder(w).Encode(map[string]any{"held": f.held, "intake": map[string]int{"visible": onQueue},
			"deadLetters": map[string]int{"visible": dead}, "source": map[string]int{"invocations": len(f.settledMs), "retried": dead, "unextended": len(f.settledMs) / 100}})
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /_local/intake":
		state()
	case "POST /_local/intake/hold":
		f.held = true
		f.holds++
		state()
	case "POST /_local/intake/release": // answers the state at the release, then drains at once
		f.held, f.released = false, true
		state()
		f.settledMs = map[string]float64{}
		for i, id := range f.order {
			if c := f.contacts[id]; c.onQueue {
				c.onQueue = false
				if !c.forever {
					f.settledMs[id] = float64(2 * (i + 1))
				}
			}
		}
	case "GET /_local/intake/settled":
		json.NewEncoder(w).Encode(map[string]any{"releasedAt": time.Now(), "millis": f.settledMs})
	default:
		http.NotFound(w, r)
	}
}

func testOptions(url string, n int) Options {
	return Options{
		URL: url, N: n, Concurrency: 8, Pollers: 8, PollInterval: time.Millisecond, Timeout: 20 * time.Second,
		Seed: 5, Idempotency: true, Mix: DefaultMix(),
	}
}

func TestRunSettlesEveryContact(t *testing.T) {
	f := &fakeAPI{settleAfter: 3, failFirst: func(n int) bool { return n%10 == 0 }}
	srv := newFakeAPI(t, f)
	res, err := Run(context.Background(), testOptions(srv.URL, 400))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Accepted, 400; got != want {
		t.Fatalf("accepted = %d, want %d (errors %v)", got, want, res.HTTPErrors)
	}
	if got, want := f.accepted, 400; got != want {
		t.Fatalf("server made %d contacts, want %d: a retry duplicated one", got, want)
	}
	if got, want := res.Lost, 0; got != want {
		t.Fatalf("lost = %d, want %d", got, want)
	}
	queued := 0
	for _, k := range res.Queued {
		queued += k
	}
	if got, want := res.Answered+queued, 400; got != want {
		t.Fatalf("answered %d + queued %d = %d, want %d", res.Answered, queued, got, want)
	}
	if res.Answered < 300 || queued < 20 {
		t.Fatalf("answered %d, queued %d: want mostly answered and some queued", res.Answered, queued)
	}
	if got, want := res.Retries, res.HTTPErrors["POST 503"]; got != want || got == 0 {
		t.Fatalf("retries = %d, 503s = %d: want every 503 retried", got, want)
	}
	if got, want := res.Polls, 3*400; got < want {
		t.Fatalf("polls = %d, want at least %d", got, want)
	}
	if res.SettleMillis.P50 <= 0 || res.SettleMillis.P99 < res.SettleMillis.P50 || res.SettleMillis.Max < res.SettleMillis.P99 {
		t.Fatalf("settle percentiles %+v are not ordered", res.SettleMillis)
	}
	if res.AnswerMillis.P50 <= 0 || res.AnswerMillis.Max > res.SettleMillis.Max {
		t.Fatalf("answer percentiles %+v against settle %+v", res.AnswerMillis, res.SettleMillis)
	}
	if res.AcceptedPerSec <= 0 || res.SettledPerSec <= 0 {
		t.Fatalf("throughput accepted %g/s, settled %g/s", res.AcceptedPerSec, res.SettledPerSec)
	}
	if got := res.Outcomes[Routine]["answered"]; got < 300 {
		t.Fatalf("routine answered = %d, want most of them", got)
	}
}

func TestRunCountsLostContacts(t *testing.T) {
	f := &fakeAPI{settleAfter: 1, pendingForever: func(n int) bool { return n%25 == 0 }}
	srv := newFakeAPI(t, f)
	// The timeout is what is under test: long enough for the other 48 to settle many times over, even under -race.
	opt := testOptions(srv.URL, 50)
	opt.Timeout = 1500 * time.Millisecond
	opt.PollInterval = 20 * time.Millisecond
	res, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Lost, 2; got != want {
		t.Fatalf("lost = %d, want %d", got, want)
	}
	if got, want := res.Settled, 48; got != want {
		t.Fatalf("settled = %d, want %d", got, want)
	}
	if !res.TimedOut {
		t.Fatalf("timed out = false, want true")
	}
}

func TestRunDoesNotRetryBadRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"code":"invalid_field","field":"text"}}`, http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	res, err := Run(context.Background(), testOptions(srv.URL, 20))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.HTTPErrors["POST 400"], 20; got != want {
		t.Fatalf("POST 400 = %d, want %d", got, want)
	}
	if got, want := res.Retries, 0; got != want {
		t.Fatalf("retries = %d, want %d", got, want)
	}
	if got, want := res.NotAccepted, 20; got != want {
		t.Fatalf("not accepted = %d, want %d", got, want)
	}
}

func TestCommand(t *testing.T) {
	f := &fakeAPI{settleAfter: 2}
	srv := newFakeAPI(t, f)
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"text", []string{"-n", "50", "-rate", "5000", "-poll-interval", "1ms"}, 0, []string{"accepted           50", "lost                0", "time to settle", "outcome by what was sent"}},
		{"json", []string{"-n", "30", "-json", "-poll-interval", "1ms"}, 0, []string{`"accepted": 30`, `"lost": 0`, `"settleMillis"`}},
		{"drain", []string{"-n", "40", "-drain", "-seed", "9"}, 0, []string{"accepted           40", "drained            40", "lost                0", "FROM THE RELEASE"}},
		{"bad url", []string{"-url", "ftp://x"}, 2, nil},
		{"help", []string{"-h"}, 0, nil},
		{"too many", []string{"-n", "2000000"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"-url", srv.URL}, tt.args...)
			code, err := run(context.Background(), args, &stdout, &stderr)
			if got, want := code, tt.code; got != want {
				t.Fatalf("exit code = %d, want %d (err %v)\n%s", got, want, err, stdout.String())
			}
			for _, want := range tt.contains {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, stdout.String())
				}
			}
			if tt.code == 0 && tt.contains != nil && !strings.Contains(stderr.String(), "\r[") {
				t.Errorf("no progress line on stderr: %q", stderr.String())
			}
		})
	}
}

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(ds)
	want := Percentiles{P50: 50, P95: 95, P99: 99, Max: 100}
	if got != want {
		t.Fatalf("percentiles = %+v, want %+v", got, want)
	}
}

func TestDrainStats(t *testing.T) {
	tests := []struct {
		name    string
		settled map[string]float64
		want    DrainResult
	}{
		{"none", nil, DrainResult{QueueEmptySeconds: 1}},
		{"rate from the last deletion", map[string]float64{"a": 250, "b": 1000, "c": 2000, "d": 500},
			DrainResult{Drained: 4, DrainSeconds: 2, DrainedPerSec: 2, Seconds99: 2, PerSec99: 2, QueueEmptySeconds: 1}},
		{"one at once", map[string]float64{"a": 0}, DrainResult{Drained: 1, QueueEmptySeconds: 1}},
		{"a straggler stretches the drain, not the 99%", stragglers(200, 2, 180_000),
			DrainResult{Drained: 200, DrainSeconds: 180, DrainedPerSec: 200.0 / 180, Seconds99: 0.198, PerSec99: 1000, QueueEmptySeconds: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := drainStats(tt.settled, time.Second); got != tt.want {
				t.Fatalf("drainStats = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// stragglers settles n contacts 1 ms apart, except the last late ones, which settle at ms.
func stragglers(n, late int, ms float64) map[string]float64 {
	out := map[string]float64{}
	for i := range n {
		out[fmt.Sprint(i)] = float64(i + 1)
		if i >= n-late {
			out[fmt.Sprint(i)] = ms
		}
	}
	return out
}

func TestRunDrain(t *testing.T) {
	tests := []struct {
		name    string
		forever func(n int) bool
		lost    int
	}{
		{"every contact settles", nil, 0},
		{"dead letters are lost", func(n int) bool { return n%50 == 0 }, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{settleAfter: 1, pendingForever: tt.forever}
			srv := newFakeAPI(t, f)
			res, err := RunDrain(context.Background(), testOptions(srv.URL, 200))
			if err != nil {
				t.Fatal(err)
			}
			d := res.Drain
			if got, want := res.Mode, ModeDrain; got != want {
				t.Fatalf("mode = %q, want %q", got, want)
			}
			if got, want := f.holds, 1; got != want {
				t.Fatalf("holds = %d, want %d", got, want)
			}
			if got, want := res.Accepted, 200; got != want {
				t.Fatalf("accepted = %d, want %d", got, want)
			}
			if got, want := res.Lost, tt.lost; got != want {
				t.Fatalf("lost = %d, want %d", got, want)
			}
			if got, want := d.DeadLetters, tt.lost; got != want {
				t.Fatalf("dead letters = %d, want %d", got, want)
			}
			if got, want := d.Drained, 200-tt.lost; got != want {
				t.Fatalf("drained = %d, want %d", got, want)
			}
			last := 0.0 // the fake settles the i-th contact 2i ms after the release
			for _, ms := range f.settledMs {
				last = max(last, ms)
			}
			if got, want := d.DrainSeconds, last/1000; got != want {
				t.Fatalf("drain seconds = %g, want %g", got, want)
			}
			if got, want := d.Retried, int64(tt.lost); got != want {
				t.Fatalf("retried = %d, want %d", got, want)
			}
			if got, want := d.Verified, 200; got != want {
				t.Fatalf("verified = %d, want %d", got, want)
			}
			if got, want := d.Unread, 0; got != want {
				t.Fatalf("unread = %d, want %d", got, want)
			}
			if got, want := d.Unextended, int64(len(f.settledMs)/100); got != want { // the fake counts one per 100 settled
				t.Fatalf("unextended = %d, want %d", got, want)
			}
			if res.SettleMillis.P50 <= 0 || res.SettleMillis.Max > 400 || res.AnswerMillis.Max > res.SettleMillis.Max {
				t.Fatalf("settle times %+v, answer %+v: want them from the release, at most 400 ms", res.SettleMillis, res.AnswerMillis)
			}
		})
	}
}

func TestRunDrainNeedsTheLocalStack(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	_, err := RunDrain(context.Background(), testOptions(srv.URL, 10))
	if !errors.Is(err, errNotLocal) {
		t.Fatalf("err = %v, want errNotLocal", err)
	}
}

// A check that ran out of time says how many contacts it did not read, so they are not mistaken for lost ones; and
// messages the event source could not hide past its claim are named (each case has as many of both).
func TestDrainReportSaysWhatWasNotRead(t *testing.T) {
	tests := []struct {
		name   string
		unread int
		want   bool
	}{
		{"all read", 0, false},
		{"check ran out of time", 9455, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			printResult(&b, Options{Timeout: time.Minute}, Result{N: 50000, Accepted: 50000, Settled: 50000 - tt.unread, Lost: tt.unread,
				Drain: &DrainResult{Verified: 50000 - tt.unread, Unread: tt.unread, Unextended: int64(tt.unread)}})
			if got := strings.Contains(b.String(), fmt.Sprintf("not read         %d", tt.unread)); got != tt.want {
				t.Fatalf("report mentions %d not read = %v, want %v:\n%s", tt.unread, got, tt.want, b.String())
			}
			if got := strings.Contains(b.String(), fmt.Sprintf("unextended       %d", tt.unread)); got != tt.want {
				t.Fatalf("report mentions %d unextended = %v, want %v:\n%s", tt.unread, got, tt.want, b.String())
			}
		})
	}
}
