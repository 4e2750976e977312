package pack

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"breakwater/shared/answer"
	"breakwater/shared/intent"
)

// ShoppersDir holds the shoppers' sets, from the repository root: questions and complaints written, in the ways
// shoppers write, by people who never saw the pack's examples or the grammars (<set>.jsonl, issue 12), each line
// labeled with what a shop should do with it. The matcher learns from them beside the grammars' sentences; the
// quality tests score each set with a matcher trained on the others (shared/triage/EVAL.md).
const ShoppersDir = "shared/answer/pack/shoppers"

// TaughtFile is what the sets teach, derived from ShoppersDir by `go run ./scripts/templates snapshot` and
// embedded, compressed: the labeled sets are three times the size of their texts, and every binary that trains
// the matcher (agent, voice, a responder without a snapshot) carries it.
const TaughtFile = "shared/answer/pack/shoppers.tsv.gz"

//go:embed shoppers.tsv.gz
var taughtGz []byte

// Line is one labeled line of a shoppers' set.
type Line struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Locale string `json:"locale"`
	// Expect is "auto" (answer with Intent), "human" (a person, for Reason; off-topic is Reason "no.match") or
	// "either" (Intent's answer and a person are both fair).
	Expect string `json:"expect"`
	Intent string `json:"intent,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Taught is one line a shoppers' set teaches the matcher: its text as the class it stands for.
type Taught struct{ Set, Locale, Class, Text string }

// ReadShoppers reads the shoppers' sets in dir by name (the file's name without .jsonl: dev, dev2 ...).
func ReadShoppers(dir string) (map[string][]Line, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("list shoppers' sets: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("list shoppers' sets: no .jsonl in %s", dir)
	}
	out := make(map[string][]Line, len(names))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read shoppers' set: %w", err)
		}
		lines, err := ParseLines(b)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		out[strings.TrimSuffix(filepath.Base(n), ".jsonl")] = lines
	}
	return out, nil
}

// ParseLines reads a labeled set: one JSON Line a line, blank lines skipped, unknown fields refused.
func ParseLines(b []byte) ([]Line, error) {
	var out []Line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var l Line
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return out, nil
}

// Teach returns what sets teach, in set and line order: an "auto" line its intent, a "human" line its hand-off
// reason (off-topic for no.match). An "either" line teaches nothing: it is fair both ways, and taught as its
// intent it answered more of what needed a person (cross-validated on the tuning sets, issue 12).
func Teach(sets map[string][]Line) []Taught {
	names := make([]string, 0, len(sets))
	for n := range sets {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []Taught
	for _, n := range names {
		for _, l := range sets[n] {
			class := ""
			switch {
			case l.Expect == "auto":
				class = l.Intent
			case l.Expect == "human" && l.Reason == intent.NoMatch:
				class = answer.OffTopic
			case l.Expect == "human":
				class = l.Reason
			}
			if class != "" {
				out = append(out, Taught{Set: n, Locale: l.Locale, Class: class, Text: l.Text})
			}
		}
	}
	return out
}

// EncodeTaught writes taught as TaughtFile holds it: gzip of one "set\tlocale\tclass\ttext" line each.
func EncodeTaught(taught []Taught) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("encode taught lines: %w", err)
	}
	for _, t := range taught {
		for _, f := range []string{t.Set, t.Locale, t.Class, t.Text} {
			if strings.ContainsAny(f, "\t\n\r") {
				return nil, fmt.Errorf("encode taught lines: %q of set %s has a tab or line break", f, t.Set)
			}
		}
		fmt.Fprintf(zw, "%s\t%s\t%s\t%s\n", t.Set, t.Locale, t.Class, t.Text)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode taught lines: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeTaught reads what EncodeTaught wrote.
func DecodeTaught(b []byte) ([]Taught, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode taught lines: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decode taught lines: %w", err)
	}
	var out []Taught
	for n, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("decode taught lines: line %d has %d fields, want 4", n+1, len(f))
		}
		out = append(out, Taught{Set: f[0], Locale: f[1], Class: f[2], Text: f[3]})
	}
	return out, nil
}

var taught = sync.OnceValues(func() ([]Taught, error) { return DecodeTaught(taughtGz) })

// Shoppers returns what the shipped shoppers' sets teach (TaughtFile).
func Shoppers() ([]Taught, error) { return taught() }
