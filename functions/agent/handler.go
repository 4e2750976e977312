package main

import (
	"context"
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

	"breakwater/shared/answer"
	"breakwater/shared/aws/apigw"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/push"
	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

// queues is the part of *dynamo.Contacts the agent API uses. Every method takes the agent, and answers for its
// tenant only.
type queues interface {
	Claim(ctx context.Context, agent humanqueue.Agent, hold time.Duration, targets humanqueue.Targets, shards int) (contact.Record, humanqueue.Lease, error)
	View(ctx context.Context, agent humanqueue.Agent, id, lease string) (contact.Record, error)
	Reply(ctx context.Context, agent humanqueue.Agent, id, lease, text string, resolve bool) (contact.Record, error)
	Thread(ctx context.Context, id, cursor string) ([]contact.Message, error)
	Release(ctx context.Context, agent humanqueue.Agent, id, lease string) (contact.Record, error)
	Extend(ctx context.Context, agent humanqueue.Agent, id, lease string, d time.Duration) (humanqueue.Lease, error)
	Escalate(ctx context.Context, agent humanqueue.Agent, id, lease string, to priority.Priority) (contact.Record, error)
	Stats(ctx context.Context, tenant string, shards int, targets humanqueue.Targets) ([]humanqueue.Stats, error)
	Waiting(ctx context.Context, tenant string, shards, limit int, targets humanqueue.Targets) ([]humanqueue.Entry, error)
	RegisterAgentPush(ctx context.Context, agent humanqueue.Agent, conn string) error
	DropShopperPush(ctx context.Context, id, conn string) error
}

// pusher is the part of *push.Pusher the agent API uses: it pokes the shopper's page when an agent joins,
// replies, or lets the conversation go.
type pusher interface {
	Poke(ctx context.Context, conn, id string) push.Result
}

// decider is the part of *catalog.Cache the agent API uses, to render suggested templates.
type decider interface {
	Get(ctx context.Context) (*triage.Triage, error)
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
	// push pokes shoppers' pages; nil when push is off.
	push pusher
}

// statsCache serves each tenant's queue overview from one read per ttl per instance. Every agent's console polls
// it every 3 s, and a read visits up to 5,000 index entries per queue, so at a peak with thousands of agents the
// reads would grow with the agents; cached, they grow only with the instances.
type statsCache struct {
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	tenant map[string]overview
}

// overview is what GET /agent/queues shows a tenant's agents.
type overview struct {
	at      time.Time
	stats   []humanqueue.Stats
	waiting []humanqueue.Entry
}

func (c *statsCache) get(ctx context.Context, tenant string, read func(context.Context) (overview, error)) (overview, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	if o, ok := c.tenant[tenant]; ok && now().Sub(o.at) < c.ttl {
		return o, nil
	}
	o, err := read(ctx)
	if err != nil {
		return overview{}, err
	}
	o.at = now()
	if c.tenant == nil {
		c.tenant = map[string]overview{}
	}
	c.tenant[tenant] = o
	return o, nil
}

var agentPath = regexp.MustCompile(`^/agent/contacts/([^/]+)(?:/(reply|release|extend|escalate))?$`)

// contactID is the shape of every contact id (contact.NewID); any other id in a path is not found, unread.
var contactID = regexp.MustCompile(`^c_[a-z2-7]{26}$`)

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
		return h.stats(ctx, agent), nil
	case "POST /agent/claim":
		return h.claim(ctx, agent), nil
	case "PUT /agent/push":
		return h.registerPush(ctx, req, agent), nil
	}
	m := agentPath.FindStringSubmatch(req.RawPath)
	if m == nil {
		return apigw.Error(http.StatusNotFound, "not_found", "", "no such route"), nil
	}
	id, action := m[1], m[2]
	if !contactID.MatchString(id) {
		return notFound(), nil
	}
	switch {
	case method == http.MethodGet && action == "":
		return h.view(ctx, agent, id, apigw.Header(req, "X-Lease")), nil
	case method == http.MethodPost && action != "":
		return h.act(ctx, req, agent, id, action), nil
	}
	return apigw.Error(http.StatusMethodNotAllowed, "method_not_allowed", "", "method not allowed on this route"), nil
}

type queueView struct {
	Priority          string `json:"priority"`
	Depth             int    `json:"depth"`
	Claimed           int    `json:"claimed"`
	OldestWaitSeconds int    `json:"oldestWaitSeconds"`
	Overdue           int    `json:"overdue"`
	TargetSeconds     int    `json:"targetSeconds"`
}

