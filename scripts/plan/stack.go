package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"breakwater/shared/topology"
)

// resolveStack sets the stack's capacity as a deploy would: topology's defaults, then cdk.json's context, then the
// profile's context, then -c; and notes where each setting came from.
func (p *plan) resolveStack(cdkJSON string, profile map[string]any, flags contextFlags) error {
	cdk, path, err := readCDKContext(cdkJSON)
	if err != nil {
		return err
	}
	layers := []struct {
		source string
		values map[string]any
	}{{"cdk.json", cdk}, {"profile", profile}, {"-c", anyMap(flags)}}
	c := topology.DefaultCapacity()
	for _, k := range topology.CapacityKeys {
		p.Sources[k] = "topology default"
	}
	for _, l := range layers {
		next, err := c.With(func(key string) any { return l.values[key] })
		if err != nil {
			where := l.source
			if l.source == "cdk.json" {
				where = path
			}
			return fmt.Errorf("stack settings from %s: %w", where, err)
		}
		for _, k := range topology.CapacityKeys {
			if v, ok := l.values[k]; ok && v != "" {
				p.Sources[k] = l.source
			}
		}
		c = next
	}
	for k := range flags {
		if _, ok := c.Get(k); !ok {
			return fmt.Errorf("-c %s: not a capacity setting (%v)", k, topology.CapacityKeys)
		}
	}
	p.Stack.Capacity = c
	return nil
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// readCDKContext reads the context of cdk.json at path, or of the repository's (found upward from the working
// directory) when path is empty; no cdk.json at all is an empty context.
func readCDKContext(path string) (map[string]any, string, error) {
	if path == "" {
		dir, err := os.Getwd()
		if err != nil {
			return nil, "", fmt.Errorf("find cdk.json: %w", err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "cdk.json")); err == nil {
				path = filepath.Join(dir, "cdk.json")
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return map[string]any{}, "", nil
			}
			dir = parent
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("read %s: %w", path, err)
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, path, fmt.Errorf("decode %s: %w", path, err)
	}
	if f.Context == nil {
		f.Context = map[string]any{}
	}
	return f.Context, path, nil
}
