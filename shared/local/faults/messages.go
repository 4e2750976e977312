package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
	"breakwater/shared/topology"
)

// Said is what became of one follow-up a shopper posted to a conversation.
type Said struct {
	Contact, Token, Text, ClientID string
	// Accepted is true once a post answered 202; Attempts counts the posts.
	Accepted bool
	Attempts int
	// LastStatus is the HTTP status of the last post.
	LastStatus int
}

// Say posts text to conversation id as the shopper's page does: on a 5xx or a broken connection it waits and
// posts again with the same clientMessageId, up to attempts times.
func (r *Rig) Say(ctx context.Context, id, token, text, clientID string, attempts int) Said {
	s := Said{Contact: id, Token: token, Text: text, ClientID: clientID}
	body, _ := json.Marshal(map[string]string{"text": text, "clientMessageId": clientID})
	for s.Attempts < attempts && ctx.Err() == nil {
		s.Attempts++
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Stack.URL+"/contacts/"+id+"/messages", bytes.NewReader(body))
		if err != nil {
			return s
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Contact-Token", token)
		resp, err := r.http.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s.LastStatus = resp.StatusCode
			if resp.StatusCode == http.StatusAccepted {
				s.Accepted = true
				return s
			}
			if resp.StatusCode < 500 {
				return s
			}
		}
		backoff(ctx, s.Attempts)
	}
	return s
}

// MessageLedger is the accounting of the follow-ups of a run: every accepted message in its thread exactly once,
// and no conversation left waiting for a bot that will never answer.
type MessageLedger struct {
	Accepted, Stored int
	// Lost are accepted messages missing from their thread; Duplicated are in it more than once.
	Lost, Duplicated []string
	// Unanswered are conversations still pending once the intake queue is drained: a turn nobody will answer.
	Unanswered []string
	// BotReplies counts the bot's replies in the threads; TwiceAnswered lists turns answered more than once.
	BotReplies    int
	TwiceAnswered []string
}

// Check reports what the ledger must not hold.
func (l MessageLedger) Check() error {
	var errs []error
	if l.Stored != l.Accepted {
		errs = append(errs, fmt.Errorf("accepted %d follow-ups, %d stored once", l.Accepted, l.Stored))
	}
	for name, ids := range map[string][]string{"lost": l.Lost, "stored twice": l.Duplicated,
		"conversations left pending": l.Unanswered, "turns answered twice": l.TwiceAnswered} {
		if len(ids) > 0 {
			errs = append(errs, fmt.Errorf("%d %s: %s", len(ids), name, strings.Join(ids[:min(5, len(ids))], ", ")))
		}
	}
	return errors.Join(errs...)
}

// String is the ledger as one line.
func (l MessageLedger) String() string {
	return fmt.Sprintf("follow-ups accepted %d, stored once %d, lost %d, duplicated %d; conversations left pending %d; bot replies %d, turns answered twice %d",
		l.Accepted, l.Stored, len(l.Lost), len(l.Duplicated), len(l.Unanswered), l.BotReplies, len(l.TwiceAnswered))
}

// AccountMessages drains the intake queue and reads every conversation's thread (from the emulator, past the
// fault proxies) to say where each follow-up ended. Texts must be unique across said.
func (r *Rig) AccountMessages(ctx context.Context, said []Said) (MessageLedger, error) {
	var l MessageLedger
	if err := r.Drain(ctx); err != nil {
		return l, err
	}
	store := dynamo.NewContacts(r.db, r.Stack.Resources.Tables[topology.Contacts.ID], time.Hour).
		WithMessages(r.Stack.Resources.Tables[topology.Messages.ID])
	threads := map[string][]contact.Message{}
	for _, s := range said {
		if _, ok := threads[s.Contact]; ok {
			continue
		}
		th, err := store.Thread(ctx, s.Contact, "")
		if err != nil {
			return l, err
		}
		threads[s.Contact] = th
		rec, err := store.Get(ctx, s.Contact)
		if err != nil {
			return l, err
		}
		if rec.Status == contact.Pending {
			l.Unanswered = append(l.Unanswered, s.Contact)
		}
		replies := map[string]int{}
		for _, m := range th {
			if m.From == contact.FromBot {
				l.BotReplies++
				replies[strings.TrimSuffix(m.ID, "#r")]++
			}
		}
		for turn, n := range replies {
			if n > 1 {
				l.TwiceAnswered = append(l.TwiceAnswered, s.Contact+"/"+turn)
			}
		}
	}
	for _, s := range said {
		if !s.Accepted {
			continue
		}
		l.Accepted++
		n := 0
		for _, m := range threads[s.Contact] {
			if m.From == contact.FromShopper && m.Text == s.Text {
				n++
			}
		}
		switch {
		case n == 0:
			l.Lost = append(l.Lost, s.Contact+"/"+s.ClientID)
		case n > 1:
			l.Duplicated = append(l.Duplicated, s.Contact+"/"+s.ClientID)
		default:
			l.Stored++
		}
	}
	return l, nil
}
