package main

import "testing"

func TestCoordinatorRace(t *testing.T) {
	tests := []struct {
		name, out string
		want      bool
	}{
		{"bare deadline at the fuzztime boundary",
			"fuzz: elapsed: 9s, execs: 161712 (0/sec)\n--- FAIL: FuzzDecode (9.04s)\n    context deadline exceeded\nFAIL\n", true},
		{"a failing input was written",
			"--- FAIL: FuzzDecode (2.10s)\n    --- FAIL: FuzzDecode (0.00s)\n        x_test.go:9: bad\n    Failing input written to testdata/fuzz/FuzzDecode/abc\n    context deadline exceeded\n", false},
		{"a panic",
			"--- FAIL: FuzzDecode (1.00s)\n    panic: index out of range\n    context deadline exceeded\n", false},
		{"another failure", "--- FAIL: FuzzDecode (1.00s)\n    x_test.go:9: decoded twice\n", false},
	}
	for _, tt := range tests {
		if got := coordinatorRace(tt.out); got != tt.want {
			t.Errorf("%s: coordinatorRace = %v, want %v", tt.name, got, tt.want)
		}
	}
}
