package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

func TestMain(m *testing.M) { emulators.Main(m) }

func TestLintDefaultPackIsClean(t *testing.T) {
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(lint(ts), crossCheck(ts, time.Now())...) {
		t.Errorf("%s", f)
	}
}

func examples(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, prefix+" question number "+string(rune('a'+i)))
	}
	return out
}

func tmpl(id, in, locale string, mutate ...func(*answer.Template)) answer.Template {
	t := answer.Template{ID: id, Intent: in, Locale: locale, Merchant: "m1", Examples: examples(id, 5), Answer: "Sure."}
	for _, m := range mutate {
		m(&t)
	}
	return t
}

func TestLint(t *testing.T) {
	pair := func(id, in string, mutate ...func(*answer.Template)) []answer.Template {
		return []answer.Template{tmpl(id+".en", in, "en", mutate...), tmpl(id+".zh", in, "zh-CN", mutate...)}
	}
	from, until := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ts   []answer.Template
		want string // a substring of an error; "" for a clean pack
	}{
		{name: "clean merchant pack", ts: pair("w", "warranty")},
		{name: "duplicate id", ts: append(pair("w", "warranty"), tmpl("w.en", "warranty", "en")), want: "duplicate id"},
		{name: "unknown placeholder", ts: pair("w", "warranty", func(t *answer.Template) { t.Answer = "Hi {{shopper.name}}" }), want: "unknown placeholder"},
		{name: "unclosed placeholder", ts: pair("w", "warranty", func(t *answer.Template) { t.Answer = "Hi {{order.id" }), want: "unclosed"},
		{name: "unknown intent", ts: pair("w", "weather"), want: "unknown intent"},
		{name: "missing locale", ts: []answer.Template{tmpl("w.en", "warranty", "en")}, want: "no standing zh-CN template"},
		{name: "example in two intents", ts: append(pair("w", "warranty"), pair("r", "return.policy", func(t *answer.Template) {
			t.Examples = append(t.Examples, "w.en question number a")
		})...), want: "collides with template w.en"},
		{name: "requires unknown field", ts: pair("w", "warranty", func(t *answer.Template) { t.Requires = []string{"order.colour"} }), want: "requires unknown field"},
		{name: "ask without text", ts: pair("w", "warranty", func(t *answer.Template) {
			t.Requires, t.WhenMissing = []string{"order.id"}, answer.MissingAsk
		}), want: "ask is empty"},
		{name: "empty window", ts: pair("w", "warranty", func(t *answer.Template) { t.ActiveFrom, t.ActiveUntil = &from, &until }), want: "active window is empty"},
		{name: "no examples", ts: pair("w", "warranty", func(t *answer.Template) { t.Examples = nil }), want: "no example questions"},
		{name: "thin platform template", ts: pair("w", "warranty", func(t *answer.Template) { t.Merchant = answer.Platform }), want: "want at least 15"},
		{name: "platform pack lacks intents", ts: pair("w", "warranty", func(t *answer.Template) {
			t.Merchant, t.Examples = answer.Platform, examples(t.ID, 15)
		}), want: "platform templates lack intent order.track"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []string
			for _, f := range lint(tt.ts) {
				if f.Severity == Error {
					errs = append(errs, f.String())
				}
			}
			if tt.want == "" {
				if len(errs) > 0 {
					t.Fatalf("errors = %q, want none", errs)
				}
				return
			}
			if !strings.Contains(strings.Join(errs, "\n"), tt.want) {
				t.Fatalf("errors = %q, want one containing %q", errs, tt.want)
			}
		})
	}
}

func TestLintCommandExitsOnErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	b, err := json.Marshal([]answer.Template{tmpl("w.en", "warranty", "en")})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		stdout  string
		stderr  string
	}{
		{name: "default pack", args: []string{"lint"}, stdout: "templates: ok"},
		{name: "bad pack", args: []string{"lint", "-templates", bad}, wantErr: true, stderr: "no standing zh-CN template"},
		{name: "missing file", args: []string{"lint", "-templates", filepath.Join(dir, "none.json")}, wantErr: true},
		{name: "no command", args: nil, wantErr: true},
		{name: "unknown command", args: []string{"frobnicate"}, wantErr: true},
		{name: "push without table", args: []string{"push", "-table", ""}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr, nil)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("err = %v, want error %v (stderr %s)", err, tt.wantErr, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tt.stdout, tt.stderr)
			}
		})
	}
}

func TestPushThenPullOnDynamoDBLocal(t *testing.T) {
	f := runner.Provisioned(t)
	table := f.Tables[topology.Catalog.ID]
	open := func(context.Context, string) (catalogStore, error) {
		return catalog.NewWriter(dynamo.NewCatalog(f.DynamoDB, table)), nil
	}
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"push", "-table", table}, &stdout, &stderr, open); err != nil {
		t.Fatalf("push: %v (%s)", err, stderr.String())
	}
	// Push published the matcher for the version it made, as responders will read it.
	cat := dynamo.NewCatalog(f.DynamoDB, table)
	v, err := cat.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), fmt.Sprintf("catalog version %d, its snapshot published", v)) {
		t.Errorf("push said %q, want the version %d it published", stdout.String(), v)
	}
	if b, err := cat.Snapshot(ctx, v); err != nil || len(b) == 0 {
		t.Fatalf("no snapshot for version %d after push: %d bytes, %v", v, len(b), err)
	}
	out := filepath.Join(t.TempDir(), "pulled.json")
	if err := run(ctx, []string{"pull", "-table", table, "-o", out}, &stdout, &stderr, open); err != nil {
		t.Fatalf("pull: %v", err)
	}
	pulled, err := pack.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(pulled), len(want); got != want {
		t.Fatalf("pulled %d templates, want %d", got, want)
	}
	byID := map[string]answer.Template{}
	for _, tp := range pulled {
		byID[tp.ID] = tp
	}
	for _, w := range want {
		got, ok := byID[w.ID]
		if !ok {
			t.Errorf("template %s not pulled", w.ID)
			continue
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(w)
		if !bytes.Equal(gb, wb) {
			t.Errorf("template %s changed on the round trip:\n got %s\nwant %s", w.ID, gb, wb)
		}
	}
	var lintOut bytes.Buffer
	if err := run(ctx, []string{"lint", "-templates", out}, &lintOut, &stderr, open); err != nil {
		var failed errLintFailed
		if errors.As(err, &failed) {
			t.Fatalf("pulled pack fails lint: %s", stderr.String())
		}
		t.Fatal(err)
	}
}
