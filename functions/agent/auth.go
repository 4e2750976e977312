package main

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"breakwater/shared/aws/apigw"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
)

// auth says whether a request comes from an agent, and which: its tenant, languages and skills.
type auth struct {
	mode string // "token" (local) or "jwt" (behind API Gateway's JWT authorizer)
	// token mode: the agents, each with the SHA-256 of its bearer token.
	agents []tokenAgent
	// jwt mode: the Cognito group an agent must belong to.
	group string
}

// tokenAgent is one agent of token mode, as the AGENTS environment variable lists them.
type tokenAgent struct {
	Tenant    string   `json:"tenant"`
	Name      string   `json:"name"`
	Languages []string `json:"languages"`
	Skills    []string `json:"skills,omitempty"`
	TokenHash string   `json:"tokenHash"`
}

// parseAgents reads the AGENTS variable: a JSON array of tokenAgent.
func parseAgents(s string) ([]tokenAgent, error) {
	var as []tokenAgent
	if err := json.Unmarshal([]byte(s), &as); err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	for i, a := range as {
		if _, err := toAgent(a.Tenant, a.Name, strings.Join(a.Languages, ","), strings.Join(a.Skills, ",")); err != nil {
			return nil, fmt.Errorf("agent %d: %w", i, err)
		}
		if len(a.TokenHash) != 64 {
			return nil, fmt.Errorf("agent %d (%s): tokenHash must be the hex SHA-256 of its token", i, a.Name)
		}
	}
	return as, nil
}

var (
	tenantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
	agentName     = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,128}$`)
	skillPattern  = regexp.MustCompile(`^[a-z0-9._-]{1,32}$`)
)

// toAgent checks and builds an agent from its claims, as text.
func toAgent(tenant, name, languages, skills string) (humanqueue.Agent, error) {
	a := humanqueue.Agent{Tenant: tenant, Name: name}
	if !tenantPattern.MatchString(tenant) {
		return a, fmt.Errorf("tenant %q is not a merchant id or %q", tenant, humanqueue.Platform)
	}
	if !agentName.MatchString(name) {
		return a, fmt.Errorf("agent name %q", name)
	}
	for _, l := range strings.FieldsFunc(languages, splitList) {
		loc, err := contact.ParseLocale(l)
		if err != nil || loc == "" {
			return a, fmt.Errorf("language %q is not zh-CN or en", l)
		}
		if !slices.Contains(a.Languages, loc) {
			a.Languages = append(a.Languages, loc)
		}
	}
	if len(a.Languages) == 0 {
		return a, fmt.Errorf("agent %s has no languages", name)
	}
	for _, s := range strings.FieldsFunc(skills, splitList) {
		if !skillPattern.MatchString(s) {
			return a, fmt.Errorf("skill %q", s)
		}
		a.Skills = append(a.Skills, s)
	}
	return a, nil
}

func splitList(r rune) bool { return r == ',' || r == ' ' || r == '[' || r == ']' }

// agent returns the agent a request comes from.
func (a auth) agent(req apigw.Request) (humanqueue.Agent, bool) {
	if a.mode == "jwt" {
		// API Gateway's JWT authorizer has verified the ID token; its claims say who, in which groups, for which
		// tenant and in which languages. Agents cannot change these attributes: the console's app client may not
		// write them (see infra/agents.go).
		if req.RequestContext.Authorizer == nil || req.RequestContext.Authorizer.JWT == nil {
			return humanqueue.Agent{}, false
		}
		claims := req.RequestContext.Authorizer.JWT.Claims
		if !inGroup(claims["cognito:groups"], a.group) {
			return humanqueue.Agent{}, false
		}
		ag, err := toAgent(claims["custom:tenant"], claims["cognito:username"], claims["custom:languages"], claims["custom:skills"])
		if err != nil {
			return humanqueue.Agent{}, false
		}
		return ag, true
	}
	got, ok := strings.CutPrefix(apigw.Header(req, "Authorization"), "Bearer ")
	if !ok || got == "" {
		return humanqueue.Agent{}, false
	}
	h := contact.HashSecret(got)
	for _, ta := range a.agents {
		if subtle.ConstantTimeCompare([]byte(h), []byte(ta.TokenHash)) == 1 {
			ag, err := toAgent(ta.Tenant, ta.Name, strings.Join(ta.Languages, ","), strings.Join(ta.Skills, ","))
			if err != nil {
				return humanqueue.Agent{}, false
			}
			return ag, true
		}
	}
	return humanqueue.Agent{}, false
}

// inGroup reads API Gateway's rendering of the cognito:groups claim, "[agents admins]" or "agents".
func inGroup(claim, group string) bool {
	for _, g := range strings.Fields(strings.Trim(claim, "[]")) {
		if g == group {
			return true
		}
	}
	return false
}
