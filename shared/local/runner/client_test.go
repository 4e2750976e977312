package runner_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"breakwater/shared/local/await"
)

// client speaks to a running stack's HTTP API the way a storefront and an agent's console do.
type client struct {
	t     testing.TB
	url   string
	agent string
}

type accepted struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Token  string `json:"token"`
}

type status struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Answer     string `json:"answer"`
	AnsweredBy string `json:"answeredBy"`
	Reason     string `json:"reason"`
	Queue      *struct {
		Priority             string `json:"priority"`
		Position             *int   `json:"position"`
		EstimatedWaitSeconds *int   `json:"estimatedWaitSeconds"`
		AgentsOnline         *int   `json:"agentsOnline"`
	} `json:"queue"`
}

type claimed struct {
	Contact struct {
		ID          string   `json:"id"`
		Text        string   `json:"text"`
		Priority    string   `json:"priority"`
		Verified    bool     `json:"verified"`
		Reasons     []string `json:"reasons"`
		Suggestions []struct {
			Template string `json:"template"`
			Answer   string `json:"answer"`
		} `json:"suggestions"`
	} `json:"contact"`
	Lease struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expiresAt"`
	} `json:"lease"`
}

func (c client) do(method, path string, body any, headers map[string]string, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatalf("encode %s %s: %v", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

func (c client) post(req map[string]any) accepted {
	c.t.Helper()
	var a accepted
	if code := c.do("POST", "/contacts", req, nil, &a); code != http.StatusAccepted {
		c.t.Fatalf("POST /contacts %v = %d, want 202", req, code)
	}
	return a
}

func (c client) status(a accepted) status {
	c.t.Helper()
	var s status
	if code := c.do("GET", "/contacts/"+a.ID, nil, map[string]string{"X-Contact-Token": a.Token}, &s); code != http.StatusOK {
		c.t.Fatalf("GET /contacts/%s = %d, want 200", a.ID, code)
	}
	return s
}

// settle waits until a's status leaves pending.
func (c client) settle(a accepted, within time.Duration) status {
	c.t.Helper()
	return await.Value(c.t, within, "contact "+a.ID+" settled", func() (status, bool) {
		s := c.status(a)
		return s, s.Status != "pending"
	})
}

func (c client) agentDo(method, path string, body any, out any) int {
	c.t.Helper()
	return c.do(method, path, body, map[string]string{"Authorization": "Bearer " + c.agent}, out)
}

func (c client) claim() (claimed, int) {
	c.t.Helper()
	var cl claimed
	code := c.agentDo("POST", "/agent/claim", nil, &cl)
	return cl, code
}
