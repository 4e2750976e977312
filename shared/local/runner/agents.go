package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
)

// DemoAgent is one of the local stack's agents, as .breakwater/agents.json lists them.
type DemoAgent struct {
	Tenant    string   `json:"tenant"`
	Name      string   `json:"name"`
	Languages []string `json:"languages"`
	Skills    []string `json:"skills,omitempty"`
	Token     string   `json:"token"`
}

// demoAgents are two demo merchants' agents and the platform team's: at least one of each tenant speaks both
// languages, and some speak one, to show that a claim takes only what the agent can serve.
func demoAgents(seed string) []DemoAgent {
	as := []DemoAgent{
		{Tenant: "m1", Name: "alice", Languages: []string{"zh-CN", "en"}},
		{Tenant: "m1", Name: "bob", Languages: []string{"en"}},
		{Tenant: "m2", Name: "chen", Languages: []string{"zh-CN", "en"}},
		{Tenant: "m2", Name: "dong", Languages: []string{"zh-CN"}},
		{Tenant: humanqueue.Platform, Name: "pat", Languages: []string{"zh-CN", "en"}},
	}
	for i := range as {
		// Random at every start unless the caller sets a seed (-agent-token), so demo tokens are never fixed.
		as[i].Token = contact.NewSecret()
		if seed != "" {
			as[i].Token = seed + "." + as[i].Name
		}
	}
	return as
}

// agentsEnv is the AGENTS variable of the agent function for as: their identities with the hashes of their
// tokens, never the tokens themselves.
func agentsEnv(as []DemoAgent) (string, error) {
	type entry struct {
		Tenant    string   `json:"tenant"`
		Name      string   `json:"name"`
		Languages []string `json:"languages"`
		Skills    []string `json:"skills,omitempty"`
		TokenHash string   `json:"tokenHash"`
	}
	es := make([]entry, len(as))
	for i, a := range as {
		es[i] = entry{Tenant: a.Tenant, Name: a.Name, Languages: a.Languages, Skills: a.Skills, TokenHash: contact.HashSecret(a.Token)}
	}
	b, err := json.Marshal(es)
	if err != nil {
		return "", fmt.Errorf("encode agents: %w", err)
	}
	return string(b), nil
}

// WriteAgents writes the running stack's agents to <root>/.breakwater/agents.json, readable by its owner only.
func WriteAgents(root string, as []DemoAgent) error {
	b, err := json.MarshalIndent(as, "", "  ")
	if err != nil {
		return fmt.Errorf("encode agents: %w", err)
	}
	dir := filepath.Join(root, ".breakwater")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write agents: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "agents.json"), append(b, '\n'), 0o600)
}

// Agent returns the stack's agent named name.
func (s *Stack) Agent(name string) DemoAgent {
	for _, a := range s.Agents {
		if a.Name == name {
			return a
		}
	}
	return DemoAgent{}
}

// ErrNoAgents means no local stack has written its agents file.
var ErrNoAgents = errors.New("no .breakwater/agents.json: start the local stack first: go run ./scripts/local")

// ReadAgents reads the running stack's agents from <root>/.breakwater/agents.json.
func ReadAgents(root string) ([]DemoAgent, error) {
	b, err := os.ReadFile(filepath.Join(root, ".breakwater", "agents.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoAgents
	}
	if err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	var as []DemoAgent
	if err := json.Unmarshal(b, &as); err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	return as, nil
}
