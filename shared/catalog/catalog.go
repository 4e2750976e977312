// Package catalog keeps what the triage decides with, the answer templates and each merchant's priority rules:
// it loads them, publishes a built snapshot of them at every change, and keeps a running function's copy fresh.
package catalog

import (
	"context"
	"encoding/json"
	"fmt"

	"breakwater/shared/answer"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

// Contents is the whole catalog at one version.
type Contents struct {
	Templates []answer.Template
	// Rules holds each merchant's priority rules, answer.Platform's for merchants without their own.
	Rules   map[string]priority.Rules
	Version int64
}

// reader is how the catalog is read (the DynamoDB Catalog table, see dynamo.Catalog).
type reader interface {
	Version(ctx context.Context) (int64, error)
	EachTemplate(ctx context.Context, visit func(id string, body []byte) error) error
	EachRules(ctx context.Context, visit func(merchant string, body []byte) error) error
}

// Load reads every template and every merchant's rules, with the version they belong to.
func Load(ctx context.Context, r reader) (Contents, error) {
	version, err := r.Version(ctx)
	if err != nil {
		return Contents{}, err
	}
	c := Contents{Rules: map[string]priority.Rules{}, Version: version}
	err = r.EachTemplate(ctx, func(id string, body []byte) error {
		var t answer.Template
		if err := json.Unmarshal(body, &t); err != nil {
			return fmt.Errorf("decode template %s: %w", id, err)
		}
		c.Templates = append(c.Templates, t)
		return nil
	})
	if err != nil {
		return Contents{}, fmt.Errorf("load catalog version %d: %w", version, err)
	}
	err = r.EachRules(ctx, func(merchant string, body []byte) error {
		var rules priority.Rules
		if err := json.Unmarshal(body, &rules); err != nil {
			return fmt.Errorf("decode rules of %s: %w", merchant, err)
		}
		if err := rules.Validate(); err != nil {
			return fmt.Errorf("rules of %s: %w", merchant, err)
		}
		c.Rules[merchant] = rules
		return nil
	})
	if err != nil {
		return Contents{}, fmt.Errorf("load catalog version %d: %w", version, err)
	}
	return c, nil
}

// store is where a Writer keeps the catalog (the DynamoDB Catalog table, see dynamo.Catalog).
type store interface {
	source
	PutTemplates(ctx context.Context, bodies map[string][]byte) error
	PutRules(ctx context.Context, merchant string, body []byte) error
	Bump(ctx context.Context) (int64, error)
	PutSnapshot(ctx context.Context, version int64, b []byte) error

	// Staging (see Change): StoreSnapshot stores a version's snapshot without naming it; Advance makes from+1 the
	// version, naming its snapshot and marking the staged changes (key to tag) published in it, at once, and
	// reports false, changing nothing, when the version is not from or a change was staged again.
	Stage(ctx context.Context, key string, body []byte) error
	EachStaged(ctx context.Context, visit func(key string, body []byte, tag string, publishedIn int64) error) error
	Unstage(ctx context.Context, key, tag string) error
	StoreSnapshot(ctx context.Context, version int64, b []byte) (string, error)
	Advance(ctx context.Context, from int64, sum string, staged map[string]string) (bool, error)
}

// Writer changes the catalog: every change bumps the version and publishes the snapshot of the new version, so
// responders and agents decode it at a cold start instead of training the matcher again. Changes can also be
// staged, cheaply, and published later, together (Stage, Prepare, Publish).
type Writer struct {
	store store
	// Build trains the triage of a version to publish: triage.New. Tests count or shorten it.
	Build func([]answer.Template, map[string]priority.Rules) (*triage.Triage, error)
}

// NewWriter returns a Writer on s.
func NewWriter(s store) *Writer { return &Writer{store: s, Build: triage.New} }

func (w *Writer) build(ts []answer.Template, rules map[string]priority.Rules) (*triage.Triage, error) {
	if w.Build == nil {
		return triage.New(ts, rules)
	}
	return w.Build(ts, rules)
}

// PutTemplates validates and writes ts, replacing templates with the same ids, and publishes.
func (w *Writer) PutTemplates(ctx context.Context, ts []answer.Template) error {
	bodies := make(map[string][]byte, len(ts))
	for _, t := range ts {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("put templates: %w", err)
		}
		body, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("encode template %s: %w", t.ID, err)
		}
		bodies[t.ID] = body
	}
	if err := w.store.PutTemplates(ctx, bodies); err != nil {
		return err
	}
	return w.changed(ctx)
}

// PutRules validates and writes the priority rules of merchant (answer.Platform for the default), and publishes.
func (w *Writer) PutRules(ctx context.Context, merchant string, r priority.Rules) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("put rules of %s: %w", merchant, err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode rules of %s: %w", merchant, err)
	}
	if err := w.store.PutRules(ctx, merchant, body); err != nil {
		return err
	}
	return w.changed(ctx)
}

// Seed writes templates and the platform's rules as one change, and publishes snapshot as that change's
// triage instead of building it: snapshot must be the triage of exactly these templates and rules (the built-in
// default, see package builtin). It spares the local stack and every test fixture the matcher's training.
func (w *Writer) Seed(ctx context.Context, ts []answer.Template, rules priority.Rules, snapshot []byte) error {
	bodies := make(map[string][]byte, len(ts))
	for _, t := range ts {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("seed templates: %w", err)
		}
		body, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("encode template %s: %w", t.ID, err)
		}
		bodies[t.ID] = body
	}
	body, err := json.Marshal(rules)
	if err != nil {
		return fmt.Errorf("encode platform rules: %w", err)
	}
	if err := w.store.PutTemplates(ctx, bodies); err != nil {
		return err
	}
	if err := w.store.PutRules(ctx, answer.Platform, body); err != nil {
		return err
	}
	version, err := w.store.Bump(ctx)
	if err != nil {
		return err
	}
	return w.store.PutSnapshot(ctx, version, snapshot)
}

// Version returns the catalog's version; 0 means nothing was ever written.
func (w *Writer) Version(ctx context.Context) (int64, error) { return w.store.Version(ctx) }

// Templates reads every template, in the order of their ids.
func (w *Writer) Templates(ctx context.Context) ([]answer.Template, error) {
	c, err := Load(ctx, w.store)
	return c.Templates, err
}

// changed bumps the version after a write and publishes the snapshot of the catalog as it is now. A snapshot holds
// at least every change up to its version; readers use it only for that exact version.
func (w *Writer) changed(ctx context.Context) error {
	if _, err := w.store.Bump(ctx); err != nil {
		return err
	}
	c, err := Load(ctx, w.store)
	if err != nil {
		return fmt.Errorf("publish catalog snapshot: %w", err)
	}
	t, err := w.build(c.Templates, c.Rules)
	if err != nil {
		return fmt.Errorf("publish catalog snapshot of version %d: %w", c.Version, err)
	}
	b, err := t.AppendBinary(nil)
	if err != nil {
		return fmt.Errorf("publish catalog snapshot of version %d: %w", c.Version, err)
	}
	return w.store.PutSnapshot(ctx, c.Version, b)
}
