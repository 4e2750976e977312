// Package eventfile reads the sample events in events/, so tests and tools use the same files testers do.
package eventfile

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Placeholder is replaced in sample events with the running stack's agent token.
const Placeholder = "{{agentToken}}"

// Dir returns events/<function> under root.
func Dir(root, function string) string { return filepath.Join(root, "events", function) }

// All reads every sample event of function, by file name.
func All(root, function string) (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(Dir(root, function), "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", function, err)
	}
	sort.Strings(paths)
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read event %s: %w", p, err)
		}
		out[filepath.Base(p)] = b
	}
	return out, nil
}

// WithToken returns event with the agent token placeholder filled in.
func WithToken(event []byte, token string) []byte {
	return []byte(strings.ReplaceAll(string(event), Placeholder, token))
}
