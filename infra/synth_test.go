package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/shared/topology"
)

// TestCdkSynthOffline runs the real CLI the way ops do, with cdk.json's app command (scripts/build, then this
// app), and no AWS credentials, account or region: the stack is environment-agnostic and does no lookups.
// The functions are built into a temporary assetDir, so the test leaves the working tree alone.
func TestCdkSynthOffline(t *testing.T) {
	if testing.Short() {
		t.Log("-short: not running the CLI")
		return
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	outDir, assets := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npx", "--no", "cdk", "synth", "--quiet", "--output", outDir, "-c", "assetDir="+assets, "-c", "stage=ci")
	cmd.Dir = root
	cmd.WaitDelay = 10 * time.Second
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "CDK_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "CDK_DISABLE_CLI_TELEMETRY=true", "CDK_DISABLE_VERSION_CHECK=1",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(outDir, "no-config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(outDir, "no-credentials"))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("npx cdk synth took %v", time.Since(start).Round(100*time.Millisecond))
	if err != nil {
		t.Fatalf("npx cdk synth: %v\n%s", err, out)
	}

	raw, err := os.ReadFile(filepath.Join(outDir, stackName("ci")+".template.json"))
	if err != nil {
		t.Fatalf("synthesized template: %v", err)
	}
	var tpl struct {
		Resources map[string]struct{ Type string }
		Outputs   map[string]any
	}
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatalf("parse template: %v", err)
	}
	for _, id := range []string{topology.Contacts.ID, topology.Catalog.ID, topology.Intake.ID} {
		if _, ok := tpl.Resources[id]; !ok {
			t.Errorf("template lacks %s", id)
		}
	}
	for _, f := range topology.Functions {
		info, err := os.Stat(filepath.Join(assets, f.Name, "bootstrap"))
		if err != nil {
			t.Errorf("scripts/build left no bootstrap for %s: %v", f.Name, err)
			continue
		}
		t.Logf("%s bootstrap %.1f MB", f.Name, float64(info.Size())/(1<<20))
	}
	if _, ok := tpl.Outputs["ApiUrl"]; !ok {
		t.Errorf("template has no ApiUrl output")
	}
}
