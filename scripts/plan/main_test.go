package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*testing.T, plan)
	}{
		{
			name: "defaults are the issue's peak and the stack's defaults",
			args: []string{"-cdk-json", writeCDK(t, `{"app": "x", "context": {}}`)},
			check: func(t *testing.T, p plan) {
				if got, want := p.Sim.Profile.Peak(), 20000.0; got != want {
					t.Errorf("peak = %g, want %g", got, want)
				}
				if got, want := p.Stack.Memory["responder"], 512.0; got != want {
					t.Errorf("responder memory = %g MB, want %g from topology", got, want)
				}
				if got, want := p.Stack.Capacity, topology.DefaultCapacity(); got != want {
					t.Errorf("capacity = %+v, want topology's default %+v", got, want)
				}
				if got, want := p.Sources["maxConcurrency"], "topology default"; got != want {
					t.Errorf("maxConcurrency from %q, want %q", got, want)
				}
			},
		},
		{
			name: "the file overrides the defaults and a flag overrides the file",
			args: []string{"-profile", "testdata/double11.json", "-c", "maxConcurrency=300", "-agents", "urgent=10,high=20,normal=30,low=40"},
			check: func(t *testing.T, p plan) {
				if got, want := p.Name, "Double 11, pre-warmed"; got != want {
					t.Errorf("name = %q, want %q", got, want)
				}
				if got, want := p.Stack.Capacity.WarmWrites, 160000; got != want {
					t.Errorf("warm writes = %d, want %d from the profile's context", got, want)
				}
				if got, want := p.Sources["warmWrites"], "profile"; got != want {
					t.Errorf("warmWrites from %q, want %q", got, want)
				}
				if got, want := p.Stack.Capacity.MaxConcurrency, 300; got != want {
					t.Errorf("max concurrency = %d, want %d from -c", got, want)
				}
				if got, want := p.Sources["maxConcurrency"], "-c"; got != want {
					t.Errorf("maxConcurrency from %q, want %q", got, want)
				}
				if got, want := p.Sim.Agents.Dedicated[priority.Low], 40; got != want {
					t.Errorf("low agents = %d, want %d", got, want)
				}
				if got, want := p.Workload.Tenants.Merchants, 10000; got != want {
					t.Errorf("merchants = %d, want %d from the profile's workload", got, want)
				}
			},
		},
		{
			name: "cdk.json's context is the stack's",
			args: []string{"-cdk-json", writeCDK(t, `{"context": {"maxConcurrency": 150, "apiRateQuota": "20000"}}`)},
			check: func(t *testing.T, p plan) {
				if got := p.Stack.Capacity; got.MaxConcurrency != 150 || got.APIRate != 20000 {
					t.Errorf("capacity = %+v, want maxConcurrency 150 and apiRateQuota 20,000 from cdk.json", got)
				}
				if got, want := p.Sources["apiRateQuota"], "cdk.json"; got != want {
					t.Errorf("apiRateQuota from %q, want %q", got, want)
				}
			},
		},
		{
			name: "points, targets and handle time",
			args: []string{"-points", "0:100, 5:300", "-targets", "urgent=30s", "-aht", "3m"},
			check: func(t *testing.T, p plan) {
				if got, want := p.Sim.Profile.Rate(150), 200.0; got != want {
					t.Errorf("rate at 2.5 min = %g, want %g", got, want)
				}
				if got, want := p.Sim.Targets[priority.Urgent], 30*time.Second; got != want {
					t.Errorf("urgent target = %v, want %v", got, want)
				}
				if got, want := p.Sim.Targets[priority.Low], time.Hour; got != want {
					t.Errorf("low target = %v, want %v (untouched)", got, want)
				}
				if got, want := p.Sim.Agents.HandleSeconds, 180.0; got != want {
					t.Errorf("handle time = %gs, want %gs", got, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parse(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func writeCDK(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cdk.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseRejects(t *testing.T) {
	tests := [][]string{
		{"-mix", "urgent=0.5,high=0.2"},
		{"-mix", "panic=1"},
		{"-points", "0:1,0:2"},
		{"-routine", "1.5"},
		{"-agents", "urgent=x"},
		{"-targets", "low=soon"},
		{"-service-level", "1"},
		{"-profile", "testdata/missing.json"},
		{"-c", "nonsense=1"},
		{"-c", "maxConcurrency=1"},
		{"-c", "maxConcurrency=lots"},
		{"-cdk-json", "testdata/missing-cdk.json"},
		{"extra"},
	}
	for _, args := range tests {
		if _, err := parse(args); err == nil {
			t.Errorf("parse(%q) = nil error, want one", args)
		}
	}
}

func TestRun(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "plan.svg")
	var out bytes.Buffer
	if err := run([]string{"-profile", "testdata/double11.json", "-svg", svg, "-step", "5s", "-v"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Breakwater capacity plan: Double 11, pre-warmed",
		"No limit binds. The tightest: ", // pre-warmed, with the quotas the profile raises
		"Every limit in the path",
		"queue index partition m1 (the biggest merchant)#normal#<shard> writes",
		"Why (the peak's arithmetic)",
		"Pre-peak checklist",
		"Agents to staff: ",
		"Cost per million contacts",
		"CloudWatch Logs",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	f, err := os.Open(svg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	var texts, paths int
	var staff bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("plot is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "text":
				texts++
			case "path":
				paths++
			}
		case xml.CharData:
			staff = staff || strings.HasPrefix(string(tok), "Staff ")
		}
	}
	if texts < 30 || paths < 9 {
		t.Fatalf("plot has %d texts and %d paths, want axes, labels, a legend and every series", texts, paths)
	}
	if !staff {
		t.Error("plot does not say how many agents to staff")
	}
}

// TestCheck: a quiet day passes with the stack's defaults; the same day fails, naming the setting, once a setting
// is lowered below what it needs, from -c or from cdk.json.
func TestCheck(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-profile", "testdata/quiet.json", "-svg", "", "-step", "30s", "-check", "-cdk-json", writeCDK(t, `{"context": {}}`)}, &out); err != nil {
		t.Fatalf("a quiet day with the defaults: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Pre-peak check: PASS") {
		t.Errorf("no PASS in the report:\n%s", out.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-c", "apiRateQuota=400", "-c", "apiBurstQuota=200"}, "apiRateQuota"},
		// The agents' re-reads of held conversations (every 60 s with the push) bind first at this quota.
		{[]string{"-cdk-json", writeCDK(t, `{"context": {"apiRateQuota": 300, "apiBurstQuota": 150}}`)}, "route GET /agent/contacts/{id}"},
		// A socket per hand-off (5% of 60 messages a second: 3.0) and the agents' reconnects (800 every 2 h: 0.1) on a quiet day.
		{[]string{"-c", "wsConnectQuota=2"}, "WebSocket new connections (account quota): the peak needs 3.1 connections/s"},
		{[]string{"-c", "wsConnectQuota=2"}, "context wsConnectQuota"},
	} {
		out.Reset()
		args := append([]string{"-profile", "testdata/quiet.json", "-svg", "", "-step", "30s", "-check"}, tc.args...)
		err := run(args, &out)
		if !errors.Is(err, errCheckFailed) {
			t.Errorf("run(%q) = %v, want the check to fail", args, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(out.String(), "Pre-peak check: FAIL") {
			t.Errorf("run(%q) = %v, want a failure naming %s", args, err, tc.want)
		}
	}
}

func TestJSON(t *testing.T) {
	var out bytes.Buffer
	// Double 11 on an account whose HTTP API quota was not raised: the agents' overview route binds first.
	if err := run([]string{"-profile", "testdata/double11.json", "-svg", "", "-step", "5s", "-json", "-c", "apiRateQuota=10000", "-c", "apiBurstQuota=5000"}, &out); err != nil {
		t.Fatal(err)
	}
	var j jsonPlan
	if err := json.Unmarshal(out.Bytes(), &j); err != nil {
		t.Fatalf("-json is not JSON: %v\n%s", err, out.String())
	}
	if j.Binding == nil || len(j.Limits) < 10 || !j.Binding.Severity.Fails() {
		t.Errorf("binding %v, %d limits: want the first limit that fails contacts", j.Binding, len(j.Limits))
	}
	if j.Cost.PerMillion <= 0 || len(j.Cost.Lines) != 8 || j.Cost.Logs.PerMillion <= 0 {
		t.Errorf("cost = %+v, want eight lines, a total and logs apart", j.Cost)
	}
	if got := j.Cost.RequestsPerContact["PUT /contacts/{id}/push"]; got < 0.04 || got > 0.08 {
		t.Errorf("registrations per contact = %g, want one per hand-off (5%% of 1.2 messages a contact)", got)
	}
	if got := j.Cost.WSMessagesPerContact["pokes to shoppers"]; got <= 0 || !j.Push.On || j.Peak.Push.Connects <= 0 {
		t.Errorf("pokes to shoppers per contact = %g, push %+v, peak %+v: want the push modelled", got, j.Push, j.Peak.Push)
	}
	if j.Staffing.Recommended <= 0 || len(j.Checklist.Prewarm) == 0 || j.Settings["warmWrites"].Source != "profile" {
		t.Errorf("staffing %+v, checklist %+v, settings %+v", j.Staffing, j.Checklist, j.Settings)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{count(1234567), "1,234,567"},
		{count(999), "999"},
		{count(2.5), "2.5"},
		{duration(0), "0s"},
		{duration(45), "45s"},
		{duration(245), "4m05s"},
		{duration(7380), "2h03m"},
		{clock(3725), "1:02:05"},
		{short(1500), "1.5k"},
		{short(2e6), "2M"},
		{short(250), "250"},
		{money(349.04), "349.04"},
		{money(1.999), "2.00"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
