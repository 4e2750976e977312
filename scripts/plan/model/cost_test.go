package model

import (
	"math"
	"testing"
)

func TestCostPerMillion(t *testing.T) {
	c := Calls{
		RoutineShare: 1, BatchSize: 10, Polls: 0,
		IntakeMillis: 8, ResponderBatchMillis: 25, IntakeMB: 1024, ResponderMB: 1024,
		IntakeWRU: 1, ResponderWRU: 2,
	}
	lines := CostPerMillion(c, ListPrices())
	want := map[string]float64{
		"API Gateway HTTP API":    1.00,
		"SQS":                     1.2 * 0.40,
		"Lambda invocations":      1.1 * 0.20,
		"Lambda duration (arm64)": (0.008 + 0.0025) * 1e6 * 0.0000133334,
		"DynamoDB writes":         3 * 0.625,
		"DynamoDB reads":          0,
	}
	for _, l := range lines {
		if got, want := l.PerMillion, want[l.Service]; math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = $%.6f per million, want $%.6f", l.Service, got, want)
		}
	}
	if got, want := len(lines), len(want); got != want {
		t.Fatalf("lines = %d, want %d", got, want)
	}
}
