package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/contact"
	"breakwater/shared/triage"
)

// ErrVersionMoved: another writer changed the catalog while a release was being prepared or published; nothing of
// the release was published, and preparing it again (the next publication) picks the change up.
var ErrVersionMoved = errors.New("the catalog's version moved meanwhile")

// Change is templates approved together and staged in the catalog for a later publication (Writer.Prepare and
// Publish): staging costs a write, publishing trains the matcher, so an approval stages and a scheduled
// publication publishes whatever was staged since, trained once.
type Change struct {
	// Key names the change and who staged it (a voice draft); staging a key again replaces its change.
	Key       string            `json:"-"`
	Templates []answer.Template `json:"templates"`
	StagedAt  time.Time         `json:"stagedAt"`

	// tag tells this staging of Key from another; publishedIn is the version whose publication took the change,
	// 0 while it waits.
	tag         string
	publishedIn int64
}

// PublishedIn is the version whose publication took c, 0 while it waits.
func (c Change) PublishedIn() int64 { return c.publishedIn }

// Encode validates c's templates and returns what is stored for c.
func (c Change) Encode() ([]byte, error) {
	if c.Key == "" || len(c.Templates) == 0 {
		return nil, fmt.Errorf("encode catalog change %q: a change needs a key and templates", c.Key)
	}
	for _, t := range c.Templates {
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("encode catalog change %s: %w", c.Key, err)
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode catalog change %s: %w", c.Key, err)
	}
	return b, nil
}

// Stage stores c for the next publication; the catalog's version does not move.
func (w *Writer) Stage(ctx context.Context, c Change) error {
	b, err := c.Encode()
	if err != nil {
		return err
	}
	return w.store.Stage(ctx, c.Key, b)
}

