package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestAssetDir(t *testing.T) {
	overflow := filepath.Join(t.TempDir(), "overflow.json")
	if err := os.WriteFile(overflow, []byte(`{"assetDir":"/tmp/spilled"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, json, overflow, want string
	}{
		{"not run by cdk", "", "", "build"},
		{"context without assetDir", `{"stage":"prod"}`, "", "build"},
		{"context with assetDir", `{"assetDir":"/tmp/assets","stage":"prod"}`, "", "/tmp/assets"},
		{"assetDir spilled to the overflow file", `{"stage":"prod"}`, overflow, "/tmp/spilled"},
		{"broken json", `{`, "", "build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := assetDir(tt.json, tt.overflow), tt.want; got != want {
				t.Errorf("assetDir = %q, want %q", got, want)
			}
		})
	}
}

// TestBuildSkipsIdenticalBinary builds a tiny module twice: the second run must leave the bootstrap untouched,
// so CDK sees the same asset hash and does not upload it again.
func TestBuildSkipsIdenticalBinary(t *testing.T) {
	root := t.TempDir()
	write := func(path, body string) {
		t.Helper()
		path = filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module fake\n\ngo 1.26\n")
	write("functions/hello/main.go", "package main\n\nfunc main() { println(\"hello\") }\n")
	b := builder{Root: root, Out: "out", Arch: "arm64"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	first, err := buildAll(ctx, b, []string{"hello"})
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	if got, want := len(first), 1; got != want {
		t.Fatalf("results = %d, want %d", got, want)
	}
	if !first[0].Changed {
		t.Errorf("first build Changed = false, want true")
	}
	path := filepath.Join(root, "out", "hello", "bootstrap")
	before, err := os.Stat(path)
	if err != nil {
		t.Fatalf("bootstrap missing after build: %v", err)
	}
	if runtime.GOOS != "windows" && before.Mode().Perm()&0o111 == 0 {
		t.Errorf("bootstrap mode = %v, want executable", before.Mode())
	}
	if got, want := first[0].Size, before.Size(); got != want {
		t.Errorf("reported size = %d, want %d", got, want)
	}

	second, err := buildAll(ctx, b, []string{"hello"})
	if err != nil {
		t.Fatalf("second build: %v", err)
	}
	if second[0].Changed {
		t.Errorf("second build Changed = true, want false for an unchanged function")
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("bootstrap rewritten: mtime %v -> %v", before.ModTime(), after.ModTime())
	}
	leftovers, _ := filepath.Glob(filepath.Join(root, "out", "hello", ".bootstrap-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestBuildReportsMissingFunction(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module fake\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := buildAll(context.Background(), builder{Root: root, Out: "out", Arch: "arm64"}, []string{"nosuch"})
	if err == nil {
		t.Fatal("buildAll of a missing function: err = nil, want an error naming it")
	}
}
