package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// builder compiles functions/<name> of the module at Root into Out/<name>/bootstrap.
type builder struct {
	Root string // module root, holding functions/
	Out  string // relative to Root unless absolute
	Arch string // GOARCH
}

// result is what happened to one function.
type result struct {
	Name    string
	Path    string
	Size    int64
	Changed bool
	Took    time.Duration
}

func (r result) String() string {
	state := "unchanged"
	if r.Changed {
		state = "written"
	}
	return fmt.Sprintf("%-10s %6.1f MB  %-9s %5.1fs  %s", r.Name, float64(r.Size)/(1<<20), state, r.Took.Seconds(), r.Path)
}

// buildAll builds every function concurrently; go's build cache makes an unchanged function cost a link check.
// It returns the results in names' order and every failure joined.
func buildAll(ctx context.Context, b builder, names []string) ([]result, error) {
	results := make([]result, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			results[i], errs[i] = b.build(ctx, name)
		})
	}
	wg.Wait()
	var ok []result
	for i := range names {
		if errs[i] == nil {
			ok = append(ok, results[i])
		}
	}
	return ok, errors.Join(errs...)
}

// build compiles one function next to its bootstrap and replaces the bootstrap only if the bytes differ.
func (b builder) build(ctx context.Context, name string) (result, error) {
	start := time.Now()
	pkg := "./" + filepath.ToSlash(filepath.Join("functions", name))
	if _, err := os.Stat(filepath.Join(b.Root, "functions", name, "main.go")); err != nil {
		return result{}, fmt.Errorf("function %s: no %s/main.go: %w", name, pkg, err)
	}
	out := b.Out
	if !filepath.IsAbs(out) {
		out = filepath.Join(b.Root, out)
	}
	dir := filepath.Join(out, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, fmt.Errorf("function %s: create %s: %w", name, dir, err)
	}
	final := filepath.Join(dir, "bootstrap")
	tmp, err := os.CreateTemp(dir, ".bootstrap-*")
	if err != nil {
		return result{}, fmt.Errorf("function %s: temp file in %s: %w", name, dir, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed

	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", tmp.Name(), pkg)
	cmd.Dir = b.Root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+b.Arch, "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return result{}, fmt.Errorf("function %s: go build %s for linux/%s: %w\n%s", name, pkg, b.Arch, err, msg)
	}
	built, err := os.ReadFile(tmp.Name())
	if err != nil {
		return result{}, fmt.Errorf("function %s: read %s: %w", name, tmp.Name(), err)
	}
	r := result{Name: name, Path: final, Size: int64(len(built))}
	if old, err := os.ReadFile(final); err == nil && bytes.Equal(old, built) {
		r.Took = time.Since(start)
		return r, nil
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return result{}, fmt.Errorf("function %s: chmod %s: %w", name, tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return result{}, fmt.Errorf("function %s: replace %s: %w", name, final, err)
	}
	r.Changed, r.Took = true, time.Since(start)
	return r, nil
}

// moduleRoot is the folder of the go.mod above the working directory, so the script works from any subfolder.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}
