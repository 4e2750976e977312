// Package functions_test checks the direction of dependencies the tree promises: functions -> shared/aws ->
// shared/<domain>, nothing a Lambda links from shared/local/, and no AWS SDK in the domain.
package functions_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "breakwater/"

// imports maps every package of the module under functions/ and shared/ to its non-test imports. It reads the
// sources with go/build, so go test's cache sees every file it read and reruns when one changes.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, top := range []string{"functions", "shared"} {
		err := filepath.WalkDir(filepath.Join("..", top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			pkg, err := build.ImportDir(path, 0)
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel("..", path)
			out[module+filepath.ToSlash(rel)] = pkg.Imports
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages", len(out))
	}
	return out
}

// deps returns every package pkg links, directly or not: the module's own packages and what they import.
func deps(all map[string][]string, pkg string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, imp := range all[p] {
			if !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(pkg)
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func functions(all map[string][]string) []string {
	var fns []string
	for p := range all {
		if strings.HasPrefix(p, module+"functions/") {
			fns = append(fns, p)
		}
	}
	return fns
}

func TestFunctionsLinkNothingLocal(t *testing.T) {
	all := imports(t)
	fns := functions(all)
	if len(fns) < 4 {
		t.Fatalf("found functions %v", fns)
	}
	for _, fn := range fns {
		for _, dep := range deps(all, fn) {
			if strings.HasPrefix(dep, module+"shared/local/") || strings.HasPrefix(dep, module+"scripts/") || dep == "testing" {
				t.Errorf("%s links %s, which must never run in a Lambda", fn, dep)
			}
		}
	}
}

// The intake and metrics functions neither decide nor render answers: they must not link the matcher.
func TestOnlyDecidingFunctionsLinkTheMatcher(t *testing.T) {
	all := imports(t)
	for _, fn := range []string{"intake", "metrics"} {
		for _, dep := range deps(all, module+"functions/"+fn) {
			switch dep {
			case module + "shared/answer", module + "shared/triage", module + "shared/catalog":
				t.Errorf("functions/%s links %s", fn, dep)
			}
		}
	}
}

// Domain packages (everything in shared/ outside shared/aws/ and shared/local/) import no AWS SDK and no adapter.
func TestDomainImportsNoAWS(t *testing.T) {
	for pkg, imps := range imports(t) {
		if !strings.HasPrefix(pkg, module+"shared/") || strings.HasPrefix(pkg, module+"shared/aws/") || strings.HasPrefix(pkg, module+"shared/local/") {
			continue
		}
		for _, imp := range imps {
			if strings.HasPrefix(imp, "github.com/aws/") || strings.HasPrefix(imp, module+"shared/aws/") || strings.HasPrefix(imp, module+"shared/local/") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}
