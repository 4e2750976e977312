// Package lambdahost runs unchanged Lambda function binaries on this machine by hosting the Lambda Runtime API for them.
package lambdahost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles functions/<name> for this machine the way the stack builds it for Lambda (-tags lambda.norpc) and returns the binary's path.
func Build(ctx context.Context, root, name, outDir string) (string, error) {
	return BuildPackage(ctx, root, "./functions/"+name, filepath.Join(outDir, name))
}

// BuildPackage compiles the main package pkg (relative to root) into out with -tags lambda.norpc.
// The binary is built beside out and renamed over it, so a process starting out (another test binary building the same function) never runs a half-written file.
func BuildPackage(ctx context.Context, root, pkg, out string) (string, error) {
	out, err := filepath.Abs(out)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".build-")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, filepath.Base(out))
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", bin, pkg)
	cmd.Dir = root
	// Static like the provided.al2023 bootstrap.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s into %s: %w\n%s", pkg, out, err, bytes.TrimSpace(stderr.Bytes()))
	}
	if err := os.Rename(bin, out); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	return out, nil
}
