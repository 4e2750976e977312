package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"breakwater/shared/aws/apigw"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/push"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/storefront"
	"breakwater/shared/topology"
)

// store is the part of *dynamo.Contacts the intake uses.
type store interface {
	NoteShopper(ctx context.Context, c contact.Contact, idemKey string) (dynamo.Note, error)
	Remember(ctx context.Context, c contact.Contact, note dynamo.Note, joined bool) error
	Open(ctx context.Context, ids []string) (int, error)
	Join(ctx context.Context, id string, c contact.Contact, tokenHash string) (bool, error)
	Accept(ctx context.Context, c contact.Contact, token, idemKey, bodyHash string) (contact.Accepted, error)
	Withdraw(ctx context.Context, c contact.Contact, idemKey string) error
	Get(ctx context.Context, id string) (contact.Record, error)
	Position(ctx context.Context, r contact.Record, shards int) (int, error)
	Staffing(ctx context.Context, tenant string, locale contact.Locale) (int, time.Duration, error)
	Thread(ctx context.Context, id, cursor string) ([]contact.Message, error)
	Post(ctx context.Context, r contact.Record, text, clientID string) (dynamo.Posted, error)
	Feedback(ctx context.Context, r contact.Record, f contact.Feedback) (dynamo.Posted, error)
	RegisterShopperPush(ctx context.Context, id, conn string) error
	HolderPush(ctx context.Context, id string) (conn, tenant, agent string, err error)
	DropAgentPush(ctx context.Context, tenant, agent, conn string) error
}

// pusher is the part of *push.Pusher the intake uses: it pokes the console of the agent holding a conversation.
type pusher interface {
	Poke(ctx context.Context, conn, id string) push.Result
}

// intakeQueue is the part of *queue.Intake the intake uses.
type intakeQueue interface {
	Send(ctx context.Context, c contact.Contact) error
	SendTurn(ctx context.Context, id, seq string) error
}

type handler struct {
	store   store
	queue   intakeQueue
	metrics *emf.Writer
	// push pokes the holding agent's console when the shopper writes; nil when push is off.
	push pusher
	// keys are the merchants' storefront signing keys.
	keys  storefront.Keyring
	page  []byte
	pageH map[string]string
	now   func() time.Time
	// handleSeconds is the average time an agent spends on a contact, for the wait estimate until one is measured.
	handleSeconds int
	staffing      staffingCache
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
	case "POST /contacts/{id}/messages":
		return h.message(ctx, req), nil
	case "POST /contacts/{id}/feedback":
		return h.feedback(ctx, req), nil
	case "PUT /contacts/{id}/push":
		return h.registerPush(ctx, req), nil
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
	// Joined: the post was added to the shopper's open contact (same id) instead of making a new one.
	Joined bool `json:"joined,omitempty"`
}

