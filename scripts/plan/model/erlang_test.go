package model

import (
	"math"
	"testing"
)

func TestErlangC(t *testing.T) {
	tests := []struct {
		n    int
		a    float64
		want float64
	}{
		{n: 11, a: 10, want: 0.6821},
		{n: 12, a: 10, want: 0.4494},
		{n: 15, a: 10, want: 0.1020},
		{n: 2, a: 1, want: 1.0 / 3},
		{n: 1, a: 0.5, want: 0.5},
		{n: 10, a: 10, want: 1},
		{n: 5, a: 0, want: 0},
	}
	for _, tt := range tests {
		if got := ErlangC(tt.n, tt.a); math.Abs(got-tt.want) > 5e-4 {
			t.Errorf("ErlangC(%d, %g) = %.4f, want %.4f", tt.n, tt.a, got, tt.want)
		}
	}
}

func TestAgentsFor(t *testing.T) {
	tests := []struct {
		name                   string
		rate, aht, target, lvl float64
		want                   int
	}{
		// 10 erlangs, 3-minute handle time, 80% within 20 s: the textbook answer is 14 agents.
		{name: "textbook", rate: 10.0 / 180, aht: 180, target: 20, lvl: 0.8, want: 14},
		{name: "no traffic", rate: 0, aht: 240, target: 60, lvl: 0.8, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := AgentsFor(tt.rate, tt.aht, tt.target, tt.lvl)
			if got, want := s.Agents, tt.want; got != want {
				t.Fatalf("agents = %d, want %d (load %.2f, service level %.3f)", got, want, s.Load, s.ServiceLvl)
			}
			if s.Agents > 0 && s.ServiceLvl < tt.lvl {
				t.Fatalf("service level = %.3f, want at least %.3f", s.ServiceLvl, tt.lvl)
			}
			if s.Agents > 1 {
				if prev := 1 - WaitBeyond(s.Agents-1, s.Load, tt.aht, tt.target); prev >= tt.lvl {
					t.Fatalf("%d agents already reach %.3f: not the smallest", s.Agents-1, prev)
				}
			}
		})
	}
}

func TestAgentsForLargeLoad(t *testing.T) {
	// 1,000 hand-offs a second at 4 minutes each is 240,000 erlangs; the square-root rule says a few hundred above it.
	s := AgentsFor(1000, 240, 60, 0.8)
	if s.Agents <= 240000 || s.Agents > 241000 {
		t.Fatalf("agents = %d, want a little above 240000", s.Agents)
	}
	if math.IsNaN(s.PWait) || s.ServiceLvl < 0.8 {
		t.Fatalf("PWait = %g, service level = %g", s.PWait, s.ServiceLvl)
	}
}
