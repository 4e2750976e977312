package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"breakwater/shared/topology"
)

// cliSynth is the result of running the real CLI; TestMain starts it before the other tests so the CLI's build
// and synth overlap the in-process synthesis they wait for.
type cliSynth struct {
	out      []byte
	err      error
	took     time.Duration
	outDir   string
	assetDir string
}

var (
	cliDone   = make(chan struct{}) // closed when cliResult is set
	cliResult cliSynth
)

// startCLISynth runs `npx cdk synth` the way ops do: cdk.json's app command (scripts/build, then this app), no AWS
// credentials, account or region. The stack is environment-agnostic and does no lookups, so it needs none.
// The functions are built into a temporary assetDir and the assembly goes to a temporary folder, so the run
// leaves the working tree alone; the caller removes tmp.
func startCLISynth(tmp string) {
	go func() {
		r := cliSynth{outDir: filepath.Join(tmp, "cdk.out"), assetDir: filepath.Join(tmp, "assets")}
		defer func() { cliResult = r; close(cliDone) }()
		root, err := filepath.Abs("..")
		if err != nil {
			r.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npx", "--no", "cdk", "synth", "--quiet", "--output", r.outDir, "-c", "assetDir="+r.assetDir, "-c", "stage=ci")
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
			"AWS_CONFIG_FILE="+filepath.Join(tmp, "no-config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(tmp, "no-credentials"))
		start := time.Now()
		r.out, r.err = cmd.CombinedOutput()
		r.took = time.Since(start)
	}()
}

// TestCdkSynthOffline checks what the real CLI synthesized offline: the template, and a bootstrap per function.
func TestCdkSynthOffline(t *testing.T) {
	if !cliSynthWanted() {
		t.Log("-short: not running the CLI")
		return
	}
	<-cliDone
	r := cliResult
	t.Logf("npx cdk synth took %v (run concurrently with the other tests)", r.took.Round(100*time.Millisecond))
	if r.err != nil {
		t.Fatalf("npx cdk synth: %v\n%s", r.err, r.out)
	}

	raw, err := os.ReadFile(filepath.Join(r.outDir, stackName("ci")+".template.json"))
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
		info, err := os.Stat(filepath.Join(r.assetDir, f.Name, "bootstrap"))
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

// cliSynthWanted reports whether this run includes TestCdkSynthOffline: not with -short, and not when -run
// selects other tests only.
func cliSynthWanted() bool {
	if testing.Short() {
		return false
	}
	run := flag.Lookup("test.run")
	if run == nil || run.Value.String() == "" {
		return true
	}
	re, err := regexp.Compile(run.Value.String())
	return err == nil && re.MatchString("TestCdkSynthOffline")
}
