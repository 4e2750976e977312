package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"breakwater/shared/aws/apigw"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

// queues is the part of *dynamo.Contacts the agent API uses.
type queues interface {
	Claim(ctx context.Context, agent string, hold time.Duration, targets humanqueue.Targets) (contact.Record, humanqueue.Lease, error)
	Get(ctx context.Context, id string) (contact.Record, error)
	Reply(ctx context.Context, id, lease, agent, text string) (contact.Record, error)
	Release(ctx context.Context, id, lease string) (contact.Record, error)
	Extend(ctx context.Context, id, lease string, d time.Duration) (humanqueue.Lease, error)
	Escalate(ctx context.Context, id, lease string, to priority.Priority, agent string) (contact.Record, error)
	Stats(ctx context.Context, targets humanqueue.Targets) ([]humanqueue.Stats, error)
}

// decider is the part of *catalog.Cache the agent API uses, to render suggested templates.
type decider interface {
	Get(ctx context.Context) (*triage.Triage, error)
}

// auth says whether a request comes from an agent, and which.
type auth struct {
	mode  string // "token" or "jwt"
	token string
	group string
}

type handler struct {
	queues  queues
	triage  decider
	auth    auth
	hold    time.Duration
	targets humanqueue.Targets
	page    []byte
	pageH   map[string]string
	// overview caches the queue stats; its zero value reads them on every request.
	overview statsCache
	// voice serves the voice of the customer (insights.go); nil when it is not configured.
	voice *insights
}

// statsCache serves the queue overview from one read per ttl per instance. Every agent's console polls it every
// 3 s, and a read visits up to 5,000 index entries per priority, so at a peak with thousands of agents the reads
// would grow with the agents; cached, they grow only with the instances.
type statsCache struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	at    time.Time
	stats []humanqueue.Stats
}

func (c *statsCache) get(ctx context.Context, read func(context.Context) ([]humanqueue.Stats, error)) ([]humanqueue.Stats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	if c.stats != nil && now().Sub(c.at) < c.ttl {
		return c.stats, nil
	}
	stats, err := read(ctx)
	if err != nil {
		return nil, err
	}
	c.stats, c.at = stats, now()
	return stats, nil
}

var agentPath = regexp.MustCompile(`^/agent/contacts/([^/]+)(?:/(reply|release|extend|escalate))?$`)

func (h *handler) handle(ctx context.Context, req apigw.Request) (apigw.Response, error) {
	route := apigw.Route(req)
	if route == "GET /console" {
		return apigw.Page(h.page, h.pageH), nil
	}
	agent, ok := h.auth.agent(req)
	if !ok {
		r := apigw.Error(http.StatusUnauthorized, "unauthorized", "Authorization", "an agent's bearer token is required")
		r.Headers["WWW-Authenticate"] = "Bearer"
		return r, nil
	}
	method := req.RequestContext.HTTP.Method
	if req.RawPath == "/agent/insights" || strings.HasPrefix(req.RawPath, "/agent/insights/") {
		return h.insights(ctx, req, agent), nil
	}
	switch route {
	case "GET /agent/queues":
		return h.stats(ctx), nil
	case "POST /agent/claim":
		return h.claim(ctx, agent), nil
	}
	m := agentPath.FindStringSubmatch(req.RawPath)
	if m == nil {
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such route"), nil
	}
	id, action := m[1], m[2]
	switch {
	case method == http.MethodGet && action == "":
		return h.view(ctx, id), nil
	case method == http.MethodPost && action != "":
		return h.act(ctx, req, agent, id, action), nil
	}
	return apigw.Error(http.StatusMethodNotAllowed, "method_not_allowed", "", "method not allowed on this route"), nil
}

func (a auth) agent(req apigw.Request) (string, bool) {
	if a.mode == "jwt" {
		// API Gateway's JWT authorizer has already verified the token; the claims say who and in which groups.
		if req.RequestContext.Authorizer == nil || req.RequestContext.Authorizer.JWT == nil {
			return "", false
		}
		claims := req.RequestContext.Authorizer.JWT.Claims
		if !inGroup(claims["cognito:groups"], a.group) {
			return "", false
		}
		return firstNonEmpty(claims["cognito:username"], claims["username"], claims["sub"]), true
	}
	got, ok := strings.CutPrefix(apigw.Header(req, "Authorization"), "Bearer ")
	if !ok || a.token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) != 1 {
		return "", false
	}
	name := apigw.Header(req, "X-Agent-Name")
	if !agentName.MatchString(name) {
		name = "agent"
	}
	return name, true
}

