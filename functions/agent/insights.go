package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"breakwater/shared/aws/apigw"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/voice"
	"breakwater/shared/voice/drafting"
)

// insightsReader is the part of *voice.Runner the console's voice of the customer reads.
type insightsReader interface {
	Insights(ctx context.Context, merchant string, from, to time.Time) (voice.Insights, error)
}

// problemStore is the part of *dynamo.Voice that owners' decisions on problems use.
type problemStore interface {
	Merchants(ctx context.Context) (map[string]time.Time, error)
	SetStatus(ctx context.Context, merchant, id string, st voice.Status, by string, at time.Time) (voice.Cluster, error)
}

// reviewer is the part of *drafting.Reviewer the draft routes use.
type reviewer interface {
	Approve(ctx context.Context, merchant, id string, edit drafting.Edit, by string) (voice.Draft, []catalog.Finding, error)
	Reject(ctx context.Context, merchant, id, reason, by string) (voice.Draft, error)
}

// insights serves the voice of the customer: GET /agent/insights and owners' decisions on problems and drafts.
type insights struct {
	read     insightsReader
	problems problemStore
	review   reviewer
	now      func() time.Time
}

// tenant is what an agent may see: one merchant, or every merchant.
type tenant struct {
	merchant string
	all      bool
}

func (t tenant) allows(merchant string) bool { return t.all || t.merchant == merchant }

// tenantOf is what agent may see: its merchant's voice, or every merchant's for the platform's own team.
func tenantOf(agent humanqueue.Agent) tenant {
	if agent.Tenant == humanqueue.Platform {
		return tenant{all: true}
	}
	return tenant{merchant: agent.Tenant}
}

var insightsPath = regexp.MustCompile(`^/agent/insights/(problems|drafts)/([A-Za-z0-9._:@-]{1,200})/(acknowledge|resolve|reopen|approve|reject)$`)

// maxInsightHours bounds the window the console asks for: the baselines behind it look back a week more.
const maxInsightHours = 7 * 24

func (h *handler) insights(ctx context.Context, req apigw.Request, agent humanqueue.Agent) apigw.Response {
	if h.voice == nil {
		return apigw.Error(http.StatusNotFound, "not_found", "", "the voice of the customer is not configured")
	}
	t := tenantOf(agent)
	method := req.RequestContext.HTTP.Method
	if req.RawPath == "/agent/insights" {
		if method != http.MethodGet {
			return apigw.Error(http.StatusMethodNotAllowed, "method_not_allowed", "", "method not allowed on this route")
		}
		return h.voice.get(ctx, req, t)
	}
	m := insightsPath.FindStringSubmatch(req.RawPath)
	if m == nil {
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such route")
	}
	if method != http.MethodPost {
		return apigw.Error(http.StatusMethodNotAllowed, "method_not_allowed", "", "method not allowed on this route")
	}
	kind, id, action := m[1], m[2], m[3]
	if (kind == "problems") != slices.Contains([]string{"acknowledge", "resolve", "reopen"}, action) {
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such route")
	}
	body, err := apigw.Body(req)
	if err != nil || len(body) > 32<<10 {
		return apigw.Error(http.StatusBadRequest, "invalid_body", "body", "body must be JSON of at most 32 KiB")
	}
	var b struct {
		Merchant string   `json:"merchant"`
		Reason   string   `json:"reason"`
		Answer   string   `json:"answer"`
		Intent   string   `json:"intent"`
		Examples []string `json:"examples"`
		Days     int      `json:"days"`
	}
	if err := contact.DecodeJSON(body, &b); err != nil {
		field := "body"
		var fe *contact.FieldError
		if errors.As(err, &fe) {
			field = fe.Field
		}
		return apigw.Error(http.StatusBadRequest, "invalid_body", field, fmt.Sprintf("not a valid %s request: %v", action, err))
	}
	if b.Merchant == "" {
		return apigw.Error(http.StatusBadRequest, "invalid_field", "merchant", "merchant is required")
	}
	if !t.allows(b.Merchant) {
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such "+strings.TrimSuffix(kind, "s"))
	}
	if kind == "problems" {
		return h.voice.decideProblem(ctx, b.Merchant, id, action, agent.Name)
	}
	if action == "reject" {
		d, err := h.voice.review.Reject(ctx, b.Merchant, id, b.Reason, agent.Name)
		if resp, failed := reviewError(ctx, err, "reject", b.Merchant, id); failed {
			return resp
		}
		slog.InfoContext(ctx, "draft rejected", "merchant", b.Merchant, "draft", id, "agent", agent)
		return apigw.JSON(http.StatusOK, map[string]any{"draft": d})
	}
	d, findings, err := h.voice.review.Approve(ctx, b.Merchant, id, drafting.Edit{Answer: b.Answer, Intent: b.Intent, Examples: b.Examples, Days: b.Days}, agent.Name)
	if errors.Is(err, drafting.ErrLint) {
		r := apigw.JSON(http.StatusUnprocessableEntity, map[string]any{
			"error":    apigw.ErrorDetail{Code: "lint_failed", Message: "the template fails templates lint; see findings"},
			"findings": findingsView(findings),
		})
		return r
	}
	if resp, failed := reviewError(ctx, err, "approve", b.Merchant, id); failed {
		return resp
	}
	// Staged, not yet published: the voice function's publication, within minutes, trains the matcher, publishes
	// and records its findings on the draft, which the console shows.
	slog.InfoContext(ctx, "draft approved; publishing", "merchant", b.Merchant, "draft", id, "agent", agent, "templates", strings.Join(d.Published, ","))
	return apigw.JSON(http.StatusAccepted, map[string]any{"draft": d, "findings": findingsView(findings)})
}