// waitingView is a contact waiting in the tenant's queues as the overview lists it: no text, no shopper, no order.
type waitingView struct {
	ID            string            `json:"id"`
	Priority      priority.Priority `json:"priority"`
	Locale        contact.Locale    `json:"locale"`
	Skill         string            `json:"skill,omitempty"`
	WaitedSeconds int               `json:"waitedSeconds"`
	Overdue       bool              `json:"overdue"`
	// Servable says whether this agent may claim it (language and skill).
	Servable bool `json:"servable"`
}

// listed is how many waiting contacts the overview lists.
const listed = 20

func (h *handler) stats(ctx context.Context, agent humanqueue.Agent) apigw.Response {
	o, err := h.overviewOf(ctx, agent)
	if err != nil {
		slog.ErrorContext(ctx, "queue stats not read", "tenant", agent.Tenant, "err", err)
		return unavailable()
	}
	return apigw.JSON(http.StatusOK, o)
}

// withOverview adds the queue overview (GET /agent/queues' body, from the same per-instance cache) to the answer
// of an agent's claim, view or action: a console that holds a conversation re-reads it anyway, so it needs no
// overview poll of its own (at a peak every agent holds one, and those polls were a sixteenth of the requests:
// scripts/plan). Best effort: without it the console polls the overview.
func (h *handler) withOverview(ctx context.Context, agent humanqueue.Agent, body map[string]any) map[string]any {
	o, err := h.overviewOf(ctx, agent)
	if err != nil {
		slog.WarnContext(ctx, "queue overview not added", "tenant", agent.Tenant, "err", err)
		return body
	}
	body["overview"] = o
	return body
}

// overviewOf is the tenant's queue overview as agent sees it: the queues, the first waiting contacts, and who the
// agent is.
func (h *handler) overviewOf(ctx context.Context, agent humanqueue.Agent) (map[string]any, error) {
	shards, err := h.shards(ctx, agent.Tenant)
	if err != nil {
		return nil, fmt.Errorf("read the catalog's shards: %w", err)
	}
	o, err := h.overview.get(ctx, agent.Tenant, func(ctx context.Context) (overview, error) {
		stats, err := h.queues.Stats(ctx, agent.Tenant, shards, h.targets)
		if err != nil {
			return overview{}, err
		}
		waiting, err := h.queues.Waiting(ctx, agent.Tenant, shards, listed, h.targets)
		return overview{stats: stats, waiting: waiting}, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]queueView, len(o.stats))
	for i, s := range o.stats {
		out[i] = queueView{Priority: s.Priority.String(), Depth: s.Waiting, Claimed: s.Claimed, Overdue: s.Overdue,
			OldestWaitSeconds: int(s.OldestWait.Seconds()), TargetSeconds: int(s.Target.Seconds())}
	}
	now := time.Now()
	waiting := make([]waitingView, len(o.waiting))
	for i, e := range o.waiting {
		waiting[i] = waitingView{ID: e.ID, Priority: e.Priority, Locale: e.Locale, Skill: e.Skill,
			WaitedSeconds: int(now.Sub(e.EnqueuedAt).Seconds()), Overdue: h.targets.Overdue(e.Waiting, now),
			Servable: agent.Serves(agent.Tenant, e.Locale, e.Skill)}
	}
	return map[string]any{"tenant": agent.Tenant, "queues": out, "waiting": waiting,
		"agent": map[string]any{"name": agent.Name, "languages": agent.Languages, "skills": agent.Skills}}, nil
}

// shards is how many shards tenant's queues have, by the catalog's rules.
func (h *handler) shards(ctx context.Context, tenant string) (int, error) {
	tri, err := h.triage.Get(ctx)
	if err != nil {
		return 0, err
	}
	return humanqueue.Shards(tri.Rules, answer.Platform, tenant), nil
}

type suggestion struct {
	Template string  `json:"template"`
	Intent   string  `json:"intent"`
	Score    float64 `json:"score,omitempty"`
	Answer   string  `json:"answer"`
}

// contactView is a contact as an agent sees it: everything but the shopper's token hash.
type contactView struct {
	ID       string          `json:"id"`
	Merchant string          `json:"merchant"`
	Shopper  contact.Shopper `json:"shopper"`
	// Verified is false when the storefront did not sign the shopper's identity: the tier and the order shown
	// are what the shopper's browser sent, unchecked.
	Verified    bool              `json:"verified"`
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
	// Messages is the whole conversation: the shopper's messages, the bot's answers (and whether the shopper said
	// one did not help), the agents' replies and what happened, in order.
	Messages []contact.Message `json:"messages"`
	// Unhelpful: the shopper said the bot's answer did not help. Rating and Comment are the shopper's
	// satisfaction with an earlier resolution of this conversation, when given.
	Unhelpful bool   `json:"unhelpful,omitempty"`
	Rating    int    `json:"rating,omitempty"`
	Comment   string `json:"comment,omitempty"`
}