var agentName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// inGroup reads API Gateway's rendering of the cognito:groups claim, "[agents admins]" or "agents".
func inGroup(claim, group string) bool {
	for _, g := range strings.Fields(strings.Trim(claim, "[]")) {
		if g == group {
			return true
		}
	}
	return false
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return "agent"
}

type queueView struct {
	Priority          string `json:"priority"`
	Depth             int    `json:"depth"`
	Claimed           int    `json:"claimed"`
	OldestWaitSeconds int    `json:"oldestWaitSeconds"`
	Overdue           int    `json:"overdue"`
	TargetSeconds     int    `json:"targetSeconds"`
}

func (h *handler) stats(ctx context.Context) apigw.Response {
	stats, err := h.overview.get(ctx, func(ctx context.Context) ([]humanqueue.Stats, error) {
		return h.queues.Stats(ctx, h.targets)
	})
	if err != nil {
		slog.ErrorContext(ctx, "queue stats not read", "err", err)
		return unavailable()
	}
	out := make([]queueView, len(stats))
	for i, s := range stats {
		out[i] = queueView{Priority: s.Priority.String(), Depth: s.Waiting, Claimed: s.Claimed, Overdue: s.Overdue,
			OldestWaitSeconds: int(s.OldestWait.Seconds()), TargetSeconds: int(s.Target.Seconds())}
	}
	return apigw.JSON(http.StatusOK, map[string]any{"queues": out})
}

type suggestion struct {
	Template string  `json:"template"`
	Intent   string  `json:"intent"`
	Score    float64 `json:"score,omitempty"`
	Answer   string  `json:"answer"`
}

// contactView is a contact as an agent sees it: everything but the shopper's token hash.
type contactView struct {
	ID          string            `json:"id"`
	Merchant    string            `json:"merchant"`
	Shopper     contact.Shopper   `json:"shopper"`
	Locale      contact.Locale    `json:"locale"`
	Channel     string            `json:"channel"`
	Text        string            `json:"text"`
	Topic       string            `json:"topic,omitempty"`
	Context     *contact.Context  `json:"context,omitempty"`
	ReceivedAt  time.Time         `json:"receivedAt"`
	Repeat      bool              `json:"repeat"`
	Status      contact.Status    `json:"status"`
	Priority    priority.Priority `json:"priority,omitempty"`
	Reasons     []string          `json:"reasons,omitempty"`
	Intent      string            `json:"intent,omitempty"`
	Confidence  float64           `json:"confidence,omitempty"`
	EnqueuedAt  time.Time         `json:"enqueuedAt,omitzero"`
	Answer      string            `json:"answer,omitempty"`
	AnsweredBy  string            `json:"answeredBy,omitempty"`
	Suggestions []suggestion      `json:"suggestions,omitempty"`
}

func (h *handler) viewOf(ctx context.Context, r contact.Record) contactView {
	v := contactView{ID: r.ID, Merchant: r.Merchant, Shopper: r.Shopper, Locale: r.Locale, Channel: r.Channel,
		Text: r.Text, Topic: r.Topic, Context: r.Context, ReceivedAt: r.ReceivedAt, Repeat: r.Recent > 0,
		Status: r.Status, Priority: r.Priority, Reasons: r.Reasons, Intent: r.Intent, Confidence: r.Confidence,
		EnqueuedAt: r.EnqueuedAt, Answer: r.Answer, AnsweredBy: r.AnsweredBy}
	tri, err := h.triage.Get(ctx)
	if err != nil {
		slog.WarnContext(ctx, "templates not loaded; no suggestions", "contact", r.ID, "err", err)
		return v
	}
	for _, id := range r.Suggested {
		t, ok := tri.Template(id)
		if !ok {
			continue
		}
		text, err := t.Render(r.Contact)
		if err != nil {
			text = t.Answer // the agent fills in what is missing
		}
		v.Suggestions = append(v.Suggestions, suggestion{Template: t.ID, Intent: t.Intent, Answer: text})
	}
	return v
}

type leaseView struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (h *handler) claim(ctx context.Context, agent string) apigw.Response {
	r, lease, err := h.queues.Claim(ctx, agent, h.hold, h.targets)
	if errors.Is(err, contact.ErrNotFound) {
		return apigw.NoContent()
	}
	if err != nil {
		slog.ErrorContext(ctx, "claim failed", "agent", agent, "err", err)
		return unavailable()
	}
	slog.InfoContext(ctx, "contact claimed", "contact", r.ID, "agent", agent, "priority", r.Priority.String())
	return apigw.JSON(http.StatusOK, map[string]any{"contact": h.viewOf(ctx, r), "lease": leaseView{lease.Token, lease.ExpiresAt}})
}