type findingView struct {
	Severity string `json:"severity"`
	Template string `json:"template,omitempty"`
	Message  string `json:"message"`
}

func findingsView(fs []catalog.Finding) []findingView {
	out := make([]findingView, 0, len(fs))
	for _, f := range fs {
		out = append(out, findingView{f.Severity, f.Template, f.Message})
	}
	return out
}

func reviewError(ctx context.Context, err error, action, merchant, id string) (apigw.Response, bool) {
	switch {
	case err == nil:
		return apigw.Response{}, false
	case errors.Is(err, voice.ErrNotFound):
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such draft"), true
	case errors.Is(err, voice.ErrDecided):
		return apigw.Error(http.StatusConflict, "already_decided", "", "the draft was already approved or rejected"), true
	case errors.Is(err, drafting.ErrInvalid):
		// The message says what to change; it holds no shopper's words (answers and examples are masked).
		return apigw.Error(http.StatusBadRequest, "invalid_draft", "", err.Error()), true
	}
	slog.ErrorContext(ctx, "draft review failed", "action", action, "merchant", merchant, "draft", id, "err", err)
	return unavailable(), true
}

func (v *insights) get(ctx context.Context, req apigw.Request, t tenant) apigw.Response {
	q := req.QueryStringParameters
	hours := 24
	if s := q["hours"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxInsightHours {
			return apigw.Error(http.StatusBadRequest, "invalid_field", "hours", fmt.Sprintf("hours must be from 1 to %d", maxInsightHours))
		}
		hours = n
	}
	merchant := q["merchant"]
	if merchant == "" && !t.all {
		merchant = t.merchant
	}
	if merchant == "" {
		// Every merchant allowed: list them, the console picks one.
		ms, err := v.problems.Merchants(ctx)
		if err != nil {
			slog.ErrorContext(ctx, "voice merchants not read", "err", err)
			return unavailable()
		}
		names := make([]string, 0, len(ms))
		for m := range ms {
			names = append(names, m)
		}
		slices.Sort(names)
		return apigw.JSON(http.StatusOK, map[string]any{"merchants": names})
	}
	if !t.allows(merchant) {
		return apigw.Error(http.StatusNotFound, "not_found", "merchant", "no such merchant")
	}
	to := v.now().UTC()
	in, err := v.read.Insights(ctx, merchant, to.Add(-time.Duration(hours)*time.Hour), to)
	if err != nil {
		slog.ErrorContext(ctx, "insights not read", "merchant", merchant, "err", err)
		return unavailable()
	}
	merchants := []string{merchant}
	return apigw.JSON(http.StatusOK, map[string]any{"merchants": merchants, "insights": in})
}

func (v *insights) decideProblem(ctx context.Context, merchant, id, action, agent string) apigw.Response {
	st := map[string]voice.Status{"acknowledge": voice.Acknowledged, "resolve": voice.Resolved, "reopen": voice.Open}[action]
	c, err := v.problems.SetStatus(ctx, merchant, id, st, agent, v.now())
	switch {
	case errors.Is(err, voice.ErrNotFound):
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such problem")
	case err != nil:
		slog.ErrorContext(ctx, "problem status not set", "merchant", merchant, "problem", id, "status", st, "err", err)
		return unavailable()
	}
	slog.InfoContext(ctx, "problem "+string(st), "merchant", merchant, "problem", id, "agent", agent)
	c.Centroid = nil
	return apigw.JSON(http.StatusOK, map[string]any{"problem": c})
}
