package runner

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"breakwater/shared/local/eventsource"
)

// ControlPrefix starts the paths of the local-only control endpoints. They are served on the local gateway's
// listener next to the API, are no part of the deployed API (topology.Routes never starts with it), and exist so
// that a measurement can hold the responder's event source, fill the intake queue and time its drain.
const ControlPrefix = "/_local/"

// ControlHeader must be present on control POSTs: a browser page cannot send it without a CORS preflight, which
// this server never grants, so no web page can hold the local stack's intake.
const ControlHeader = "X-Breakwater-Local"

// drainer is the part of *eventsource.Mapping the control endpoints use.
type drainer interface {
	Hold()
	Release() time.Time
	Held() bool
	Settled() map[string]time.Time
	Stats() eventsource.Stats
}

// QueueDepth is how many messages a queue holds.
type QueueDepth struct {
	Visible  int `json:"visible"`
	InFlight int `json:"inFlight"`
}

// Total is every message still on the queue: visible and in flight.
func (d QueueDepth) Total() int { return d.Visible + d.InFlight }

// IntakeState is what GET /_local/intake answers.
type IntakeState struct {
	Held        bool       `json:"held"`
	Intake      QueueDepth `json:"intake"`
	DeadLetters QueueDepth `json:"deadLetters"`
	// ReleasedAt is the last release, zero before the first.
	ReleasedAt time.Time `json:"releasedAt,omitzero"`
	// Source counts what the event source did since the stack started: a message retried waits out the queue's
	// visibility timeout (minutes, as deployed) before it is delivered again.
	// The release's answer counts them as they were just before the release.
	Source eventsource.Stats `json:"source"`
}

// Settled is what GET /_local/intake/settled answers: when each contact's message was processed and deleted,
// in milliseconds after ReleasedAt (or after the mapping started, when never released).
type Settled struct {
	ReleasedAt time.Time          `json:"releasedAt,omitzero"`
	Millis     map[string]float64 `json:"millis"`
}

// control serves the endpoints under ControlPrefix.
type control struct {
	source drainer
	depth  func(ctx context.Context) (intake, dead QueueDepth, err error)
	// sign serves POST /_local/sign; nil answers 404.
	sign http.Handler
	log  *slog.Logger

	mu       sync.Mutex
	released time.Time
}

func (c *control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(ControlPrefix, "/"))
	if r.Method == http.MethodPost && r.Header.Get(ControlHeader) == "" {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "control requests need the " + ControlHeader + " header"})
		return
	}
	switch route {
	case "POST /sign":
		if c.sign == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		c.sign.ServeHTTP(w, r)
	case "POST /intake/hold":
		c.source.Hold()
		c.state(w, r)
	case "POST /intake/release":
		before := c.source.Stats() // the counts at the release: pollers start at once
		at := c.source.Release()
		c.mu.Lock()
		c.released = at
		c.mu.Unlock()
		c.stateWith(w, r, before)
	case "GET /intake":
		c.state(w, r)
	case "GET /intake/settled":
		c.mu.Lock()
		from := c.released
		c.mu.Unlock()
		out := Settled{ReleasedAt: from, Millis: map[string]float64{}}
		for id, at := range c.source.Settled() {
			out.Millis[id] = float64(at.Sub(from).Microseconds()) / 1000
		}
		writeJSON(w, http.StatusOK, out)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

func (c *control) state(w http.ResponseWriter, r *http.Request) {
	c.stateWith(w, r, c.source.Stats())
}

func (c *control) stateWith(w http.ResponseWriter, r *http.Request, stats eventsource.Stats) {
	in, dead, err := c.depth(r.Context())
	if err != nil {
		c.log.Error("intake depth not read", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "intake depth not read: " + err.Error()})
		return
	}
	c.mu.Lock()
	st := IntakeState{Held: c.source.Held(), Intake: in, DeadLetters: dead, ReleasedAt: c.released, Source: stats}
	c.mu.Unlock()
	writeJSON(w, http.StatusOK, st)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// withControl serves ControlPrefix paths from ctl and everything else from api.
func withControl(api, ctl http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, ControlPrefix) {
			ctl.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
