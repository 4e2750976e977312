package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
)

func TestMain(m *testing.M) { emulators.Main(m) }

var returns = contact.Contact{ID: "c1", Merchant: "m1", Locale: contact.English, Text: "what is your return policy",
	Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard}, Channel: "web"}

// quickBuild trains on the templates' own examples only, not the platform's phrasings: a fraction of a second
// instead of seconds. These tests are about what is published, not how well the matcher reads.
func quickBuild(ts []answer.Template, rules map[string]priority.Rules) (*triage.Triage, error) {
	return triage.Build(ts, rules, nil)
}

// decodeAt reads the snapshot of version and decodes it, failing the test when there is none.
func decodeAt(t *testing.T, store *dynamo.Catalog, version int64) *triage.Triage {
	t.Helper()
	b, err := store.Snapshot(context.Background(), version)
	if err != nil || b == nil {
		t.Fatalf("snapshot of version %d: %d bytes, %v", version, len(b), err)
	}
	tri, err := triage.Decode(b)
	if err != nil {
		t.Fatalf("decode snapshot of version %d: %v", version, err)
	}
	return tri
}

// Every write publishes a snapshot of the version it made, which decides as the templates it was built from.
func TestEveryWritePublishesASnapshotOfItsVersion(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t) // seeds the default pack and rules, which publishes
	store := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	w := catalog.NewWriter(store)
	w.Build = quickBuild
	c, err := catalog.Load(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	built, err := quickBuild(c.Templates, c.Rules)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if got, want := decodeAt(t, store, c.Version).Decide(returns, now).Answer, built.Decide(returns, now).Answer; got != want || got == "" {
		t.Fatalf("snapshot answers %q, the templates %q", got, want)
	}
	var edited answer.Template
	for _, tpl := range c.Templates {
		if tpl.ID == "return.policy.en" {
			edited = tpl
		}
	}
	if edited.ID == "" {
		t.Fatal("the default pack has no return.policy.en")
	}
	for i, text := range []string{"Returns within 45 days.", "Returns within 60 days."} {
		edited.Answer = text
		if err := w.PutTemplates(ctx, []answer.Template{edited}); err != nil {
			t.Fatal(err)
		}
		v := c.Version + int64(i) + 1
		if got := decodeAt(t, store, v).Decide(returns, now).Answer; got != text {
			t.Fatalf("version %d answers %q, want the edit %q", v, got, text)
		}
	}
	if err := w.PutTemplates(ctx, []answer.Template{{ID: "broken"}}); err == nil {
		t.Error("an invalid template was written")
	}
}

// A catalog of 500 templates (merchants overriding the platform's) publishes and decodes whole: a merchant's own
// template answers that merchant.
func TestManyMerchantsTemplates(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	store := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	def, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	var copies []answer.Template
	for m := 1; len(def)+len(copies) < 500; m++ {
		for _, tpl := range def {
			tpl.ID, tpl.Merchant, tpl.Answer = fmt.Sprintf("%s.m%03d", tpl.ID, m), fmt.Sprintf("m%03d", m), tpl.Answer+" (merchant)"
			copies = append(copies, tpl)
		}
	}
	w := catalog.NewWriter(store)
	w.Build = quickBuild
	if err := w.PutTemplates(ctx, copies); err != nil {
		t.Fatal(err)
	}
	v, err := store.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m7 := returns
	m7.Merchant = "m007"
	if got := decodeAt(t, store, v).Decide(m7, time.Now()).Answer; !strings.HasSuffix(got, "(merchant)") {
		t.Fatalf("merchant m007 is answered %q, want its own template", got)
	}
	if got := decodeAt(t, store, v).Decide(returns, time.Now()).Answer; strings.HasSuffix(got, "(merchant)") {
		t.Fatalf("merchant m1 is answered %q, another merchant's template", got)
	}
}
