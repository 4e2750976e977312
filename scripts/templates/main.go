// Command templates checks answer template packs and moves them in and out of the Catalog table.
//
//	go run ./scripts/templates lint [-templates PATH]
//	go run ./scripts/templates push [-templates PATH] [-table NAME]
//	go run ./scripts/templates pull [-table NAME] [-o FILE]
//	go run ./scripts/templates phrasings [-locale L] [-class C] [-n N]
//	go run ./scripts/templates snapshot
//
// PATH is a JSON file holding an array of templates or a folder of such files; the default is the shipped pack.
// push and pull reach DynamoDB through the usual AWS environment (AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local);
// the table defaults to $CATALOG_TABLE. phrasings prints sentences the platform's phrasing grammars generate
// (shared/answer/pack/phrasings), with a count per class, to read what the matcher learns from. snapshot builds
// and trains the shipped pack's triage and writes it to shared/catalog/builtin/default.snapshot.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/catalog/builtin"
	"breakwater/shared/local/emulators"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, openCatalog)
	var failed errLintFailed
	switch {
	case errors.As(err, &failed):
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "templates:", err)
		os.Exit(2)
	}
}

// errLintFailed means lint printed errors; main exits 1 without repeating them.
type errLintFailed struct{ errors int }

func (e errLintFailed) Error() string { return fmt.Sprintf("lint found %d errors", e.errors) }

var errNoTable = fmt.Errorf("no Catalog table: pass -table or set %s", topology.Catalog.EnvVar)

const usage = `usage: templates lint|push|pull|phrasings|snapshot [flags]; "templates <command> -h" lists the flags`

// opener returns the catalog store on table.
type opener func(ctx context.Context, table string) (catalogStore, error)

func run(ctx context.Context, args []string, stdout, stderr io.Writer, catalog opener) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("templates", "", "template pack: a JSON file or a folder of them (default: the shipped pack)")
	table := fs.String("table", os.Getenv(topology.Catalog.EnvVar), "Catalog table name (push, pull)")
	outPath := fs.String("o", "", "write pulled templates to this file instead of standard output (pull)")
	strict := fs.Bool("strict", false, "treat warnings as errors (lint)")
	locale := fs.String("locale", "", "only this locale (phrasings)")
	class := fs.String("class", "", "only this class (phrasings)")
	n := fs.Int("n", 10, "sentences to print per class, 0 for the counts only (phrasings)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "phrasings":
		return printPhrasings(stdout, *locale, *class, *n)
	case "snapshot":
		return writeSnapshot(stdout)
	case "lint":
		ts, err := load(*path)
		if err != nil {
			return err
		}
		return report(ts, *strict, stdout, stderr)
	case "push":
		ts, err := load(*path)
		if err != nil {
			return err
		}
		if err := report(ts, false, io.Discard, stderr); err != nil {
			return err
		}
		if *table == "" {
			return errNoTable
		}
		cat, err := catalog(ctx, *table)
		if err != nil {
			return err
		}
		if err := cat.PutTemplates(ctx, ts); err != nil {
			return fmt.Errorf("push %d templates to %s: %w", len(ts), *table, err)
		}
		v, err := cat.Version(ctx)
		if err != nil {
			return fmt.Errorf("pushed %d templates to %s: %w", len(ts), *table, err)
		}
		fmt.Fprintf(stdout, "pushed %d templates to %s: catalog version %d, its snapshot published\n", len(ts), *table, v)
		return nil
	case "pull":
		if *table == "" {
			return errNoTable
		}
		cat, err := catalog(ctx, *table)
		if err != nil {
			return err
		}
		ts, err := cat.Templates(ctx)
		if err != nil {
			return fmt.Errorf("pull templates from %s: %w", *table, err)
		}
		return write(ts, *outPath, stdout)
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}

func load(path string) ([]answer.Template, error) {
	if path == "" {
		return pack.Default()
	}
	return pack.Read(path)
}

