package emulators

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"
)

var shared struct {
	once sync.Once
	emu  *Emulators
	err  error
}

// Shared starts one pair of emulators per test binary on first use and returns it; the test fails with the reason when they cannot start.
// Close them with Main in the package's TestMain.
func Shared(tb testing.TB) *Emulators {
	tb.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // room for a first npm ci
		defer cancel()
		shared.emu, shared.err = Start(ctx, Options{Log: testLog(), FastStart: true})
	})
	if shared.err != nil {
		tb.Fatalf("local emulators: %v", shared.err)
	}
	return shared.emu
}

// testLog shows emulator output when BREAKWATER_EMULATOR_LOG=1; by default only failures show it (in the error).
func testLog() io.Writer {
	if os.Getenv("BREAKWATER_EMULATOR_LOG") == "1" {
		return os.Stderr
	}
	return io.Discard
}

// Main runs the tests and then stops the emulators Shared started: use it as `func TestMain(m *testing.M) { emulators.Main(m) }`.
func Main(m *testing.M) {
	os.Exit(RunMain(m))
}

// RunMain is Main without the os.Exit, for a TestMain that does more.
func RunMain(m *testing.M) int {
	code := m.Run()
	if shared.emu != nil {
		if err := shared.emu.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "emulators: stop shared emulators: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}
