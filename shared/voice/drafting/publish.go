package drafting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"breakwater/shared/catalog"
	"breakwater/shared/voice"
)

// releaser is the part of *catalog.Writer that publishing uses.
type releaser interface {
	Staged(ctx context.Context) ([]catalog.Change, error)
	Prepare(ctx context.Context, staged []catalog.Change, now time.Time) (*catalog.Release, error)
	Publish(ctx context.Context, r *catalog.Release) (int64, error)
	Unstage(ctx context.Context, c catalog.Change) error
}

// draftUpdater is where Publisher records a publication on the drafts (the voice table, see dynamo.Voice).
type draftUpdater interface {
	Draft(ctx context.Context, merchant, id string) (voice.Draft, error)
	// UpdateDraft stores d if the stored draft's status is from, and returns voice.ErrDecided otherwise.
	UpdateDraft(ctx context.Context, d voice.Draft, from voice.DraftStatus) error
}

// Publisher publishes the templates approvals staged, off the agents' requests: the voice function runs it every
// few minutes. One publication trains the matcher once, for every change staged since the last, and checks each
// change with that one triage and the published one (CrossCheckWith, spillover): no check trains again.
type Publisher struct {
	Catalog releaser
	Drafts  draftUpdater
	Now     func() time.Time
}

// Publication is what one Publish did, by change key (a draft's: "<merchant>/<draft id>").
type Publication struct {
	// Version is the catalog version published; 0 when none was.
	Version   int64    `json:"version,omitempty"`
	Published []string `json:"published,omitempty"`
	// Refused were returned to review: their templates fail lint in the catalog as it is now.
	Refused []string `json:"refused,omitempty"`
	// Finished were published by an earlier publication that stopped before recording it.
	Finished []string `json:"finished,omitempty"`
}

// Publish publishes what is staged: one read when nothing is. Every draft's findings are recorded before the
// version moves, its outcome after, and its change unstaged last, so a publication that stops anywhere loses
// nothing: the next one publishes what was not published (training again) and finishes what was (without).
func (p *Publisher) Publish(ctx context.Context) (Publication, error) {
	staged, err := p.Catalog.Staged(ctx)
	if err != nil {
		return Publication{}, fmt.Errorf("publish staged templates: %w", err)
	}
	if len(staged) == 0 {
		return Publication{}, nil
	}
	now := p.Now()
	rel, err := p.Catalog.Prepare(ctx, staged, now)
	if err != nil {
		return Publication{}, fmt.Errorf("publish %d staged changes: %w", len(staged), err)
	}
	for _, c := range rel.Changes {
		fs := slices.Concat(rel.Lint[c.Key], catalog.CrossCheckWith(rel.After, c.Templates, now), spillover(rel.Before, rel.After, c.Templates, now))
		err := p.update(ctx, c, voice.Publishing, func(d *voice.Draft) { d.Findings = voiceFindings(fs) })
		if err != nil {
			return Publication{}, fmt.Errorf("publish %d staged changes: record findings: %w", len(staged), err)
		}
	}
	var pub Publication
	if len(rel.Changes) > 0 {
		if pub.Version, err = p.Catalog.Publish(ctx, rel); err != nil {
			return Publication{}, fmt.Errorf("publish %d staged changes: %w", len(rel.Changes), err)
		}
	}
	var errs []error
	finish := func(c catalog.Change, from voice.DraftStatus, edit func(*voice.Draft)) bool {
		if err := p.update(ctx, c, from, edit); err != nil {
			errs = append(errs, err)
			return false // staged still: the next publication records it
		}
		if err := p.Catalog.Unstage(ctx, c); err != nil {
			errs = append(errs, err)
		}
		return true
	}
	published := func(d *voice.Draft) {
		d.Status, d.UpdatedAt = voice.Approved, now
		if d.PublishedAt.IsZero() {
			d.PublishedAt = now
		}
	}
	for _, c := range rel.Changes {
		if finish(c, voice.Publishing, published) {
			pub.Published = append(pub.Published, c.Key)
		}
	}
	for _, c := range rel.Done {
		if finish(c, voice.Publishing, published) {
			pub.Finished = append(pub.Finished, c.Key)
		}
	}
	for _, c := range rel.Refused {
		fs := rel.Errors[c.Key]
		back := func(d *voice.Draft) {
			d.Status, d.UpdatedAt, d.DecidedBy, d.DecidedAt = voice.Pending, now, "", time.Time{}
			d.Published, d.Findings = nil, voiceFindings(fs)
			d.Reason = "not published: templates lint fails on the catalog as it is now; change the draft and approve it again"
		}
		if finish(c, voice.Publishing, back) {
			pub.Refused = append(pub.Refused, c.Key)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return pub, fmt.Errorf("publish staged templates (version %d): %w", pub.Version, err)
	}
	return pub, nil
}

// update applies edit to the draft that staged c, if it is still in status from. A change no draft staged, a
// draft gone (its TTL) or already past from (an earlier publication recorded it) needs nothing.
func (p *Publisher) update(ctx context.Context, c catalog.Change, from voice.DraftStatus, edit func(*voice.Draft)) error {
	merchant, id, ok := draftOf(c.Key)
	if !ok {
		return nil
	}
	d, err := p.Drafts.Draft(ctx, merchant, id)
	if errors.Is(err, voice.ErrNotFound) {
		slog.WarnContext(ctx, "published a change whose draft is gone", "change", c.Key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("record publication of %s: %w", c.Key, err)
	}
	if d.Status != from {
		return nil
	}
	edit(&d)
	if err := p.Drafts.UpdateDraft(ctx, d, from); err != nil && !errors.Is(err, voice.ErrDecided) {
		return fmt.Errorf("record publication of %s: %w", c.Key, err)
	}
	return nil
}