// report prints lint's findings to stderr and a summary to stdout; it fails when there are errors.
func report(ts []answer.Template, strict bool, stdout, stderr io.Writer) error {
	findings := append(lint(ts), crossCheck(ts, time.Now())...)
	errs, warns := 0, 0
	for _, f := range findings {
		fmt.Fprintln(stderr, f)
		if f.Severity == Error || strict {
			errs++
		} else {
			warns++
		}
	}
	if errs > 0 {
		fmt.Fprintf(stderr, "%d templates: %d errors, %d warnings\n", len(ts), errs, warns)
		return errLintFailed{errors: errs}
	}
	fmt.Fprintf(stdout, "%d templates: ok (%d warnings)\n", len(ts), warns)
	return nil
}

// catalogStore is the part of *catalog.Writer that push and pull use.
type catalogStore interface {
	PutTemplates(ctx context.Context, ts []answer.Template) error
	Templates(ctx context.Context) ([]answer.Template, error)
	Version(ctx context.Context) (int64, error)
}

func openCatalog(ctx context.Context, table string) (catalogStore, error) {
	cfg, err := sdkconfig.Load(ctx)
	if err != nil {
		return nil, err
	}
	return catalog.NewWriter(dynamo.NewCatalog(sdkconfig.DynamoDB(cfg), table)), nil
}

// write stores ts in the pack format, so a pulled file can be linted and pushed again.
func write(ts []answer.Template, path string, stdout io.Writer) error {
	b, err := json.MarshalIndent(ts, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %d templates: %w", len(ts), err)
	}
	b = append(b, '\n')
	if path == "" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write templates to %s: %w", path, err)
	}
	return nil
}

// printPhrasings prints, per locale and class, how many sentences the grammars generate and the first n of them.
func printPhrasings(w io.Writer, locale, class string, n int) error {
	all, err := pack.Phrasings()
	if err != nil {
		return err
	}
	for _, loc := range slices.Sorted(maps.Keys(all)) {
		if locale != "" && loc != locale {
			continue
		}
		for _, c := range slices.Sorted(maps.Keys(all[loc])) {
			if class != "" && c != class {
				continue
			}
			ss := all[loc][c]
			fmt.Fprintf(w, "%s %s: %d sentences\n", loc, c, len(ss))
			for _, s := range ss[:min(n, len(ss))] {
				fmt.Fprintf(w, "  %s\n", s)
			}
		}
	}
	return nil
}

// writeSnapshot derives what the shoppers' sets teach (pack.TaughtFile), builds the shipped pack's triage on it
// with the default rules, and writes both where packages pack and builtin embed them.
func writeSnapshot(w io.Writer) error {
	root, err := emulators.RepoRoot()
	if err != nil {
		return err
	}
	sets, err := pack.ReadShoppers(filepath.Join(root, pack.ShoppersDir))
	if err != nil {
		return err
	}
	taught := pack.Teach(sets)
	gz, err := pack.EncodeTaught(taught)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, pack.TaughtFile), gz, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", pack.TaughtFile, err)
	}
	fmt.Fprintf(w, "%d shoppers' sets teach %d lines; wrote %d bytes to %s\n", len(sets), len(taught), len(gz), pack.TaughtFile)
	ts, err := pack.Default()
	if err != nil {
		return err
	}
	training, err := triage.TrainingWith(taught)
	if err != nil {
		return err
	}
	start := time.Now()
	tr, err := triage.Build(ts, nil, training)
	if err != nil {
		return err
	}
	built := time.Since(start)
	b, err := tr.AppendBinary(nil)
	if err != nil {
		return err
	}
	path := filepath.Join(root, builtin.File)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(w, "built the triage of %d templates in %s; wrote %d bytes to %s\n", len(ts), built.Round(time.Millisecond), len(b), builtin.File)
	return nil
}
