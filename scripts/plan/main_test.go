package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/shared/priority"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*testing.T, plan)
	}{
		{
			name: "defaults are the issue's peak",
			args: nil,
			check: func(t *testing.T, p plan) {
				if got, want := p.Sim.Profile.Peak(), 20000.0; got != want {
					t.Errorf("peak = %g, want %g", got, want)
				}
				if got, want := p.Sim.Profile.End(), 50*60.0; got != want {
					t.Errorf("end = %gs, want %gs", got, want)
				}
				if got, want := p.Calls.ResponderMB, 512.0; got != want {
					t.Errorf("responder memory = %g MB, want %g from topology", got, want)
				}
			},
		},
		{
			name: "the file overrides the defaults and a flag overrides the file",
			args: []string{"-profile", "testdata/double11.json", "-max-concurrency", "1000", "-agents", "urgent=10,high=20,normal=30,low=40"},
			check: func(t *testing.T, p plan) {
				if got, want := p.Name, "Double 11, pre-warmed"; got != want {
					t.Errorf("name = %q, want %q", got, want)
				}
				if got, want := p.Sim.Dynamo.StartWRU, 90000.0; got != want {
					t.Errorf("table WRU = %g, want %g from the file", got, want)
				}
				if got, want := p.Sim.Lambda.MaxConcurrency, 1000; got != want {
					t.Errorf("max concurrency = %d, want %d from the flag", got, want)
				}
				if got, want := p.Sim.Agents.Dedicated[priority.Low], 40; got != want {
					t.Errorf("low agents = %d, want %d", got, want)
				}
			},
		},
		{
			name: "points, targets and prewarm",
			args: []string{"-points", "0:100, 5:300", "-targets", "urgent=30s", "-prewarm", "50000", "-aht", "3m"},
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
				if got, want := p.Sim.Dynamo.StartWRU, 50000.0; got != want {
					t.Errorf("table WRU = %g, want %g", got, want)
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
	if err := run([]string{"-profile", "testdata/double11.json", "-svg", svg}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Breakwater capacity plan: Double 11, pre-warmed",
		"Human queues",
		"Erlang C (service level 80%",
		"Cost per million contacts",
		"240,011",
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
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("plot is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "text":
				texts++
			case "path":
				paths++
			}
		}
	}
	if texts < 30 || paths < 9 {
		t.Fatalf("plot has %d texts and %d paths, want axes, labels, a legend and every series", texts, paths)
	}
}

func TestRunWithoutPlot(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-svg", "", "-step", "10s"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "What to change before the peak") || !strings.Contains(out.String(), "pre-warm the Contacts table") {
		t.Fatalf("a new table at the default peak should be told to pre-warm:\n%s", out.String())
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
