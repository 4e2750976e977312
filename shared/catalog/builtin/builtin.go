// Package builtin holds the triage of the shipped template pack and default priority rules, built and trained
// ahead of time (default.snapshot), so that tools and the local stack start without training the matcher.
// Regenerate it whenever the pack, the phrasing grammars or the matcher change:
//
//	go run ./scripts/templates snapshot
//
// TestSnapshotIsCurrent fails when it is stale. A deployed catalog publishes its own snapshot at every change; the
// responder and the agent function link this one too, so that while the catalog publishes exactly it (the
// default pack, as after the first deploy) a cold start decodes it instead of reading 1.5 MB from the table.
package builtin

import (
	_ "embed"
	"fmt"

	"breakwater/shared/triage"
)

// File is the snapshot's path in the repository, for the command that writes it.
const File = "shared/catalog/builtin/default.snapshot"

//go:embed default.snapshot
var snapshot []byte

// Snapshot returns the encoded triage of the default pack and rules, as triage.AppendBinary writes it.
func Snapshot() []byte { return snapshot }

// Triage decodes the default pack's triage.
func Triage() (*triage.Triage, error) {
	t, err := triage.Decode(snapshot)
	if err != nil {
		return nil, fmt.Errorf("decode the built-in triage (regenerate it with go run ./scripts/templates snapshot): %w", err)
	}
	return t, nil
}
