package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

// source is where the templates and rules live (the DynamoDB catalog).
type source interface {
	reader
	// Published returns the version and the SHA-256 (hex) of the snapshot published for it, "" when none was.
	Published(ctx context.Context) (int64, string, error)
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
	// Build makes the triage when no snapshot can be used: triage.New, which trains on the platform's phrasings
	// too (seconds). Tests of the caching itself set a quicker one.
	Build func([]answer.Template, map[string]priority.Rules) (*triage.Triage, error)

	mu      sync.Mutex
	cur     *triage.Triage
	version int64
	checked time.Time

	local, localSum []byte
}

// NewCache returns a cache that checks src at most once per every.
func NewCache(src source, every time.Duration) *Cache {
	return &Cache{src: src, every: every, Now: time.Now, Build: triage.New}
}

// Holding tells the cache it holds snapshot already (the built-in default, linked into the binary): when the
// catalog publishes that very snapshot, the cache decodes it instead of reading its 1.5 MB from the table.
func (c *Cache) Holding(snapshot []byte) *Cache {
	sum := sha256.Sum256(snapshot)
	c.local, c.localSum = snapshot, []byte(hex.EncodeToString(sum[:]))
	return c
}

// Get returns the current Triage. When the catalog cannot be read it keeps serving the last good one.
func (c *Cache) Get(ctx context.Context) (*triage.Triage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	if c.cur != nil && now.Sub(c.checked) < c.every {
		return c.cur, nil
	}
	v, sum, err := c.src.Published(ctx)
	if err == nil && (c.cur == nil || v != c.version) {
		err = c.reload(ctx, v, sum)
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

// reload decodes the snapshot published for version v (held already when its sum is the local one's), which costs a few milliseconds, and builds the Triage
// from the templates only when there is no usable snapshot: building trains the matcher's model.
func (c *Cache) reload(ctx context.Context, v int64, sum string) error {
	var (
		b   []byte
		err error
	)
	switch {
	case sum == "":
		// No snapshot named for v: parts stored under v, if any, may be a publication's that lost the race for it.
	case sum == string(c.localSum):
		b = c.local
	default:
		b, err = c.src.Snapshot(ctx, v)
		if err == nil && b != nil && sumOf(b) != sum {
			b, err = nil, fmt.Errorf("snapshot of version %d is not the one published for it", v)
		}
	}
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
	t, err := c.Build(cat.Templates, cat.Rules)
	if err != nil {
		return fmt.Errorf("load catalog version %d: %w", cat.Version, err)
	}
	c.cur, c.version = t, cat.Version
	return nil
}