func (h *handler) post(ctx context.Context, req apigw.Request) apigw.Response {
	// Only JSON: a cross-site form (text/plain, urlencoded, multipart) cannot post contacts from a visitor's browser.
	if !isJSON(req) {
		return apigw.Error(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type", "send the contact as Content-Type: application/json")
	}
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
			h.verify(ctx, &c, r.Identity)
			sum := sha256.Sum256(body)
			return h.accept(ctx, c, idemKey, hex.EncodeToString(sum[:]))
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

// verify checks the storefront's signature of c's shopper. Signed and valid: the tier and the order (its amount
// in its currency) are the merchant's word, and c is Verified. Otherwise c is anonymous: standard tier, and its
// order is shown to agents as unverified and raises nothing. The contact is accepted either way.
func (h *handler) verify(ctx context.Context, c *contact.Contact, identity string) {
	c.Shopper.Tier, c.Verified = contact.Standard, false
	if identity == "" || h.keys == nil {
		return
	}
	claims, err := storefront.Verify(ctx, h.keys, c.Merchant, c.Shopper.ID, identity, h.now())
	if err != nil {
		// The reason, never the token: it is a credential.
		slog.WarnContext(ctx, "storefront signature not accepted; shopper treated as anonymous", "merchant", c.Merchant, "err", err)
		return
	}
	c.Verified = true
	c.Shopper.Tier = contact.Standard
	if t := contact.Tier(strings.ToLower(claims.Tier)); slices.Contains(contact.Tiers, t) {
		c.Shopper.Tier = t
	}
	if o := claims.Order; o != nil {
		if c.Context == nil {
			c.Context = &contact.Context{}
		}
		if c.Context.Order == nil {
			c.Context.Order = &contact.Order{}
		}
		c.Context.Order.Amount, c.Context.Order.Currency = o.Amount, strings.ToUpper(o.Currency)
		if o.ID != "" {
			c.Context.Order.ID = o.ID
		}
	}
}

func (h *handler) accept(ctx context.Context, c contact.Contact, idemKey, bodyHash string) apigw.Response {
	c.ID = contact.NewID()
	token := contact.NewSecret()
	c.TokenHash = contact.HashSecret(token)
	note, err := h.store.NoteShopper(ctx, c, idemKey)
	if err != nil {
		// Repeat detection only raises priority and joins; a contact is worth more than either.
		slog.WarnContext(ctx, "repeat contact check failed", "contact", c.ID, "err", err)
	}
	if note.Repeat {
		c.Recent = 1
	}
	// A verified shopper who writes again while a contact is still open joins it: one conversation, one place in
	// the queue, no second boost. An anonymous one cannot: anyone could claim that shopper's id.
	if c.Verified && note.Last != "" && idemKey == "" {
		joined, err := h.store.Join(ctx, note.Last, c, c.TokenHash)
		if err != nil {
			slog.WarnContext(ctx, "join of an open contact failed; accepting a new one", "contact", note.Last, "err", err)
		}
		if joined {
			slog.InfoContext(ctx, "follow-up joined an open contact", "contact", note.Last, "merchant", c.Merchant)
			if err := h.store.Remember(ctx, c, note, true); err != nil {
				slog.WarnContext(ctx, "joined post not remembered for repeats", "contact", note.Last, "err", err)
			}
			h.threadJoined(ctx, note.Last, c.Text)
			return apigw.JSON(http.StatusAccepted, accepted{ID: note.Last, Status: string(contact.Pending), Token: token, Joined: true})
		}
	}
	if len(note.Recent) >= dynamo.MaxOpen && idemKey == "" {
		open, err := h.store.Open(ctx, note.Recent)
		if err == nil && open >= dynamo.MaxOpen {
			r := apigw.Error(http.StatusTooManyRequests, "too_many_open", "", fmt.Sprintf("you have %d open contacts with this shop; please wait for an answer", open))
			r.Headers["Retry-After"] = "60"
			return r
		}
	}
	got, err := h.store.Accept(ctx, c, token, idemKey, bodyHash)
	if errors.Is(err, dynamo.ErrIdempotencyMismatch) {
		return apigw.Error(http.StatusUnprocessableEntity, "idempotency_mismatch", "Idempotency-Key", "this key was used for a different request: use a new key for a new contact")
	}
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
	if err := h.store.Remember(ctx, c, note, false); err != nil {
		slog.WarnContext(ctx, "contact not remembered for joins and limits", "contact", c.ID, "err", err)
	}
	slog.InfoContext(ctx, "contact accepted", "contact", c.ID, "merchant", c.Merchant, "locale", c.Locale, "repeat", note.Repeat, "verified", c.Verified)
	return apigw.JSON(http.StatusAccepted, accepted{ID: c.ID, Status: string(contact.Pending), Token: token})
}

// threadJoined adds the text of a post that joined open contact id to its thread, as a follow-up message would
// be, so that the pages and the agent see it in order (the join itself keeps it on the contact too). The bot gets
// the turn when no person holds the conversation. Best effort: the join has already succeeded.
func (h *handler) threadJoined(ctx context.Context, id, text string) {
	r, err := h.store.Get(ctx, id)
	if err == nil {
		var p dynamo.Posted
		if p, err = h.store.Post(ctx, r, text, ""); err == nil && p.To == dynamo.ToBot {
			err = h.queue.SendTurn(ctx, id, p.Message.ID)
		}
		if err == nil && p.To == dynamo.ToPerson && p.Status == contact.Claimed {
			h.pokeHolder(ctx, id)
		}
	}
	if err != nil {
		slog.WarnContext(ctx, "joined post not added to the thread; it stays on the contact", "contact", id, "err", err)
	}
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
	// Messages is the conversation after the cursor the page sent (?after=), in order; Cursor is the id of the
	// last message, to send next time so that only what is new comes back.
	Messages []contact.Message `json:"messages"`
	Cursor   string            `json:"cursor,omitempty"`
	// NextPollMs is when the page should ask again (0: not until the shopper writes again).
	NextPollMs int64 `json:"nextPollMs"`
	// Rated is the shopper's rating, once given.
	Rated int `json:"rated,omitempty"`
}

var notFound = apigw.Error(http.StatusNotFound, "not_found", "", "no contact with that id and token")

// readable returns the contact that path id names, when the X-Contact-Token header may read it; otherwise the
// response to give.
func (h *handler) readable(ctx context.Context, req apigw.Request) (contact.Record, *apigw.Response) {
	id, token := req.PathParameters["id"], apigw.Header(req, "X-Contact-Token")
	if id == "" || token == "" || len(id) > 64 || len(token) > 128 {
		return contact.Record{}, &notFound
	}
	r, err := h.store.Get(ctx, id)
	if errors.Is(err, contact.ErrNotFound) || (err == nil && (!r.ReadableWith(token) || r.Status == contact.Withdrawn)) {
		return contact.Record{}, &notFound
	}
	if err != nil {
		slog.ErrorContext(ctx, "contact not read", "contact", id, "err", err)
		u := unavailable()
		return contact.Record{}, &u
	}
	return r, nil
}

var cursorPattern = regexp.MustCompile(`^[0-9]{13}#[A-Za-z0-9_#-]{1,40}$`)

func (h *handler) get(ctx context.Context, req apigw.Request) apigw.Response {
	cursor := req.QueryStringParameters["after"]
	if cursor != "" && !cursorPattern.MatchString(cursor) {
		return apigw.Error(http.StatusBadRequest, "invalid_query", "after", "after must be a cursor this API returned")
	}
	r, resp := h.readable(ctx, req)
	if resp != nil {
		return *resp
	}
	st := status{ID: r.ID, Status: r.Status, Rated: r.Rating}
	switch r.Status {
	case contact.Answered, contact.Resolved, contact.Waiting:
		st.Answer = r.Answer
		st.AnsweredBy = "agent"
		if r.AnsweredBy == "bot" {
			st.AnsweredBy = "bot"
		}
		if r.Declined && r.Status == contact.Answered {
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
	stored, err := h.store.Thread(ctx, r.ID, max(cursor, contact.AnswerID))
	if err != nil {
		slog.WarnContext(ctx, "thread not read", "contact", r.ID, "err", err)
	}
	st.Messages = contact.After(r.Thread(stored), cursor)
	if st.Messages == nil {
		st.Messages = []contact.Message{}
	}
	st.Cursor = cursor
	if n := len(st.Messages); n > 0 {
		st.Cursor = st.Messages[n-1].ID
	}
	var wait *int
	if st.Queue != nil {
		wait = st.Queue.EstimatedWaitSeconds
	}
	st.NextPollMs = contact.NextPoll(r.Status, wait).Milliseconds()
	return apigw.JSON(http.StatusOK, st)
}

// jsonOnly refuses a body that is not JSON: a cross-site form cannot post to the shopper's routes.
// isJSON reports whether req says its body is JSON (parameters such as charset aside).
func isJSON(req apigw.Request) bool {
	return strings.ToLower(strings.TrimSpace(strings.SplitN(apigw.Header(req, "Content-Type"), ";", 2)[0])) == "application/json"
}

func jsonOnly(req apigw.Request) ([]byte, *apigw.Response) {
	if !isJSON(req) {
		r := apigw.Error(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type", "send Content-Type: application/json")
		return nil, &r
	}
	body, err := apigw.Body(req)
	if err != nil {
		r := apigw.Error(http.StatusBadRequest, "invalid_body", "body", "body is not valid base64")
		return nil, &r
	}
	if len(body) > contact.MaxBodyBytes {
		r := apigw.Error(http.StatusRequestEntityTooLarge, "too_large", "body", "the request body is too large")
		return nil, &r
	}
	return body, nil
}

func fieldError(err error) apigw.Response {
	var fe *contact.FieldError
	if errors.As(err, &fe) {
		return apigw.Error(http.StatusBadRequest, "invalid_field", fe.Field, fe.Error())
	}
	return apigw.Error(http.StatusBadRequest, "invalid_body", "body", err.Error())
}

type postedView struct {
	ID        string         `json:"id"`
	MessageID string         `json:"messageId"`
	Status    contact.Status `json:"status"`
	Duplicate bool           `json:"duplicate,omitempty"`
}

// message adds the shopper's follow-up to the conversation (202). The bot answers it when no person holds the
// conversation; otherwise it joins the thread the person reads. A repeat of the same clientMessageId is the same
// message.
func (h *handler) message(ctx context.Context, req apigw.Request) apigw.Response {
	body, resp := jsonOnly(req)
	if resp != nil {
		return *resp
	}
	post, err := contact.DecodeMessagePost(body)
	if err != nil {
		return fieldError(err)
	}
	r, resp := h.readable(ctx, req)
	if resp != nil {
		return *resp
	}
	p, err := h.store.Post(ctx, r, post.Text, post.ClientMessageID)
	return h.posted(ctx, r, p, err, "message")
}

// feedback records "that did not help" on the bot's answer (a person takes over) or a rating of the conversation.
func (h *handler) feedback(ctx context.Context, req apigw.Request) apigw.Response {
	body, resp := jsonOnly(req)
	if resp != nil {
		return *resp
	}
	f, err := contact.DecodeFeedback(body)
	if err != nil {
		return fieldError(err)
	}
	r, resp := h.readable(ctx, req)
	if resp != nil {
		return *resp
	}
	p, err := h.store.Feedback(ctx, r, f)
	if err == nil && f.Rating > 0 {
		by := "agent"
		if r.AnsweredBy == "bot" {
			by = "bot"
		}
		// Per intent and per who answered; the merchant rides along for Logs Insights (one custom metric per
		// merchant would cost more than the product at a platform's scale).
		props := map[string]string{topology.DimensionBy: by, topology.DimensionIntent: cmp.Or(r.Intent, "none"), "Merchant": r.Merchant}
		if merr := h.metrics.EmitSets([][]string{{topology.DimensionBy}, {topology.DimensionIntent}}, props, emf.None, map[string]float64{topology.MetricRating: float64(f.Rating)}); merr != nil {
			slog.WarnContext(ctx, "rating metric not written", "err", merr)
		}
	}
	return h.posted(ctx, r, p, err, "feedback")
}

// posted answers a stored message or feedback, and hands the conversation's new turn to the responder.
func (h *handler) posted(ctx context.Context, r contact.Record, p dynamo.Posted, err error, what string) apigw.Response {
	switch {
	case errors.Is(err, dynamo.ErrClosed):
		return apigw.Error(http.StatusConflict, "conversation_closed", "", "this conversation is closed; please start a new one")
	case errors.Is(err, dynamo.ErrNoAnswer):
		return apigw.Error(http.StatusConflict, "nothing_to_rate", "", "there is no answer to give this feedback on yet")
	case err != nil:
		slog.ErrorContext(ctx, what+" not stored", "contact", r.ID, "err", err)
		return unavailable()
	}
	if p.To == dynamo.ToBot && !p.Duplicate {
		if err := h.queue.SendTurn(ctx, r.ID, p.Message.ID); err != nil {
			// Stored but not queued: the shopper's retry (same clientMessageId) or next message queues the turn;
			// until then the conversation waits in pending.
			slog.ErrorContext(ctx, what+" stored but not queued for the bot", "contact", r.ID, "err", err)
			return unavailable()
		}
	}
	if p.Duplicate && p.Status == contact.Pending {
		// The first post may have died before its turn was queued: queue it again (the responder answers a turn once).
		if cur, err := h.store.Get(ctx, r.ID); err == nil && cur.Turn != "" {
			if err := h.queue.SendTurn(ctx, r.ID, cur.Turn); err != nil {
				slog.ErrorContext(ctx, "repeated "+what+" not queued for the bot", "contact", r.ID, "err", err)
				return unavailable()
			}
		}
	}
	if p.To == dynamo.ToPerson && p.Status == contact.Claimed && !p.Duplicate {
		h.pokeHolder(ctx, r.ID) // an agent holds it (a post to a waiting one whose agent still holds the lease is claimed again)
	}
	slog.InfoContext(ctx, what+" accepted", "contact", r.ID, "to", p.To, "status", p.Status, "duplicate", p.Duplicate)
	return apigw.JSON(http.StatusAccepted, postedView{ID: r.ID, MessageID: p.Message.ID, Status: p.Status, Duplicate: p.Duplicate})
}

// registerPush stores the WebSocket connection of the page following a conversation (PUT /contacts/{id}/push,
// X-Contact-Token as for reading it): from then on an agent's claim, reply or release pokes that socket (204).
func (h *handler) registerPush(ctx context.Context, req apigw.Request) apigw.Response {
	body, resp := jsonOnly(req)
	if resp != nil {
		return *resp
	}
	reg, err := contact.DecodePushRegistration(body)
	if err != nil {
		return fieldError(err)
	}
	r, resp := h.readable(ctx, req)
	if resp != nil {
		return *resp
	}
	err = h.store.RegisterShopperPush(ctx, r.ID, reg.ConnectionID)
	switch {
	case errors.Is(err, contact.ErrNotFound):
		return notFound
	case err != nil:
		slog.ErrorContext(ctx, "push connection not registered", "contact", r.ID, "err", err)
		return unavailable()
	}
	return apigw.NoContent()
}

// pokeHolder tells the console of the agent holding conversation id that the shopper wrote. Best effort: a lost
// poke shows at the console's safety re-read, and a connection found gone is dropped.
func (h *handler) pokeHolder(ctx context.Context, id string) {
	if h.push == nil {
		return
	}
	conn, tenant, agent, err := h.store.HolderPush(ctx, id)
	if err != nil {
		slog.DebugContext(ctx, "holder's push connection not read", "contact", id, "err", err)
		return
	}
	if h.push.Poke(ctx, conn, id) == push.Gone {
		if err := h.store.DropAgentPush(ctx, tenant, agent, conn); err != nil {
			slog.DebugContext(ctx, "gone push connection not dropped", "contact", id, "err", err)
		}
	}
}

func (h *handler) queueView(ctx context.Context, r contact.Record) *contact.Place {
	q := &contact.Place{Priority: r.Priority}
	if r.Status != contact.Queued {
		return q
	}
	pos, err := h.store.Position(ctx, r, r.Shards)
	if err != nil {
		slog.WarnContext(ctx, "queue position not read", "contact", r.ID, "err", err)
		return q
	}
	pos1 := pos + 1
	q.Position = &pos1
	agents, handle, err := h.staffing.get(ctx, r.Tenant, r.Locale, func(ctx context.Context) (int, time.Duration, error) {
		return h.store.Staffing(ctx, r.Tenant, r.Locale)
	})
	if err != nil {
		slog.WarnContext(ctx, "staffing not read", "contact", r.ID, "err", err)
		return q
	}
	q.AgentsOnline = &agents
	if agents == 0 {
		return q // no agent of this team who speaks the shopper's language is working: no number is honest
	}
	if handle <= 0 {
		handle = time.Duration(h.handleSeconds) * time.Second // none resolved lately: the configured average
	}
	// Everyone ahead, and this contact, take the measured handle time each, spread over the agents at work.
	wait := int(math.Ceil(float64(pos1) * handle.Seconds() / float64(agents)))
	q.EstimatedWaitSeconds = &wait
	return q
}

// staffingCache keeps each team's measured staffing for a while per instance: a peak's status polls read it once
// per ttl per team and language, not once per poll.
type staffingCache struct {
	ttl time.Duration
	mu  sync.Mutex
	at  map[string]staffingEntry
}

type staffingEntry struct {
	agents int
	handle time.Duration
	read   time.Time
}

func (c *staffingCache) get(ctx context.Context, tenant string, locale contact.Locale, read func(context.Context) (int, time.Duration, error)) (int, time.Duration, error) {
	k := tenant + "#" + string(locale)
	c.mu.Lock()
	e, ok := c.at[k]
	c.mu.Unlock()
	// "Nobody at work" is kept only briefly: the first agent to start should show in the next poll or two.
	if ok && (time.Since(e.read) < c.ttl && e.agents > 0 || time.Since(e.read) < 2*time.Second) {
		return e.agents, e.handle, nil
	}
	agents, handle, err := read(ctx)
	if err != nil {
		return 0, 0, err
	}
	c.mu.Lock()
	if c.at == nil {
		c.at = map[string]staffingEntry{}
	}
	c.at[k] = staffingEntry{agents: agents, handle: handle, read: time.Now()}
	c.mu.Unlock()
	return agents, handle, nil
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
