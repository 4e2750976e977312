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

// voiceRun is the part of *voice.Runner the handler uses.
type voiceRun interface {
	Gather(ctx context.Context) (int, error)
	Run(ctx context.Context, o voice.Options) (voice.Report, error)
}

// publisher is the part of *drafting.Publisher the handler uses.
type publisher interface {
	Publish(ctx context.Context) (drafting.Publication, error)
}

type handler struct {
	runner  voiceRun
	publish publisher
	now     func() time.Time
}

// event is EventBridge's scheduled event; a run started by hand may name the hour and ask for the digest now. The
// frequent schedule's event asks for the publication of the templates approvals staged, and nothing else.
type event struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Detail     struct {
		// Publish publishes the staged templates (drafting.Publisher) instead of the hourly run.
		Publish bool `json:"publish,omitempty"`
		// Hour is the hour to report (its start, RFC 3339); the hour just ended when empty.
		Hour        string `json:"hour,omitempty"`
		ForceDigest bool   `json:"forceDigest,omitempty"`
		Merchant    string `json:"merchant,omitempty"`
	} `json:"detail"`
}

// result is what one run did, in figures: nothing a shopper wrote.
type result struct {
	Hour      time.Time `json:"hour,omitzero"`
	Gathered  int       `json:"gathered"`
	Merchants int       `json:"merchants"`
	Problems  int       `json:"problems"`
	Spikes    int       `json:"spikes"`
	Drafts    int       `json:"drafts"`
	Sent      int       `json:"sent"`
	// Publish is what a publication did (draft keys and the version), for a publish event.
	Publish *drafting.Publication `json:"publish,omitempty"`
}

func (h *handler) handle(ctx context.Context, raw json.RawMessage) (result, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return result{}, fmt.Errorf("voice: not an event: %w", err)
	}
	if ev.Detail.Publish {
		return h.publishStaged(ctx)
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

// publishStaged publishes what approvals staged since the last publication: one read when nothing was.
func (h *handler) publishStaged(ctx context.Context) (result, error) {
	pub, err := h.publish.Publish(ctx)
	if err != nil {
		// What was not recorded stays staged, and the next tick (minutes) finishes it; an error lets Lambda retry
		// sooner and shows in the function's error metric.
		slog.ErrorContext(ctx, "voice publication failed", "version", pub.Version, "published", len(pub.Published), "err", err)
		return result{Publish: &pub}, err
	}
	if pub.Version != 0 || len(pub.Finished)+len(pub.Refused) > 0 {
		slog.InfoContext(ctx, "voice publication", "version", pub.Version, "published", pub.Published, "finished", pub.Finished, "refused", pub.Refused)
	}
	return result{Publish: &pub}, nil
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
