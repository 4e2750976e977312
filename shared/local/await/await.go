// Package await lets tests wait for a condition with a deadline, instead of sleeping for a guessed time.
package await

import (
	"testing"
	"time"
)

// Poll is how often a condition is checked.
const Poll = 20 * time.Millisecond

// Until checks cond every Poll until it holds, and fails t naming what when it has not held within within.
func Until(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	Value(t, within, what, func() (struct{}, bool) { return struct{}{}, cond() })
}

// Wait checks cond every Poll until it holds, and reports whether it did within within. It is for goroutines
// other than the test's, which must not end the test.
func Wait(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(Poll)
	}
	return true
}

// Value calls get every Poll until it reports ok, and returns its value; it fails t naming what when get has not
// succeeded within within.
func Value[T any](t testing.TB, within time.Duration, what string, get func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v, ok := get()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
			return v
		}
		time.Sleep(Poll)
	}
}
