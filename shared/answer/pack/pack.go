// Package pack holds the default answer templates every merchant gets, and reads template packs from disk.
package pack

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"breakwater/shared/answer"
)

// A pack is one JSON file holding an array of templates, or a folder of such files (read in name order).
//
//go:embed templates/*.json
var embedded embed.FS

// Default returns the platform templates shipped with Breakwater.
func Default() ([]answer.Template, error) {
	ts, err := readDir(embedded, "templates")
	if err != nil {
		return nil, fmt.Errorf("read default pack: %w", err)
	}
	return ts, nil
}

// Read loads a pack from path, a JSON file or a folder of JSON files.
func Read(p string) ([]answer.Template, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("read pack %s: %w", p, err)
	}
	if info.IsDir() {
		ts, err := readDir(os.DirFS(p), ".")
		if err != nil {
			return nil, fmt.Errorf("read pack folder %s: %w", p, err)
		}
		return ts, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read pack file %s: %w", p, err)
	}
	ts, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("read pack file %s: %w", p, err)
	}
	return ts, nil
}

// Parse reads one pack file: a JSON array of templates. Unknown fields are errors, so typos in field names show.
func Parse(b []byte) ([]answer.Template, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ts []answer.Template
	if err := dec.Decode(&ts); err != nil {
		return nil, fmt.Errorf("decode templates: %w", err)
	}
	return ts, nil
}

func readDir(fsys fs.FS, dir string) ([]answer.Template, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var all []answer.Template
	for _, n := range names {
		b, err := fs.ReadFile(fsys, path.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		ts, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		all = append(all, ts...)
	}
	return all, nil
}
