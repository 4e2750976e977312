package emulators

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// ErrNoState means no local stack has written its state file.
var ErrNoState = errors.New("no local stack state (start the local stack first: go run ./scripts/local)")

// State is what a running `go run ./scripts/local` tells other tools (scripts/invoke, benchmarks) about itself.
type State struct {
	URL        string            `json:"url"`
	AgentToken string            `json:"agentToken"`
	Env        map[string]string `json:"env"` // the function environment: table and queue names, endpoints, credentials, agent auth
}

// Environ is Env as sorted KEY=VALUE entries for exec.Cmd.Env.
func (s State) Environ() []string {
	return environ(s.Env)
}

// StatePath is where the local stack's state lives: .breakwater/local.json in the repo root.
func StatePath(root string) string {
	return filepath.Join(root, ".breakwater", "local.json")
}

// WriteState records s atomically, so a reader never sees half a file.
func WriteState(root string, s State) error {
	path := StatePath(root)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("write local state %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write local state %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "local-*.json")
	if err != nil {
		return fmt.Errorf("write local state %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	// The file carries the agent token: readable by its owner only.
	if err := errors.Join(tmp.Chmod(0o600), write(tmp, append(b, '\n')), tmp.Close()); err != nil {
		return fmt.Errorf("write local state %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write local state %s: %w", path, err)
	}
	return nil
}

func write(f *os.File, b []byte) error {
	_, err := f.Write(b)
	return err
}

// ReadState reads the local stack's state; a missing file is ErrNoState.
func ReadState(root string) (State, error) {
	path := StatePath(root)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, fmt.Errorf("read %s: %w", path, ErrNoState)
	}
	if err != nil {
		return State{}, fmt.Errorf("read local state %s: %w", path, err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("read local state %s: %w", path, err)
	}
	return s, nil
}

// RemoveState deletes the state file when the local stack stops; a missing file is fine.
func RemoveState(root string) error {
	path := StatePath(root)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove local state %s: %w", path, err)
	}
	return nil
}

func environ(m map[string]string) []string {
	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}
