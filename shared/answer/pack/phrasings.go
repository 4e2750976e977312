package pack

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"breakwater/shared/answer/phrasing"
)

// The phrasing grammars: phrasings/<locale>.grammar, one per locale.
//
//go:embed phrasings/*.grammar
var grammars embed.FS

// phrasingSeed fixes the generated sentences, so a build is reproducible and a snapshot can be checked.
const phrasingSeed = 20261206

// typoRate is the share of generated English sentences that get a misspelling.
const typoRate = 0.3

var phrased = sync.OnceValues(generate)

// Phrasings returns the platform's generated training sentences: by locale, by class. A class is an intent, or
// one of the pseudo-classes the matcher learns as "not a template": offtopic and the hand-off reasons.
func Phrasings() (map[string]map[string][]string, error) { return phrased() }

func generate() (map[string]map[string][]string, error) {
	names, err := fs.Glob(grammars, "phrasings/*.grammar")
	if err != nil {
		return nil, fmt.Errorf("list phrasing grammars: %w", err)
	}
	slices.Sort(names)
	out := map[string]map[string][]string{}
	for _, n := range names {
		locale := strings.TrimSuffix(path.Base(n), ".grammar")
		b, err := fs.ReadFile(grammars, n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		g, err := phrasing.Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		noise := phrasing.Typos(typoRate)
		if strings.HasPrefix(locale, "zh") {
			noise = phrasing.Chinese
		}
		out[locale] = g.Generate(phrasingSeed, noise)
	}
	return out, nil
}
