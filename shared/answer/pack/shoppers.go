package pack

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// The shoppers' sets: questions and complaints written, in the ways shoppers write, by people who never saw the
// pack's examples or the grammars (shoppers/<set>.jsonl, issue 12), each line labeled with what a shop should do
// with it. The matcher learns from them beside the grammars' sentences; the quality tests score each set with a
// matcher trained on the others (shared/triage/EVAL.md).
//
//go:embed shoppers/*.jsonl
var shoppers embed.FS

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

var shopperSets = sync.OnceValues(readShoppers)

// Shoppers returns the shoppers' sets by name (the file's name without .jsonl: dev, dev2 ...).
func Shoppers() (map[string][]Line, error) { return shopperSets() }

func readShoppers() (map[string][]Line, error) {
	names, err := fs.Glob(shoppers, "shoppers/*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("list shoppers' sets: %w", err)
	}
	slices.Sort(names)
	out := make(map[string][]Line, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(shoppers, n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		lines, err := ParseLines(b)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		out[strings.TrimSuffix(path.Base(n), ".jsonl")] = lines
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
