package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/contact"
	"breakwater/shared/conversation"
	"breakwater/shared/intent"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
)

// turn answers the open turn of a conversation: the shopper's follow-up, or the "that didn't help" they gave.
// The bot answers what it can with the thread in view (a thank-you, the order number it asked for, a new routine
// question); everything else goes to a person, who sees the whole thread. A turn answered already, or replaced by
// a newer one, is skipped: the newer one answers the whole thread.
func (h *handler) turn(ctx context.Context, tri *triage.Triage, t intakequeue.Turn, now time.Time) error {
	rec, err := h.store.Get(ctx, t.Contact)
	if errors.Is(err, contact.ErrNotFound) {
		slog.WarnContext(ctx, "turn of an unknown contact dropped", "contact", t.Contact)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read conversation: %w", err)
	}
	if rec.Turn != t.Seq || rec.Status != contact.Pending {
		return nil // answered already, or a newer turn will be
	}
	stored, err := h.store.Thread(ctx, rec.ID, "")
	if err != nil {
		return fmt.Errorf("read thread: %w", err)
	}
	thread := rec.Thread(stored)
	next := rec
	next.UpdatedAt = now
	var (
		reply *contact.Message
		event string
	)
	handOff := func(reasons ...string) {
		c := rec.Contact
		c.Text = conversation.Pending(thread)
		if c.Text == "" {
			c.Text = rec.Text
		}
		d := tri.HandOff(c, reasons...)
		d.Intent, d.Template = rec.Intent, rec.Template
		apply(tri, &next, d, now)
		event = contact.EventQueued
	}
	answerWith := func(d triage.Decision, c contact.Contact) {
		next.Contact.Context = c.Context
		apply(tri, &next, d, now)
		if next.Status == contact.Answered {
			reply = &contact.Message{ID: contact.ReplyID(t.Seq), From: contact.FromBot, Text: next.Answer, At: now, Intent: next.Intent, Ask: next.Asked}
		} else {
			event = contact.EventQueued
		}
	}
	lastShopper := ""
	for i := len(thread) - 1; i >= 0; i-- {
		if thread[i].From == contact.FromShopper {
			lastShopper = thread[i].Text
			break
		}
	}
	lastBot, botSpoke := conversation.LastBot(thread)
	askedOrder := botSpoke && lastBot.Ask && lastBot.Intent == "order.track"
	switch read := conversation.Read(lastShopper, askedOrder); {
	case rec.Unhelpful && t.Seq > lastShopperID(thread):
		// "That didn't help" on the bot's answer: a person, who sees that answer in the thread.
		handOff(intent.Unhelpful)
	case read.Move == conversation.Unhelpful:
		handOff(intent.Unhelpful)
		next.Unhelpful = true
	case read.Move == conversation.Thanks && botSpoke:
		next.Status, next.Answer, next.AnsweredBy, next.Declined, next.Asked = contact.Answered, conversation.Reply(rec.Locale), "bot", false, false
		reply = &contact.Message{ID: contact.ReplyID(t.Seq), From: contact.FromBot, Text: next.Answer, At: now}
	case read.Move == conversation.OrderNumber:
		order, ok := rec.OrderByID(read.Order)
		tpl, found := tri.Template(rec.Template)
		if !ok || !found {
			handOff(intent.OrderUnknown)
			break
		}
		c := rec.Contact
		ctxCopy := contact.Context{}
		if c.Context != nil {
			ctxCopy = *c.Context
		}
		ctxCopy.Order = &order
		c.Context = &ctxCopy
		text, err := tpl.Render(c)
		if err != nil || len(tpl.Missing(c)) > 0 {
			handOff(intent.OrderUnknown)
			break
		}
		answerWith(triage.Decision{Auto: true, Answer: text, Intent: tpl.Intent, Template: tpl.ID, Confidence: 1}, c)
	default:
		c := rec.Contact
		c.Text, c.Topic = conversation.Pending(thread), ""
		if c.Text == "" {
			c.Text = lastShopper
		}
		answerWith(tri.Decide(c, now), c)
	}
	if reply != nil {
		next.Turn = ""
	}
	dup, err := h.store.SettleTurn(ctx, t.Seq, dynamo.Answered{Record: next, Reply: reply, Event: event})
	if err != nil {
		return err
	}
	if dup {
		return nil
	}
	h.countTurn(ctx, next)
	return nil
}

// lastShopperID is the id of the shopper's latest message in thread.
func lastShopperID(thread []contact.Message) string {
	for i := len(thread) - 1; i >= 0; i-- {
		if thread[i].From == contact.FromShopper {
			return thread[i].ID
		}
	}
	return ""
}

// countTurn writes the metrics of one answered turn: follow-ups the bot answered or handed on, and bot answers the
// shopper said did not help (per intent, with the merchant named in the record for Logs Insights). A turn's
// hand-off is not counted in ContactsQueued, which counts contacts, so the auto-answer rate stays per contact.
func (h *handler) countTurn(ctx context.Context, r contact.Record) {
	by := map[string]float64{topology.MetricFollowUps: 1}
	if r.Status == contact.Queued {
		by = map[string]float64{topology.MetricFollowUpsHandedOff: 1}
	}
	err := h.metrics.Emit(nil, emf.Count, by)
	if slices.Contains(r.Reasons, intent.Unhelpful) {
		err = errors.Join(err, h.metrics.EmitSets([][]string{{topology.DimensionIntent}, {}},
			map[string]string{topology.DimensionIntent: cmp.Or(r.Intent, "none"), "Merchant": r.Merchant}, emf.Count, map[string]float64{topology.MetricUnhelpful: 1}))
	}
	if err != nil {
		slog.WarnContext(ctx, "metrics not written", "err", err)
	}
	slog.InfoContext(ctx, "turn answered", "contact", r.ID, "status", r.Status, "reasons", r.Reasons)
}
