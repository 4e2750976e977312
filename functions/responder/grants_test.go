package main

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/catalog"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

// The responder's role allows exactly the DynamoDB actions its code calls (topology.Functions): every sample
// batch (answers, hand-offs, rejections, a redelivery) runs through clients that record them.
func TestGrantedActionsAreTheCalledOnes(t *testing.T) {
	f := runner.Provisioned(t)
	db, calls := f.RecordingDynamoDB()
	h := &handler{triage: catalog.NewCache(dynamo.NewCatalog(db, f.Tables[topology.Catalog.ID]), time.Minute),
		store:   dynamo.NewContacts(db, f.Tables[topology.Contacts.ID], 24*time.Hour),
		metrics: emf.New(os.Stderr, "test"), now: time.Now, margin: time.Second}
	for _, name := range []string{"batch-mixed.json", "batch-routine.json", "batch-duplicate.json", "batch-malformed.json", "batch-duplicate.json"} {
		if _, err := h.handle(context.Background(), load(t, name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	fn, _ := topology.FunctionNamed("responder")
	for _, table := range []string{topology.Contacts.ID, topology.Catalog.ID} {
		use, _ := fn.Use(table)
		if got, want := calls.Actions(f.Tables[table]), slices.Sorted(slices.Values(use.Actions)); !slices.Equal(got, want) {
			t.Errorf("the responder called %v on the %s table; topology grants %v", got, table, want)
		}
	}
}