func (h *handler) view(ctx context.Context, id string) apigw.Response {
	r, err := h.queues.Get(ctx, id)
	if errors.Is(err, contact.ErrNotFound) {
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such contact")
	}
	if err != nil {
		slog.ErrorContext(ctx, "contact not read", "contact", id, "err", err)
		return unavailable()
	}
	return apigw.JSON(http.StatusOK, map[string]any{"contact": h.viewOf(ctx, r)})
}

// actionBody is the body of reply, release, extend and escalate; each uses some of the fields.
type actionBody struct {
	Lease    string `json:"lease"`
	Text     string `json:"text"`
	Seconds  int    `json:"seconds"`
	Priority string `json:"priority"`
}

// maxReplyRunes bounds an agent's reply.
const maxReplyRunes = 4000

func (h *handler) act(ctx context.Context, req apigw.Request, agent, id, action string) apigw.Response {
	body, err := apigw.Body(req)
	if err != nil || len(body) > 32<<10 {
		return apigw.Error(http.StatusBadRequest, "invalid_body", "body", "body must be JSON of at most 32 KiB")
	}
	var b actionBody
	if err := contact.DecodeJSON(body, &b); err != nil {
		field := "body"
		var fe *contact.FieldError
		if errors.As(err, &fe) {
			field = fe.Field
		}
		return apigw.Error(http.StatusBadRequest, "invalid_body", field, fmt.Sprintf("not a valid %s request: %v", action, err))
	}
	if b.Lease == "" || len(b.Lease) > 128 {
		return apigw.Error(http.StatusBadRequest, "invalid_field", "lease", "lease is required: the token /agent/claim returned")
	}
	var (
		r     contact.Record
		lease humanqueue.Lease
	)
	switch action {
	case "reply":
		text := strings.TrimSpace(b.Text)
		if problem := replyProblem(text); problem != "" {
			return apigw.Error(http.StatusBadRequest, "invalid_field", "text", problem)
		}
		r, err = h.queues.Reply(ctx, id, b.Lease, agent, text)
	case "release":
		r, err = h.queues.Release(ctx, id, b.Lease)
	case "extend":
		if b.Seconds < 1 || b.Seconds > int(humanqueue.MaxHold.Seconds()) {
			return apigw.Error(http.StatusBadRequest, "invalid_field", "seconds", fmt.Sprintf("seconds must be from 1 to %d", int(humanqueue.MaxHold.Seconds())))
		}
		lease, err = h.queues.Extend(ctx, id, b.Lease, time.Duration(b.Seconds)*time.Second)
		if err == nil {
			return apigw.JSON(http.StatusOK, map[string]any{"id": id, "lease": leaseView{lease.Token, lease.ExpiresAt}})
		}
	case "escalate":
		to, perr := priority.ParseQueue(b.Priority)
		if perr != nil {
			return apigw.Error(http.StatusBadRequest, "invalid_field", "priority", perr.Error())
		}
		r, err = h.queues.Escalate(ctx, id, b.Lease, to, agent)
	}
	switch {
	case errors.Is(err, contact.ErrNotFound):
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such contact")
	case errors.Is(err, contact.ErrLease):
		return apigw.Error(http.StatusConflict, "lease_conflict", "lease", "the lease is wrong or has expired; claim the contact again")
	case errors.Is(err, contact.ErrNotHigher):
		return apigw.Error(http.StatusBadRequest, "invalid_field", "priority", err.Error())
	case err != nil:
		slog.ErrorContext(ctx, "agent action failed", "action", action, "contact", id, "agent", agent, "err", err)
		return unavailable()
	}
	slog.InfoContext(ctx, "agent action", "action", action, "contact", id, "agent", agent)
	return apigw.JSON(http.StatusOK, map[string]any{"id": r.ID, "status": r.Status, "priority": r.Priority})
}

func replyProblem(text string) string {
	switch {
	case text == "":
		return "text is required"
	case !utf8.ValidString(text):
		return "text is not valid UTF-8"
	case utf8.RuneCountInString(text) > maxReplyRunes:
		return fmt.Sprintf("text has more than %d characters", maxReplyRunes)
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return fmt.Sprintf("text contains control character %U", r)
		}
	}
	return ""
}

func unavailable() apigw.Response {
	r := apigw.Error(http.StatusServiceUnavailable, "unavailable", "", "try again in a few seconds")
	r.Headers["Retry-After"] = "2"
	return r
}
