// Package proclog captures a child process's output: the last lines for error messages, and a log that never blocks it.
package proclog

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// NewTail keeps the last max lines.
func NewTail(max int) *Tail { return &Tail{max: max} }

// Tail keeps the last lines written to it, for error messages about a process that died.
type Tail struct {
	mu    sync.Mutex
	max   int
	lines []string
	part  []byte
}

func (t *Tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, b...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.part[:i]))
		t.part = t.part[i+1:]
		if len(t.lines) > t.max {
			t.lines = t.lines[len(t.lines)-t.max:]
		}
	}
	if len(t.part) > 4096 {
		t.part = t.part[len(t.part)-4096:]
	}
	return len(b), nil
}

func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := append([]string(nil), t.lines...)
	if len(t.part) > 0 {
		lines = append(lines, string(t.part))
	}
	if len(lines) == 0 {
		return "(no output)"
	}
	return strings.Join(lines, "\n")
}

// IgnoreErrors reports every write as done, so a failing log never blocks a child process on a full pipe.
type IgnoreErrors struct{ W io.Writer }

func (i IgnoreErrors) Write(b []byte) (int, error) {
	i.W.Write(b)
	return len(b), nil
}
