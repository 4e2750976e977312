package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/catalog/builtin"
	"breakwater/shared/contact"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

// packSource serves the default pack as the catalog table would, counting reads. It serves snapshot for every
// version when set, and fails snapshot reads with snapshotErr.
type packSource struct {
	bodies      map[string][]byte
	version     int64
	snapshot    []byte
	snapshotErr error

	versions, loads, snapshots int
}

// quickBuild builds from the templates' own examples only, without the platform's phrasings: a fraction of a
// second instead of seconds, for tests of the caching, not of the matcher.
func quickBuild(ts []answer.Template, rules map[string]priority.Rules) (*triage.Triage, error) {
	return triage.Build(ts, rules, nil)
}

// newCache is NewCache with quickBuild.
func newCache(src source, every time.Duration) *Cache {
	c := NewCache(src, every)
	c.Build = quickBuild
	return c
}

func newPackSource(t *testing.T) *packSource {
	t.Helper()
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	s := &packSource{bodies: map[string][]byte{}, version: 1}
	for _, tpl := range ts {
		if s.bodies[tpl.ID], err = json.Marshal(tpl); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *packSource) Version(context.Context) (int64, error) {
	s.versions++
	return s.version, nil
}

func (s *packSource) Published(ctx context.Context) (int64, string, error) {
	v, err := s.Version(ctx)
	if s.snapshot == nil || err != nil {
		return v, "", err
	}
	sum := sha256.Sum256(s.snapshot)
	return v, hex.EncodeToString(sum[:]), nil
}

func (s *packSource) EachTemplate(_ context.Context, visit func(string, []byte) error) error {
	s.loads++
	for id, b := range s.bodies {
		if err := visit(id, b); err != nil {
			return err
		}
	}
	return nil
}

func (s *packSource) EachRules(_ context.Context, visit func(string, []byte) error) error {
	b, _ := json.Marshal(priority.DefaultRules())
	return visit(answer.Platform, b)
}

func (s *packSource) Snapshot(context.Context, int64) ([]byte, error) {
	s.snapshots++
	return s.snapshot, s.snapshotErr
}

// The template load and index build happen once per cold start and again only when the catalog version changes,
// never per call; a published snapshot replaces the build.
func TestCacheLoadsOncePerVersion(t *testing.T) {
	tests := map[string]struct {
		refresh       time.Duration
		bump          bool // change the catalog version halfway
		snapshot      bool // the catalog has a snapshot of every version
		wantLoads     int
		wantSnapshots int // snapshots read (and decoded): none for a version that names none
		wantVersions  int
	}{
		"within the refresh interval":        {refresh: time.Hour, wantLoads: 1, wantVersions: 1},
		"version checked every call":         {refresh: time.Second, wantLoads: 1, wantVersions: 20},
		"catalog changed once between calls": {refresh: time.Second, bump: true, wantLoads: 2, wantVersions: 20},
		"snapshot published":                 {refresh: time.Hour, snapshot: true, wantSnapshots: 1, wantVersions: 1},
		"snapshot published, changed once":   {refresh: time.Second, bump: true, snapshot: true, wantSnapshots: 2, wantVersions: 20},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			src := newPackSource(t)
			if tt.snapshot {
				c, err := Load(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				tri, err := quickBuild(c.Templates, c.Rules)
				if err != nil {
					t.Fatal(err)
				}
				if src.snapshot, err = tri.AppendBinary(nil); err != nil {
					t.Fatal(err)
				}
			}
			src.loads, src.versions = 0, 0
			now := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
			c := newCache(src, tt.refresh)
			c.Now = func() time.Time { return now }
			for i := range 20 {
				if tt.bump && i == 10 {
					src.version++
				}
				if _, err := c.Get(context.Background()); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				now = now.Add(time.Second)
			}
			if got, want := src.loads, tt.wantLoads; got != want {
				t.Errorf("template loads (index builds) = %d, want %d", got, want)
			}
			if got, want := src.versions-src.loads, tt.wantVersions; got != want { // a build reads the version again
				t.Errorf("version checks = %d, want %d", got, want)
			}
			if got, want := src.snapshots, tt.wantSnapshots; got != want {
				t.Errorf("snapshots read = %d, want %d", got, want)
			}
		})
	}
}

// A damaged snapshot, or none, makes the cache build from the templates instead of failing or misreading it.
func TestCacheBuildsWhenTheSnapshotIsUnusable(t *testing.T) {
	for name, src := range map[string]func(*packSource){
		"damaged":       func(s *packSource) { s.snapshot = []byte("not a snapshot") },
		"unreadable":    func(s *packSource) { s.snapshotErr = errors.New("read failed") },
		"not published": func(s *packSource) {},
	} {
		t.Run(name, func(t *testing.T) {
			s := newPackSource(t)
			src(s)
			tri, err := newCache(s, time.Minute).Get(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if s.loads != 1 {
				t.Errorf("templates loaded %d times, want one build", s.loads)
			}
			c := contact.Contact{ID: "c1", Merchant: "m1", Locale: contact.English, Text: "what is your return policy"}
			if d := tri.Decide(c, time.Now()); !d.Auto || d.Intent != "return.policy" {
				t.Errorf("built triage decided %+v, want return.policy answered", d)
			}
		})
	}
}

// When the catalog cannot be read, the cache keeps serving the last good Triage.
func TestCacheServesTheLastGoodTriage(t *testing.T) {
	down := false
	src := unreachable{newPackSource(t), &down}
	now := time.Now()
	c := newCache(src, time.Second)
	c.Now = func() time.Time { return now }
	first, err := c.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	down, now = true, now.Add(time.Hour) // past the refresh, with the catalog unreadable
	second, err := c.Get(context.Background())
	if err != nil || second != first {
		t.Fatalf("with the catalog unreadable: %p, %v; want the last good %p", second, err, first)
	}
	if _, err := newCache(src, time.Second).Get(context.Background()); err == nil {
		t.Fatal("a cold cache with the catalog unreadable returned no error")
	}
}

// unreachable is a packSource whose Version fails while *down.
type unreachable struct {
	*packSource
	down *bool
}

func (u unreachable) Version(ctx context.Context) (int64, error) {
	if *u.down {
		return 0, errors.New("catalog unreachable")
	}
	return u.packSource.Version(ctx)
}

func (u unreachable) Published(ctx context.Context) (int64, string, error) {
	if *u.down {
		return 0, "", errors.New("catalog unreachable")
	}
	return u.packSource.Published(ctx)
}

// A cache holding the very snapshot the catalog publishes (a responder's built-in default) decodes it without
// reading it; any other published snapshot is read.
func TestCacheHoldingTheSnapshotDoesNotReadIt(t *testing.T) {
	src := newPackSource(t)
	src.snapshot = builtin.Snapshot()
	if _, err := newCache(src, time.Minute).Holding(builtin.Snapshot()).Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if src.snapshots != 0 || src.loads != 0 {
		t.Errorf("snapshot reads %d, template loads %d; want neither", src.snapshots, src.loads)
	}
	held := append([]byte("another"), builtin.Snapshot()...)
	if _, err := newCache(src, time.Minute).Holding(held).Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if src.snapshots != 1 || src.loads != 0 {
		t.Errorf("holding another snapshot: snapshot reads %d, template loads %d; want one read", src.snapshots, src.loads)
	}
}
