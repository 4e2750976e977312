package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/storefront"
	"breakwater/shared/topology"
)

// identityPlaceholder in a sample event's body is replaced with the demo storefront's fresh signature of the
// shopper that body posts (its merchant, shopper id, tier and order), made with the running stack's demo key.
const identityPlaceholder = "{{identity}}"

// fill puts the running stack's credentials into payload's placeholders: agent's token (by name; the first agent
// when empty) for {{agentToken}}, and a fresh identity signature for {{identity}}.
func (v invoker) fill(payload []byte, st emulators.State, agent string) ([]byte, error) {
	if bytes.Contains(payload, []byte(eventfile.Placeholder)) || agent != "" {
		tok, err := v.agentToken(st, agent)
		if err != nil {
			return nil, err
		}
		payload = eventfile.WithToken(payload, tok)
	}
	if bytes.Contains(payload, []byte(identityPlaceholder)) {
		tok, err := v.identity(payload, st.Env[topology.EnvStorefrontKeys], time.Now())
		if err != nil {
			return nil, fmt.Errorf("fill %s: %w", identityPlaceholder, err)
		}
		payload = bytes.ReplaceAll(payload, []byte(identityPlaceholder), []byte(tok))
	}
	return payload, nil
}

// agentToken is the token of the running stack's demo agent name, from .breakwater/agents.json.
func (v invoker) agentToken(st emulators.State, name string) (string, error) {
	as, err := runner.ReadAgents(v.root)
	if errors.Is(err, runner.ErrNoAgents) && name == "" && st.AgentToken != "" {
		return st.AgentToken, nil // a stack from before the agents file: its one agent
	}
	if err != nil {
		return "", err
	}
	if len(as) == 0 {
		return "", errors.New("the local stack's agents file lists no agent: restart go run ./scripts/local")
	}
	if name == "" {
		return as[0].Token, nil
	}
	var names []string
	for _, a := range as {
		if a.Name == name {
			return a.Token, nil
		}
		names = append(names, a.Name+" ("+a.Tenant+")")
	}
	return "", fmt.Errorf("no demo agent %q: the running stack has %s", name, strings.Join(names, ", "))
}

// identity signs the shopper that the HTTP API event in payload posts, as its merchant's demo storefront would.
func (v invoker) identity(payload []byte, keysJSON string, now time.Time) (string, error) {
	if keysJSON == "" {
		return "", errors.New("the running local stack has no demo storefront keys: restart go run ./scripts/local")
	}
	keys, err := storefront.ParseStaticKeys(keysJSON)
	if err != nil {
		return "", err
	}
	var ev struct {
		Body            string `json:"body"`
		IsBase64Encoded bool   `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Body == "" {
		return "", errors.New("the event has no body to sign the shopper of")
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return "", fmt.Errorf("decode the event's body: %w", err)
		}
	}
	var req struct {
		Merchant string `json:"merchant"`
		Shopper  struct {
			ID   string `json:"id"`
			Tier string `json:"tier"`
		} `json:"shopper"`
		Context *struct {
			Order *storefront.Order `json:"order"`
		} `json:"context"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "", fmt.Errorf("read the contact in the event's body: %w", err)
	}
	sr := runner.SignRequest{Merchant: req.Merchant, Shopper: req.Shopper.ID, Tier: req.Shopper.Tier}
	if req.Context != nil && req.Context.Order != nil {
		o := *req.Context.Order
		sr.Order = &storefront.Order{ID: o.ID, Amount: o.Amount, Currency: o.Currency}
	}
	out, err := runner.SignIdentity(keys, sr, now)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(v.stderr, "invoke: signed shopper %s of %s as its storefront would (tier %q, key %s, valid until %s)\n",
		sr.Shopper, sr.Merchant, sr.Tier, out.KeyID, out.ExpiresAt.Format(time.TimeOnly))
	return out.Identity, nil
}
