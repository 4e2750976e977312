// Command templates checks answer template packs and moves them in and out of the Catalog table.
//
//	go run ./scripts/templates lint [-templates PATH]
//	go run ./scripts/templates push [-templates PATH] [-table NAME]
//	go run ./scripts/templates pull [-table NAME] [-o FILE]
//
// PATH is a JSON file holding an array of templates or a folder of such files; the default is the shipped pack.
// push and pull reach DynamoDB through the usual AWS environment (AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local);
// the table defaults to $CATALOG_TABLE.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/topology"
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

const usage = `usage: templates lint|push|pull [flags]; "templates <command> -h" lists the flags`

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
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
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
