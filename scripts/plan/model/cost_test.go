package model

import (
	"math"
	"testing"
)

func TestCostPerMillion(t *testing.T) {
	// A million contacts, each one POST and two polls, one responder invocation per ten, nothing handed off.
	u := newUsage()
	u.Contacts = 1e6
	u.Requests[RoutePost] = 1e6
	u.Requests[RoutePoll] = 2e6
	u.Invocations[FnIntake] = 3e6
	u.Invocations[FnResponder] = 1e5
	u.GBSeconds[FnIntake] = 3e6 * 0.008 * 0.25
	u.SQS = 1.2e6
	u.WRU = 5e6
	u.RRU = 1e6
	u.LogBytes = 2e9
	u.WSMessages[WSHello] = 1e5
	u.WSMessages[WSPing] = 3e5
	u.WSMinutes = 4e5
	lines, logs := CostPerMillion(u, ListPrices())
	want := map[string]float64{
		"API Gateway HTTP API":              3 * 1.00,
		"API Gateway WebSocket messages":    0.4 * 1.00,
		"API Gateway WebSocket connections": 0.4 * 0.25,
		"SQS":                               1.2 * 0.40,
		"Lambda invocations":                3.1 * 0.20,
		"Lambda duration (arm64)":           3 * 0.008 * 0.25 * 1e6 * 0.0000133334,
		"DynamoDB writes":                   5 * 0.625,
		"DynamoDB reads":                    1 * 0.125,
	}
	if got, want := len(lines), len(want); got != want {
		t.Fatalf("lines = %d, want %d", got, want)
	}
	var sum float64
	for _, l := range lines {
		sum += want[l.Service]
		if got, want := l.PerMillion, want[l.Service]; math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = $%.6f per million, want $%.6f", l.Service, got, want)
		}
	}
	if got := Total(lines); math.Abs(got-sum) > 1e-9 {
		t.Errorf("Total = %.6f, want %.6f", got, sum)
	}
	if got, want := logs.PerMillion, 2*0.50; math.Abs(got-want) > 1e-9 {
		t.Errorf("logs = $%.6f per million, want $%.6f", got, want)
	}
	u.Reads[ReadPending] = 2e6
	lines, _ = CostPerMillion(u, ListPrices())
	if got, want := lines[0].Detail, "GET /contacts/{id} 2, POST /contacts 1; of which polls while the bot decides 2"; got != want {
		t.Errorf("requests detail = %q, want %q", got, want)
	}
	if got, want := lines[1].Detail, "pings 0.3, hellos 0.1"; got != want {
		t.Errorf("messages detail = %q, want %q", got, want)
	}
}

func TestBatchMillis(t *testing.T) {
	l := Lambda{BatchSize: 10, BatchMillis: 50}
	for _, c := range []struct{ n, want float64 }{{10, 50}, {1, 14}, {5, 30}} {
		if got := BatchMillis(l, c.n); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("BatchMillis(%g) = %g, want %g", c.n, got, c.want)
		}
	}
}
