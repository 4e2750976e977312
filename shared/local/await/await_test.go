package await

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	Until(t, time.Minute, "third call", func() bool { return calls.Add(1) == 3 })
	if got, want := calls.Load(), int32(3); got != want {
		t.Fatalf("calls = %d, want %d", got, want)
	}
}

func TestValueReturnsTheValueThatSucceeded(t *testing.T) {
	n := 0
	got := Value(t, time.Minute, "n reaches 2", func() (int, bool) { n++; return n * 10, n == 2 })
	if got != 20 {
		t.Fatalf("value = %d, want 20", got)
	}
}

func TestWaitReportsWhetherTheConditionHeld(t *testing.T) {
	if !Wait(time.Minute, func() bool { return true }) {
		t.Error("Wait = false for a condition that holds")
	}
	if Wait(2*Poll, func() bool { return false }) {
		t.Error("Wait = true for a condition that never holds")
	}
}

// recorder is a testing.TB that records a failure instead of ending the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
}

func TestUntilFailsAtTheDeadline(t *testing.T) {
	r := &recorder{TB: t}
	start := time.Now()
	Until(r, 3*Poll, "never", func() bool { return false })
	if r.failed == "" {
		t.Fatal("a condition that never held did not fail the test")
	}
	if elapsed := time.Since(start); elapsed < 3*Poll {
		t.Fatalf("gave up after %s, before the deadline of %s", elapsed, 3*Poll)
	}
}
