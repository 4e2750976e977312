package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"breakwater/shared/aws/apigw"
)

// Agents' requests are validated before anything is stored: a clear 4xx names the field, and without the agents'
// credentials nothing else is looked at. No store is wired in: a request that got past validation would panic.
func TestAgentInputIsValidatedFirst(t *testing.T) {
	h := &handler{auth: auth{mode: "token", agents: testAgents}}
	id := "c_aaaaaaaaaaaaaaaaaaaaaaaaaa"
	tests := []struct {
		name, action, body string
		auth               string
		code               int
		field              string
	}{
		{"no credentials", "reply", `{"lease":"l","text":"hi"}`, "", 401, "Authorization"},
		{"a shopper's token", "reply", `{"lease":"l","text":"hi"}`, "Bearer not-the-agents", 401, "Authorization"},
		{"not JSON", "reply", `hello`, "Bearer " + token, 400, "body"},
		{"unknown field", "reply", `{"lease":"l","text":"hi","agent":"boss"}`, "Bearer " + token, 400, "agent"},
		{"too large", "reply", `{"lease":"l","text":"` + strings.Repeat("a", 33<<10) + `"}`, "Bearer " + token, 400, "body"},
		{"no lease", "reply", `{"text":"hi"}`, "Bearer " + token, 400, "lease"},
		{"lease too long", "release", `{"lease":"` + strings.Repeat("l", 129) + `"}`, "Bearer " + token, 400, "lease"},
		{"empty reply", "reply", `{"lease":"l","text":"   "}`, "Bearer " + token, 400, "text"},
		{"reply too long", "reply", `{"lease":"l","text":"` + strings.Repeat("好", maxReplyRunes+1) + `"}`, "Bearer " + token, 400, "text"},
		{"control character in reply", "reply", `{"lease":"l","text":"a\u0007b"}`, "Bearer " + token, 400, "text"},
		{"extend by nothing", "extend", `{"lease":"l","seconds":0}`, "Bearer " + token, 400, "seconds"},
		{"extend past the maximum", "extend", `{"lease":"l","seconds":100000}`, "Bearer " + token, 400, "seconds"},
		{"seconds as a string", "extend", `{"lease":"l","seconds":"60"}`, "Bearer " + token, 400, "seconds"},
		{"unknown priority", "escalate", `{"lease":"l","priority":"critical"}`, "Bearer " + token, 400, "priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/agent/contacts/" + id + "/" + tt.action
			req := apigw.Request{RouteKey: "POST /agent/contacts/{id}/" + tt.action, RawPath: path, Body: tt.body,
				PathParameters: map[string]string{"id": id}, Headers: map[string]string{}}
			req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = http.MethodPost, path
			if tt.auth != "" {
				req.Headers["authorization"] = tt.auth
			}
			resp, err := h.handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := resp.StatusCode, tt.code; got != want {
				t.Fatalf("status = %d, want %d (%s)", got, want, resp.Body)
			}
			if !strings.Contains(resp.Body, `"field":"`+tt.field+`"`) {
				t.Errorf("body %s does not name field %q", resp.Body, tt.field)
			}
		})
	}
}
