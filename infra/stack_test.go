package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"breakwater/shared/topology"
)

// assetDir holds placeholder bootstraps so the assertions tests do not depend on building the functions;
// the synth test builds the real ones.
var assetDirForTests string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "breakwater-assets-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp asset dir:", err)
		os.Exit(1)
	}
	for _, f := range topology.Functions {
		if err := os.MkdirAll(filepath.Join(dir, f.Name), 0o755); err == nil {
			err = os.WriteFile(filepath.Join(dir, f.Name, "bootstrap"), []byte("placeholder "+f.Name), 0o755)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "placeholder bootstrap:", err)
			os.Exit(1)
		}
	}
	assetDirForTests = dir
	flag.Parse()
	cliTmp, err := os.MkdirTemp("", "breakwater-synth-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp synth dir:", err)
		os.Exit(1)
	}
	wanted := cliSynthWanted()
	if wanted {
		startCLISynth(cliTmp)
	}
	code := m.Run()
	jsii.Close() // stops jsii's node process and removes its folder in /tmp
	if wanted {
		<-cliDone // never leave the CLI running behind the test binary
	}
	os.RemoveAll(dir)
	os.RemoveAll(cliTmp)
	os.Exit(code)
}

// synthesized is one stage of the app as the tests see it: its constructs, the assertions template and the
// template as plain JSON for checks that walk every resource.
type synthesized struct {
	*deployment
	Template assertions.Template
	JSON     map[string]any
	Config   config
}

var (
	fixtureOnce sync.Once
	fixtureDev  *synthesized
	fixtureProd *synthesized
	fixtureErr  error
)

// cdkContext is cdk.json's context, so the tests synthesize with the same feature flags as `cdk synth`.
func cdkContext() (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		return nil, fmt.Errorf("read cdk.json: %w", err)
	}
	var c struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("parse cdk.json: %w", err)
	}
	return c.Context, nil
}

// stages synthesizes a dev stage with every default and a prod stage with overrides, once per test binary:
// starting jsii and synthesizing cost seconds. The app carries cdk-nag like the real app; the nag test reads its
// annotations, which needs them kept out of the validation report.
func stages(t *testing.T) (dev, prod *synthesized) {
	t.Helper()
	fixtureOnce.Do(func() {
		ctx, err := cdkContext()
		if err != nil {
			fixtureErr = err
			return
		}
		ctx["@aws-cdk/core:annotationsInValidationReport"] = false
		ctx["assetDir"] = assetDirForTests
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
		devCfg, err := configFrom(app.Node())
		if err != nil {
			fixtureErr = fmt.Errorf("default config: %w", err)
			return
		}
		prodCfg := devCfg
		prodCfg.Stage = "prod"
		prodCfg.Capacity.MaxConcurrency = 300
		prodCfg.Capacity.Concurrency = 2500
		prodCfg.Capacity.APIRate, prodCfg.Capacity.APIBurst = 290000, 145000
		prodCfg.Capacity.WarmWrites, prodCfg.Capacity.WarmIndexReads = 160000, 20000
		prodCfg.AlarmEmail = "oncall@example.com"
		prodCfg.RetentionDays = 90
		d, p := newStack(app, devCfg), newStack(app, prodCfg)
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		fixtureDev, fixtureErr = synth(d, devCfg)
		if fixtureErr == nil {
			fixtureProd, fixtureErr = synth(p, prodCfg)
		}
	})
	if fixtureErr != nil {
		t.Fatalf("synthesize the stages: %v", fixtureErr)
	}
	return fixtureDev, fixtureProd
}

func synth(d *deployment, cfg config) (s *synthesized, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesize %s: %v", *d.Stack.StackName(), r)
		}
	}()
	tpl := assertions.Template_FromStack(d.Stack, nil)
	raw, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		return nil, fmt.Errorf("template of %s to JSON: %w", *d.Stack.StackName(), err)
	}
	var j map[string]any
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("template of %s from JSON: %w", *d.Stack.StackName(), err)
	}
	return &synthesized{deployment: d, Template: tpl, JSON: j, Config: cfg}, nil
}

// check runs an assertions call; a failed assertion panics in Go, which would abort every later test.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// resource is one template resource.
type resource struct {
	ID         string
	Type       string
	Properties map[string]any
	Raw        map[string]any
}

// resources returns the template's resources of one type, by logical id.
func (s *synthesized) resources(typ string) map[string]resource {
	out := map[string]resource{}
	for id, v := range s.JSON["Resources"].(map[string]any) {
		r := v.(map[string]any)
		if r["Type"] != typ {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		out[id] = resource{ID: id, Type: typ, Properties: props, Raw: r}
	}
	return out
}

// resource returns one resource by logical id, failing the test when it is missing.
func (s *synthesized) resource(t *testing.T, id string) resource {
	t.Helper()
	v, ok := s.JSON["Resources"].(map[string]any)[id]
	if !ok {
		t.Fatalf("resource %s missing from %s", id, *s.Stack.StackName())
	}
	r := v.(map[string]any)
	props, _ := r["Properties"].(map[string]any)
	return resource{ID: id, Type: r["Type"].(string), Properties: props, Raw: r}
}

// js is v as compact JSON, to compare or search nested template values.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// refersTo reports whether a template value references the logical id (Ref or Fn::GetAtt).
func refersTo(v any, id string) bool {
	s := js(v)
	return strings.Contains(s, `{"Ref":"`+id+`"}`) || strings.Contains(s, `"Fn::GetAtt":["`+id+`",`)
}

func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case json.Number:
		f, _ := n.Float64()
		return f
	}
	return -1
}
