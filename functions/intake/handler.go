package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"breakwater/shared/aws/apigw"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
)

// store is the part of *dynamo.Contacts the intake uses.
type store interface {
	NoteShopper(ctx context.Context, c contact.Contact, idemKey string) (bool, error)
	Accept(ctx context.Context, c contact.Contact, token, idemKey string) (contact.Accepted, error)
	Withdraw(ctx context.Context, c contact.Contact, idemKey string) error
	Get(ctx context.Context, id string) (contact.Record, error)
	Position(ctx context.Context, r contact.Record) (int, error)
}

// intakeQueue is the part of *queue.Intake the intake uses.
type intakeQueue interface {
	Send(ctx context.Context, c contact.Contact) error
}

type handler struct {
	store store
	queue intakeQueue
	page  []byte
	pageH map[string]string
	now   func() time.Time
	// handleSeconds is the average time an agent spends on a contact, for the wait estimate.
	handleSeconds int
	// agents is how many agents are assumed to work the queues when none is known to be busy.
	agents int
	// margin is kept free before the Lambda deadline, so a contact that could not be queued is still withdrawn
	// (and the shopper told to retry) before the function would be cut off with the contact half accepted.
	margin time.Duration
}

func (h *handler) handle(ctx context.Context, req apigw.Request) (apigw.Response, error) {
	if deadline, ok := ctx.Deadline(); ok && h.margin > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-h.margin))
		defer cancel()
	}
	switch apigw.Route(req) {
	case "GET /":
		return apigw.Page(h.page, h.pageH), nil
	case "POST /contacts":
		return h.post(ctx, req), nil
	case "GET /contacts/{id}":
		return h.get(ctx, req), nil
	}
	if req.RequestContext.HTTP.Method == http.MethodGet && contactPath.MatchString(req.RawPath) {
		req.PathParameters = map[string]string{"id": contactPath.FindStringSubmatch(req.RawPath)[1]}
		return h.get(ctx, req), nil
	}
	return apigw.Error(http.StatusNotFound, "not_found", "", "no such route"), nil
}

var contactPath = regexp.MustCompile(`^/contacts/([^/]+)$`)

var idemKeyPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,128}$`)

type accepted struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Token  string `json:"token"`
}

func (h *handler) post(ctx context.Context, req apigw.Request) apigw.Response {
	body, err := apigw.Body(req)
	if err != nil {
		return apigw.Error(http.StatusBadRequest, "invalid_body", "body", "body is not valid base64")
	}
	idemKey := apigw.Header(req, "Idempotency-Key")
	if idemKey != "" && !idemKeyPattern.MatchString(idemKey) {
		return apigw.Error(http.StatusBadRequest, "invalid_header", "Idempotency-Key", "must be 8-128 letters, digits or . _ : -")
	}
	r, err := contact.Decode(body)
	if err == nil {
		var c contact.Contact
		c, err = contact.New(r, h.now())
		if err == nil {
			return h.accept(ctx, c, idemKey)
		}
	}
	var fe *contact.FieldError
	switch {
	case errors.Is(err, contact.ErrTooLarge):
		return apigw.Error(http.StatusRequestEntityTooLarge, "too_large", "body", "the request body is larger than 16 KiB")
	case errors.As(err, &fe):
		return apigw.Error(http.StatusBadRequest, "invalid_field", fe.Field, fe.Error())
	}
	return apigw.Error(http.StatusBadRequest, "invalid_body", "body", err.Error())
}

func (h *handler) accept(ctx context.Context, c contact.Contact, idemKey string) apigw.Response {
	c.ID = contact.NewID()
	token := contact.NewSecret()
	c.TokenHash = contact.HashSecret(token)
	repeat, err := h.store.NoteShopper(ctx, c, idemKey)
	if err != nil {
		// Repeat detection only raises priority; a contact is worth more than the raise.
		slog.WarnContext(ctx, "repeat contact check failed", "contact", c.ID, "err", err)
	}
	if repeat {
		c.Recent = 1
	}
	got, err := h.store.Accept(ctx, c, token, idemKey)
	if err != nil {
		slog.ErrorContext(ctx, "contact not stored", "contact", c.ID, "err", err)
		return unavailable()
	}
	if got.Replay {
		return h.replay(ctx, got, idemKey)
	}
	if err := h.queue.Send(ctx, c); err != nil {
		slog.ErrorContext(ctx, "contact not queued; withdrawing it", "contact", c.ID, "err", err)
		wctx, cancel := h.afterDeadline(ctx)
		defer cancel()
		werr := h.store.Withdraw(wctx, c, idemKey)
		switch {
		case errors.Is(werr, contact.ErrSettled):
			// SQS took the message although its answer was lost, and the responder has settled the contact.
			slog.InfoContext(ctx, "contact queued after all", "contact", c.ID)
			return apigw.JSON(http.StatusAccepted, accepted{ID: c.ID, Status: string(contact.Pending), Token: token})
		case werr != nil:
			slog.ErrorContext(ctx, "contact not withdrawn; it stays pending until TTL", "contact", c.ID, "err", werr)
		}
		return unavailable()
	}
	slog.InfoContext(ctx, "contact accepted", "contact", c.ID, "merchant", c.Merchant, "locale", c.Locale, "repeat", repeat)
	return apigw.JSON(http.StatusAccepted, accepted{ID: c.ID, Status: string(contact.Pending), Token: token})
}

// afterDeadline is a context for clean-up once ctx has run out: it lasts the margin kept before the Lambda deadline.
func (h *handler) afterDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.margin <= 0 {
		return context.WithoutCancel(ctx), func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), h.margin*3/4)
}

// replay answers a repeated post with the first contact. The first attempt may have died between storing the
// contact and queueing it (a function timeout, a lost answer from SQS), so a contact still pending is queued again:
// the responder settles a contact once however often it is delivered, and a 202 must never leave a contact unqueued.
func (h *handler) replay(ctx context.Context, got contact.Accepted, idemKey string) apigw.Response {
	first, err := h.store.Get(ctx, got.ID)
	if err != nil {
		slog.ErrorContext(ctx, "replayed contact not read", "contact", got.ID, "err", err)
		return unavailable()
	}
	switch first.Status {
	case contact.Withdrawn:
		// The key outlived its contact's withdrawal; clear it so the next attempt is accepted afresh.
		if err := h.store.Withdraw(ctx, first.Contact, idemKey); err != nil && !errors.Is(err, contact.ErrSettled) {
			slog.ErrorContext(ctx, "idempotency key of a withdrawn contact not cleared", "contact", got.ID, "err", err)
		}
		return unavailable()
	case contact.Pending:
		if err := h.queue.Send(ctx, first.Contact); err != nil {
			slog.ErrorContext(ctx, "replayed contact not queued", "contact", got.ID, "err", err)
			return unavailable()
		}
	}
	slog.InfoContext(ctx, "contact replayed", "contact", got.ID, "status", first.Status)
	return apigw.JSON(http.StatusAccepted, accepted{ID: got.ID, Status: string(contact.Pending), Token: got.Token})
}

func unavailable() apigw.Response {
	r := apigw.Error(http.StatusServiceUnavailable, "unavailable", "", "the contact was not accepted; please try again in a few seconds")
	r.Headers["Retry-After"] = "2"
	return r
}

type status struct {
	ID     string         `json:"id"`
	Status contact.Status `json:"status"`
	Answer string         `json:"answer,omitempty"`
	// AnsweredBy is "bot" for a template answer and "agent" for a person's.
	AnsweredBy string         `json:"answeredBy,omitempty"`
	Queue      *contact.Place `json:"queue,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Menu       []string       `json:"menu,omitempty"`
}

