package runner

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"breakwater/shared/local/eventsource"
	"breakwater/shared/topology"
)

// source stands in for the event source mapping: the endpoints only flip its state and read its record.
type source struct {
	held     bool
	released time.Time
	settled  map[string]time.Time
}

func (s *source) Hold()                         { s.held = true }
func (s *source) Release() time.Time            { s.held = false; return s.released }
func (s *source) Held() bool                    { return s.held }
func (s *source) Settled() map[string]time.Time { return s.settled }
func (s *source) Stats() eventsource.Stats      { return eventsource.Stats{Invocations: 12, Retried: 3} }

func TestControlEndpoints(t *testing.T) {
	rel := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		method   string
		path     string
		header   bool
		depthErr error
		status   int
		contains string
		held     bool
	}{
		{"state", "GET", "/_local/intake", false, nil, 200, `"intake":{"visible":7,"inFlight":3}`, false},
		{"hold", "POST", "/_local/intake/hold", true, nil, 200, `"held":true`, true},
		{"event source counts", "GET", "/_local/intake", false, nil, 200, `"invocations":12,"failedInvocations":0,"deleted":0,"retried":3`, false},
		{"hold without the header", "POST", "/_local/intake/hold", false, nil, 403, ControlHeader, false},
		{"release", "POST", "/_local/intake/release", true, nil, 200, `"releasedAt":"2026-11-11T00:00:00Z"`, false},
		{"settled times after the release", "GET", "/_local/intake/settled", false, nil, 200, `"c_1":1500`, false},
		{"depth unreadable", "GET", "/_local/intake", false, errors.New("fauxqs down"), 503, "fauxqs down", false},
		{"unknown", "GET", "/_local/nothing", false, nil, 404, "Not Found", false},
		{"API route still served", "GET", "/contacts/x", false, nil, 200, "api", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &source{released: rel, settled: map[string]time.Time{"c_1": rel.Add(1500 * time.Millisecond)}}
			ctl := &control{source: src, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				depth: func(context.Context) (QueueDepth, QueueDepth, error) {
					return QueueDepth{Visible: 7, InFlight: 3}, QueueDepth{}, tt.depthErr
				}}
			if tt.path == "/_local/intake/settled" {
				ctl.released = rel
			}
			api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") })
			srv := httptest.NewServer(withControl(api, ctl))
			defer srv.Close()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if tt.header {
				req.Header.Set(ControlHeader, "test")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if got, want := resp.StatusCode, tt.status; got != want {
				t.Fatalf("status = %d, want %d: %s", got, want, body)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Fatalf("body %s lacks %s", body, tt.contains)
			}
			if got, want := src.held, tt.held; got != want {
				t.Fatalf("held = %v, want %v", got, want)
			}
		})
	}
}

func TestNoAPIRouteUnderTheControlPrefix(t *testing.T) {
	for _, r := range topology.Routes {
		if strings.HasPrefix(r.Path, ControlPrefix) {
			t.Errorf("route %s %s is under %s, which the local gateway keeps for its control endpoints", r.Method, r.Path, ControlPrefix)
		}
	}
}

func TestQueueDepthTotal(t *testing.T) {
	var st IntakeState
	if err := json.Unmarshal([]byte(`{"held":true,"intake":{"visible":4,"inFlight":6}}`), &st); err != nil {
		t.Fatal(err)
	}
	if got, want := st.Intake.Total(), 10; got != want {
		t.Fatalf("total = %d, want %d", got, want)
	}
}