func (h *handler) viewOf(ctx context.Context, r contact.Record) contactView {
	v := contactView{ID: r.ID, Merchant: r.Merchant, Shopper: r.Shopper, Verified: r.Verified, Locale: r.Locale, Channel: r.Channel,
		Text: r.Text, Topic: r.Topic, Context: r.Context, ReceivedAt: r.ReceivedAt, Repeat: r.Recent > 0,
		Status: r.Status, Priority: r.Priority, Reasons: r.Reasons, Intent: r.Intent, Confidence: r.Confidence,
		EnqueuedAt: r.EnqueuedAt, Answer: r.Answer, AnsweredBy: r.AnsweredBy, Unhelpful: r.Unhelpful, Rating: r.Rating, Comment: r.Comment}
	stored, err := h.queues.Thread(ctx, r.ID, "")
	if err != nil {
		slog.WarnContext(ctx, "thread not read; showing the opening message only", "contact", r.ID, "err", err)
	}
	v.Messages = r.Thread(stored)
	tri, err := h.triage.Get(ctx)
	if err != nil {
		slog.WarnContext(ctx, "templates not loaded; no suggestions", "contact", r.ID, "err", err)
		return v
	}
	// Replies that fit why the shopper is here come first (a payment problem is not answered with payment
	// methods), then the bot's candidates, which the responder kept only when they were plausible.
	rules := tri.Rules(r.Merchant)
	for _, why := range r.Reasons {
		if text, ok := rules.ReplyFor(why, string(r.Locale)); ok {
			v.Suggestions = append(v.Suggestions, suggestion{Template: "reply." + why, Intent: why, Answer: text})
		}
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

func (h *handler) claim(ctx context.Context, agent humanqueue.Agent) apigw.Response {
	shards, err := h.shards(ctx, agent.Tenant)
	if err != nil {
		slog.ErrorContext(ctx, "catalog not read", "err", err)
		return unavailable()
	}
	r, lease, err := h.queues.Claim(ctx, agent, h.hold, h.targets, shards)
	switch {
	case errors.Is(err, contact.ErrNotFound):
		return apigw.NoContent()
	case errors.Is(err, dynamo.ErrLeaseLimit):
		return apigw.Error(http.StatusTooManyRequests, "lease_limit", "", fmt.Sprintf("you hold %d contacts already: reply to, release or escalate one first", humanqueue.MaxLeases))
	case err != nil:
		slog.ErrorContext(ctx, "claim failed", "agent", agent.Name, "tenant", agent.Tenant, "err", err)
		return unavailable()
	}
	slog.InfoContext(ctx, "contact claimed", "contact", r.ID, "agent", agent.Name, "tenant", agent.Tenant, "priority", r.Priority.String())
	h.pokeShopper(ctx, r) // "an agent joined"
	return apigw.JSON(http.StatusOK, h.withOverview(ctx, agent, map[string]any{"contact": h.viewOf(ctx, r), "lease": leaseView{lease.Token, lease.ExpiresAt}}))
}

// view shows a contact to the agent that holds its lease (X-Lease header); to anyone else it is not found.
func (h *handler) view(ctx context.Context, agent humanqueue.Agent, id, lease string) apigw.Response {
	if lease == "" || len(lease) > 128 {
		return notFound()
	}
	r, err := h.queues.View(ctx, agent, id, lease)
	if errors.Is(err, contact.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		slog.ErrorContext(ctx, "contact not read", "contact", id, "err", err)
		return unavailable()
	}
	return apigw.JSON(http.StatusOK, h.withOverview(ctx, agent, map[string]any{"contact": h.viewOf(ctx, r)}))
}

// actionBody is the body of reply, release, extend and escalate; each uses some of the fields.
type actionBody struct {
	Lease string `json:"lease"`
	Text  string `json:"text"`
	// Resolve (reply only, default true): false sends the reply and waits for the shopper's answer.
	Resolve  *bool  `json:"resolve"`
	Seconds  int    `json:"seconds"`
	Priority string `json:"priority"`
}

// maxReplyRunes bounds an agent's reply.
const maxReplyRunes = 4000

func (h *handler) act(ctx context.Context, req apigw.Request, agent humanqueue.Agent, id, action string) apigw.Response {
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
		r, err = h.queues.Reply(ctx, agent, id, b.Lease, text, b.Resolve == nil || *b.Resolve)
	case "release":
		r, err = h.queues.Release(ctx, agent, id, b.Lease)
	case "extend":
		if b.Seconds < 1 || b.Seconds > int(humanqueue.MaxHold.Seconds()) {
			return apigw.Error(http.StatusBadRequest, "invalid_field", "seconds", fmt.Sprintf("seconds must be from 1 to %d", int(humanqueue.MaxHold.Seconds())))
		}
		lease, err = h.queues.Extend(ctx, agent, id, b.Lease, time.Duration(b.Seconds)*time.Second)
		if err == nil {
			return apigw.JSON(http.StatusOK, map[string]any{"id": id, "lease": leaseView{lease.Token, lease.ExpiresAt}})
		}
	case "escalate":
		to, perr := priority.ParseQueue(b.Priority)
		if perr != nil {
			return apigw.Error(http.StatusBadRequest, "invalid_field", "priority", perr.Error())
		}
		r, err = h.queues.Escalate(ctx, agent, id, b.Lease, to)
	}
	switch {
	case errors.Is(err, contact.ErrNotFound):
		return notFound()
	case errors.Is(err, contact.ErrLease):
		return apigw.Error(http.StatusConflict, "lease_conflict", "lease", "the lease is wrong or has expired; claim the contact again")
	case errors.Is(err, contact.ErrNotHigher):
		return apigw.Error(http.StatusBadRequest, "invalid_field", "priority", err.Error())
	case err != nil:
		slog.ErrorContext(ctx, "agent action failed", "action", action, "contact", id, "agent", agent.Name, "tenant", agent.Tenant, "err", err)
		return unavailable()
	}
	slog.InfoContext(ctx, "agent action", "action", action, "contact", id, "agent", agent.Name, "tenant", agent.Tenant)
	h.pokeShopper(ctx, r) // a reply (resolved or waiting), a release or an escalation back to the queue
	return apigw.JSON(http.StatusOK, h.withOverview(ctx, agent, map[string]any{"id": r.ID, "status": r.Status, "priority": r.Priority}))
}

// registerPush stores the WebSocket connection of the agent's console (PUT /agent/push), on the agent's own
// record: a shopper's follow-up to a conversation the agent holds then pokes it (204).
func (h *handler) registerPush(ctx context.Context, req apigw.Request, agent humanqueue.Agent) apigw.Response {
	body, err := apigw.Body(req)
	if err != nil || len(body) > 1<<10 {
		return apigw.Error(http.StatusBadRequest, "invalid_body", "body", `body must be {"connectionId":"..."}`)
	}
	reg, err := contact.DecodePushRegistration(body)
	if err != nil {
		var fe *contact.FieldError
		if errors.As(err, &fe) {
			return apigw.Error(http.StatusBadRequest, "invalid_field", fe.Field, fe.Error())
		}
		return apigw.Error(http.StatusBadRequest, "invalid_body", "body", err.Error())
	}
	if err := h.queues.RegisterAgentPush(ctx, agent, reg.ConnectionID); err != nil {
		slog.ErrorContext(ctx, "push connection not registered", "agent", agent.Name, "tenant", agent.Tenant, "err", err)
		return unavailable()
	}
	return apigw.NoContent()
}

// pokeShopper tells the page following r that its conversation changed. Best effort: a lost poke shows at the
// page's safety poll, and a connection found gone is dropped.
func (h *handler) pokeShopper(ctx context.Context, r contact.Record) {
	if h.push == nil || r.PushConn == "" {
		return
	}
	if h.push.Poke(ctx, r.PushConn, r.ID) == push.Gone {
		if err := h.queues.DropShopperPush(ctx, r.ID, r.PushConn); err != nil {
			slog.DebugContext(ctx, "gone push connection not dropped", "contact", r.ID, "err", err)
		}
	}
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

// notFound is the answer for an unknown contact, another tenant's, and one the agent holds no lease on: the same
// for all three, so an agent cannot learn that another tenant's contact exists.
func notFound() apigw.Response {
	return apigw.Error(http.StatusNotFound, "not_found", "", "no such contact")
}

func unavailable() apigw.Response {
	r := apigw.Error(http.StatusServiceUnavailable, "unavailable", "", "try again in a few seconds")
	r.Headers["Retry-After"] = "2"
	return r
}