var notFound = apigw.Error(http.StatusNotFound, "not_found", "", "no contact with that id and token")

func (h *handler) get(ctx context.Context, req apigw.Request) apigw.Response {
	id, token := req.PathParameters["id"], apigw.Header(req, "X-Contact-Token")
	if id == "" || token == "" || len(id) > 64 || len(token) > 128 {
		return notFound
	}
	r, err := h.store.Get(ctx, id)
	if errors.Is(err, contact.ErrNotFound) || (err == nil && (!contact.SecretMatches(token, r.TokenHash) || r.Status == contact.Withdrawn)) {
		return notFound
	}
	if err != nil {
		slog.ErrorContext(ctx, "contact not read", "contact", id, "err", err)
		return unavailable()
	}
	st := status{ID: r.ID, Status: r.Status}
	switch r.Status {
	case contact.Answered, contact.Resolved:
		st.Answer = r.Answer
		st.AnsweredBy = "agent"
		if r.AnsweredBy == "bot" {
			st.AnsweredBy = "bot"
		}
		if r.Declined {
			st.Menu = intent.Intents // the decline lists what the bot can help with; the page offers it as topics
		}
	case contact.Rejected:
		st.Reason = r.Reject
	case contact.Queued, contact.Claimed:
		st.Queue = h.queueView(ctx, r)
		if onlyNoMatch(r.Reasons) {
			st.Menu = intent.Intents
		}
	}
	return apigw.JSON(http.StatusOK, st)
}

func (h *handler) queueView(ctx context.Context, r contact.Record) *contact.Place {
	q := &contact.Place{Priority: r.Priority}
	if r.Status != contact.Queued {
		return q
	}
	pos, err := h.store.Position(ctx, r)
	if err != nil {
		slog.WarnContext(ctx, "queue position not read", "contact", r.ID, "err", err)
		return q
	}
	// Everyone ahead, and this contact, take an average handle time each, spread over the agents on shift.
	pos1 := pos + 1
	wait := pos1 * h.handleSeconds / max(1, h.agents)
	q.Position, q.EstimatedWaitSeconds = &pos1, &wait
	return q
}

// onlyNoMatch reports whether nothing but "no template fits" sent the contact to a person; the priority labels that
// ride along (tier, order amount, repeat contact) do not count, so such a shopper is offered the menu of topics.
func onlyNoMatch(reasons []string) bool {
	noMatch := false
	for _, r := range reasons {
		switch {
		case r == intent.NoMatch:
			noMatch = true
		case intent.KnownReason(r):
			return false
		}
	}
	return noMatch
}
