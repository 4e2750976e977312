package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"breakwater/shared/triage"
)

// source is where the templates and rules live (the DynamoDB catalog).
type source interface {
	reader
	// Snapshot returns what a Triage of that version encoded with AppendBinary, or nil when there is none.
	Snapshot(ctx context.Context, version int64) ([]byte, error)
}

// Cache keeps a built Triage across invocations. At most once per interval it reads the catalog's version
// and rebuilds only when that changed, so a template edit takes effect within the interval without a redeploy.
type Cache struct {
	src   source
	every time.Duration
	// Now is the clock; tests set it.
	Now func() time.Time

	mu      sync.Mutex
	cur     *triage.Triage
	version int64
	checked time.Time
}

// NewCache returns a cache that checks src at most once per every.
func NewCache(src source, every time.Duration) *Cache {
	return &Cache{src: src, every: every, Now: time.Now}
}

// Get returns the current Triage. When the catalog cannot be read it keeps serving the last good one.
func (c *Cache) Get(ctx context.Context) (*triage.Triage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	if c.cur != nil && now.Sub(c.checked) < c.every {
		return c.cur, nil
	}
	v, err := c.src.Version(ctx)
	if err == nil && (c.cur == nil || v != c.version) {
		err = c.reload(ctx, v)
	}
	if err != nil {
		if c.cur != nil {
			return c.cur, nil // stale but working beats failing the batch; the next call tries again
		}
		return nil, err
	}
	c.checked = now
	return c.cur, nil
}

// reload decodes the snapshot published for version v, which costs a few milliseconds, and builds the Triage
// from the templates only when there is no usable snapshot: building trains the matcher's model.
func (c *Cache) reload(ctx context.Context, v int64) error {
	b, err := c.src.Snapshot(ctx, v)
	if err == nil && b != nil {
		var t *triage.Triage
		if t, err = triage.Decode(b); err == nil {
			c.cur, c.version = t, v
			return nil
		}
	}
	if err != nil {
		slog.WarnContext(ctx, "catalog snapshot unusable; building the index from the templates", "version", v, "err", err)
	} else {
		slog.WarnContext(ctx, "no catalog snapshot; building the index from the templates", "version", v)
	}
	cat, err := Load(ctx, c.src)
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	t, err := triage.New(cat.Templates, cat.Rules)
	if err != nil {
		return fmt.Errorf("load catalog version %d: %w", cat.Version, err)
	}
	c.cur, c.version = t, cat.Version
	return nil
}