// Staged returns the staged changes, oldest first: those waiting to be published, and those a publication took
// but did not yet unstage (PublishedIn is set).
func (w *Writer) Staged(ctx context.Context) ([]Change, error) {
	var out []Change
	err := w.store.EachStaged(ctx, func(key string, body []byte, tag string, publishedIn int64) error {
		var c Change
		if err := json.Unmarshal(body, &c); err != nil {
			return fmt.Errorf("decode staged catalog change %s: %w", key, err)
		}
		c.Key, c.tag, c.publishedIn = key, tag, publishedIn
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		if c := a.StagedAt.Compare(b.StagedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// Unstage removes c once whoever staged it has recorded its outcome; a change staged again under c's key since
// stays.
func (w *Writer) Unstage(ctx context.Context, c Change) error {
	return w.store.Unstage(ctx, c.Key, c.tag)
}

// Overlay returns ts with the templates of changes in order, each replacing the template with its id or added.
func Overlay(ts []answer.Template, changes ...Change) []answer.Template {
	out := slices.Clone(ts)
	at := make(map[string]int, len(out))
	for i, t := range out {
		at[t.ID] = i
	}
	for _, c := range changes {
		for _, t := range c.Templates {
			if i, ok := at[t.ID]; ok {
				out[i] = t
			} else {
				at[t.ID] = len(out)
				out = append(out, t)
			}
		}
	}
	return out
}

// maxRelease bounds the changes one release publishes; the rest wait for the next.
const maxRelease = 50

// Release is the catalog's next version, prepared from the staged changes: checked, built (the matcher trained
// once), not yet published.
type Release struct {
	// From is the published version the release follows.
	From int64
	// Before decides as version From does (decoded from its snapshot); After as the release will. Both are nil
	// when the release publishes nothing.
	Before, After *triage.Triage
	// Changes are what the release publishes, in staging order; Lint holds, by change key, the lint warnings
	// about each one's templates in the next catalog.
	Changes []Change
	Lint    map[string][]Finding
	// Refused are staged changes whose templates fail lint in the next catalog (a change staged meanwhile
	// collides with them, or a template they extend is gone); they are not published. Errors holds, by change
	// key, why.
	Refused []Change
	Errors  map[string][]Finding
	// Done are changes an earlier publication published but did not unstage (it stopped halfway).
	Done []Change

	bodies   map[string][]byte
	snapshot []byte
}

// Prepare makes the release of staged (Staged's changes) on the catalog as published now: it lints the next
// catalog, refusing the changes whose templates fail, decodes the published version's snapshot and trains the
// next version's matcher, once. It trains nothing when nothing is left to publish.
func (w *Writer) Prepare(ctx context.Context, staged []Change, now time.Time) (*Release, error) {
	v, sum, err := w.store.Published(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare catalog release: %w", err)
	}
	r := &Release{From: v, Lint: map[string][]Finding{}, Errors: map[string][]Finding{}}
	var waiting []Change
	for _, c := range staged {
		switch {
		case c.publishedIn > 0:
			r.Done = append(r.Done, c)
		case len(waiting) < maxRelease:
			waiting = append(waiting, c)
		}
	}
	if len(waiting) == 0 {
		return r, nil
	}
	cur, err := Load(ctx, w.store)
	if err != nil {
		return nil, fmt.Errorf("prepare catalog release after version %d: %w", v, err)
	}
	if cur.Version != v {
		return nil, fmt.Errorf("prepare catalog release after version %d (now %d): %w", v, cur.Version, ErrVersionMoved)
	}
	// Lint the next catalog; a change whose own templates fail is refused, and the rest are linted again without it.
	var next []answer.Template
	for {
		next = Overlay(cur.Templates, waiting...)
		fs := Lint(next)
		refused := false
		waiting = slices.DeleteFunc(waiting, func(c Change) bool {
			errs := ofTemplates(fs, c.Templates, Error)
			if len(errs) == 0 {
				return false
			}
			r.Refused, r.Errors[c.Key], refused = append(r.Refused, c), errs, true
			return true
		})
		if !refused {
			for _, c := range waiting {
				r.Lint[c.Key] = ofTemplates(fs, c.Templates, Warning)
			}
			break
		}
	}
	if len(waiting) == 0 {
		return r, nil
	}
	r.Changes = waiting
	r.bodies = map[string][]byte{}
	for _, c := range waiting {
		for _, t := range c.Templates {
			if r.bodies[t.ID], err = json.Marshal(t); err != nil {
				return nil, fmt.Errorf("encode template %s: %w", t.ID, err)
			}
		}
	}
	if r.Before, err = w.published(ctx, cur, sum); err != nil {
		return nil, fmt.Errorf("prepare catalog release after version %d: %w", v, err)
	}
	if r.After, err = w.build(next, cur.Rules); err != nil {
		return nil, fmt.Errorf("prepare catalog release after version %d: %w", v, err)
	}
	if r.snapshot, err = r.After.AppendBinary(nil); err != nil {
		return nil, fmt.Errorf("prepare catalog release after version %d: %w", v, err)
	}
	return r, nil
}

// published is the triage of the catalog as published: its snapshot decoded, or, when it has none that can be
// used (a catalog whose last publication failed), built from its templates, which trains the matcher again.
func (w *Writer) published(ctx context.Context, cur Contents, sum string) (*triage.Triage, error) {
	if sum != "" {
		b, err := w.store.Snapshot(ctx, cur.Version)
		if err == nil && b != nil && sumOf(b) == sum {
			t, err := triage.Decode(b)
			if err == nil {
				return t, nil
			}
			slog.WarnContext(ctx, "published catalog snapshot does not decode; building it to compare", "version", cur.Version, "err", err)
		} else {
			slog.WarnContext(ctx, "published catalog snapshot unreadable; building it to compare", "version", cur.Version, "err", err)
		}
	} else {
		slog.WarnContext(ctx, "no published catalog snapshot; building it to compare", "version", cur.Version)
	}
	return w.build(cur.Templates, cur.Rules)
}

// Publish publishes r: it writes the changes' templates and the next version's snapshot, then moves the version to
// it in one step that also marks the changes published, so readers never meet the version without its snapshot.
// ErrVersionMoved, with the version unmoved, when another writer changed the catalog since Prepare. It returns
// the version published; r.From when r has nothing to publish.
func (w *Writer) Publish(ctx context.Context, r *Release) (int64, error) {
	if len(r.Changes) == 0 {
		return r.From, nil
	}
	next := r.From + 1
	// Checked first so that a release prepared before another writer's change does not even store its parts.
	if v, _, err := w.store.Published(ctx); err != nil {
		return 0, fmt.Errorf("publish catalog version %d: %w", next, err)
	} else if v != r.From {
		return 0, fmt.Errorf("publish catalog version %d (now %d): %w", next, v, ErrVersionMoved)
	}
	if err := w.store.PutTemplates(ctx, r.bodies); err != nil {
		return 0, fmt.Errorf("publish catalog version %d: %w", next, err)
	}
	sum, err := w.store.StoreSnapshot(ctx, next, r.snapshot)
	if err != nil {
		return 0, fmt.Errorf("publish catalog version %d: %w", next, err)
	}
	tags := make(map[string]string, len(r.Changes))
	for _, c := range r.Changes {
		tags[c.Key] = c.tag
	}
	ok, err := w.store.Advance(ctx, r.From, sum, tags)
	if err != nil {
		return 0, fmt.Errorf("publish catalog version %d: %w", next, err)
	}
	if !ok {
		return 0, fmt.Errorf("publish catalog version %d: %w", next, ErrVersionMoved)
	}
	for i := range r.Changes {
		r.Changes[i].publishedIn = next
	}
	return next, nil
}

// ofTemplates are the findings of severity sev about ts.
func ofTemplates(fs []Finding, ts []answer.Template, sev string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == sev && slices.ContainsFunc(ts, func(t answer.Template) bool { return t.ID == f.Template }) {
			out = append(out, f)
		}
	}
	return out
}

func sumOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// CrossCheckWith is CrossCheck of ts alone, against tr, a triage built with them (a release's After): it trains
// nothing. It reads each example as the responder reads a shopper's text (normalized), where `templates lint`'s
// CrossCheck reads it as written; the two rarely differ.
func CrossCheckWith(tr *triage.Triage, ts []answer.Template, now time.Time) []Finding {
	return crossCheck(ts, now, func(text, locale, merchant string, at time.Time) []answer.Candidate {
		c := contact.Contact{ID: "lint", Merchant: merchant, Locale: contact.Locale(locale), Text: text, ReceivedAt: at}
		return tr.Decide(c, at).Candidates
	})
}
