package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/voice"
	"breakwater/shared/voice/drafting"
)

// sender delivers owners' messages (notify.Router on AWS, the voice table's outbox locally).
type sender interface {
	Send(ctx context.Context, to voice.Owner, m voice.Message) error
}

// voiceRun is the part of *voice.Runner the handler uses.
type voiceRun interface {
	Gather(ctx context.Context) (int, error)
	Run(ctx context.Context, o voice.Options) (voice.Report, error)
}

type handler struct {
	runner voiceRun
	now    func() time.Time
}

// event is EventBridge's scheduled event; a run started by hand may name the hour and ask for the digest now.
type event struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Detail     struct {
		// Hour is the hour to report (its start, RFC 3339); the hour just ended when empty.
		Hour        string `json:"hour,omitempty"`
		ForceDigest bool   `json:"forceDigest,omitempty"`
		Merchant    string `json:"merchant,omitempty"`
	} `json:"detail"`
}

// result is what one run did, in figures: nothing a shopper wrote.
type result struct {
	Hour      time.Time `json:"hour"`
	Gathered  int       `json:"gathered"`
	Merchants int       `json:"merchants"`
	Problems  int       `json:"problems"`
	Spikes    int       `json:"spikes"`
	Drafts    int       `json:"drafts"`
	Sent      int       `json:"sent"`
}

func (h *handler) handle(ctx context.Context, raw json.RawMessage) (result, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return result{}, fmt.Errorf("voice: not an event: %w", err)
	}
	hour := h.now().UTC().Truncate(time.Hour).Add(-time.Hour)
	if ev.Detail.Hour != "" {
		t, err := time.Parse(time.RFC3339, ev.Detail.Hour)
		if err != nil || !t.Equal(t.Truncate(time.Hour)) {
			return result{}, fmt.Errorf("voice: detail.hour %q is not the start of an hour in RFC 3339", ev.Detail.Hour)
		}
		hour = t.UTC()
	}
	res := result{Hour: hour}
	n, err := h.runner.Gather(ctx)
	res.Gathered = n
	if err != nil {
		// Without the latest outcomes the hour's figures would be short: let Lambda retry the invocation.
		return res, err
	}
	rep, err := h.runner.Run(ctx, voice.Options{From: hour, To: hour.Add(time.Hour), Merchant: ev.Detail.Merchant,
		Hourly: true, Notify: true, Digest: true, ForceDigest: ev.Detail.ForceDigest})
	res.Merchants = len(rep.Merchants)
	for _, m := range rep.Merchants {
		res.Problems += len(m.Problems)
		res.Sent += len(m.Sent)
		for _, p := range m.Problems {
			if p.Spike {
				res.Spikes++
			}
		}
		for _, d := range m.Drafts {
			if d.Status == voice.Pending {
				res.Drafts++
			}
		}
	}
	slog.InfoContext(ctx, "voice run", "hour", hour, "gathered", res.Gathered, "merchants", res.Merchants,
		"problems", res.Problems, "spikes", res.Spikes, "pendingDrafts", res.Drafts, "sent", res.Sent)
	if err != nil {
		// The merchants that failed are retried with the whole run; the others' alerts are not sent twice
		// (cooldown) and their digests are marked.
		return res, err
	}
	return res, nil
}

// started names the suggested template an agent's reply started from, with the catalog as it is now.
func started(cache *catalog.Cache) voice.StartedFrom {
	return func(r contact.Record) string {
		tri, err := cache.Get(context.Background())
		if err != nil {
			return ""
		}
		return drafting.StartedFromSuggestions(tri.Template)(r)
	}
}
