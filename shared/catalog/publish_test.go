package catalog_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
)

// countingBuild is quickBuild, counting the trainings.
func countingBuild(n *int) func([]answer.Template, map[string]priority.Rules) (*triage.Triage, error) {
	return func(ts []answer.Template, rules map[string]priority.Rules) (*triage.Triage, error) {
		*n++
		return quickBuild(ts, rules)
	}
}

// merchantTemplate is the default pack's return.policy.en as merchant's own, answering answer, with examples.
func merchantTemplate(t *testing.T, store *dynamo.Catalog, id, merchant, text string, examples ...string) answer.Template {
	t.Helper()
	c, err := catalog.Load(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(c.Templates, func(x answer.Template) bool { return x.ID == "return.policy.en" })
	if i < 0 {
		t.Fatal("the default pack has no return.policy.en")
	}
	tpl := c.Templates[i]
	tpl.ID, tpl.Merchant, tpl.Answer, tpl.Examples = id, merchant, text, examples
	return tpl
}

// Staging moves nothing; a publication trains once for every staged change, publishes the version with its
// snapshot in one step, and a publication that loses the version to another writer publishes nothing and leaves
// the changes staged for the next. A change that no longer passes lint is refused, not published.
func TestStagedChangesPublishTogether(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	store := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	w := catalog.NewWriter(store)
	builds := 0
	w.Build = countingBuild(&builds)
	v0, sum0, err := store.Published(ctx)
	if err != nil || sum0 == "" {
		t.Fatalf("published = %d %q %v, want the seeded version with its snapshot", v0, sum0, err)
	}
	now := time.Now()
	a := merchantTemplate(t, store, "returns.m1.en", "m1", "m1 takes returns for 90 days.",
		"how long do I have to return shoes", "return window for boots", "can I still send back my sneakers")
	b := merchantTemplate(t, store, "returns.m2.en", "m2", "m2 takes returns for 14 days.",
		"how long do I have to return a lamp", "return window for furniture", "can I still send back my chair")
	// c says one of a's examples as another intent: staged after a, it fails lint with a and is refused.
	c := merchantTemplate(t, store, "tracking.m1.en", "m1", "m1 ships in a day.",
		"how long do I have to return shoes", "where is my parcel", "tracking number please")
	c.Intent = "order.track"
	for i, ch := range []catalog.Change{{Key: "m1/a", Templates: []answer.Template{a}}, {Key: "m2/b", Templates: []answer.Template{b}},
		{Key: "m1/c", Templates: []answer.Template{c}}} {
		ch.StagedAt = now.Add(time.Duration(i) * time.Second)
		if err := w.Stage(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Stage(ctx, catalog.Change{Key: "m1/bad", Templates: []answer.Template{{ID: "broken"}}}); err == nil {
		t.Error("staged a change whose template is invalid")
	}
	if v, sum, _ := store.Published(ctx); v != v0 || sum != sum0 || builds != 0 {
		t.Fatalf("staging moved the catalog to %d %q or trained (%d)", v, sum, builds)
	}

	staged, err := w.Staged(ctx)
	if err != nil || len(staged) != 3 || staged[0].Key != "m1/a" || staged[2].Key != "m1/c" {
		t.Fatalf("staged = %v, %v; want a, b and c in staging order", staged, err)
	}
	rel, err := w.Prepare(ctx, staged, now)
	if err != nil {
		t.Fatal(err)
	}
	if builds != 1 || rel.Before == nil || rel.After == nil || len(rel.Changes) != 2 || len(rel.Refused) != 1 || rel.Refused[0].Key != "m1/c" ||
		len(rel.Errors["m1/c"]) == 0 {
		t.Fatalf("release: %d builds, changes %v, refused %v (%v); want one build, a and b published, c refused", builds, rel.Changes, rel.Refused, rel.Errors)
	}

	// Another writer publishes meanwhile: this release publishes nothing and the changes wait.
	other := merchantTemplate(t, store, "returns.m3.en", "m3", "m3 takes returns for 30 days.",
		"how long do I have to return a kettle", "return window for kitchenware", "can I still send back my toaster")
	if err := w.PutTemplates(ctx, []answer.Template{other}); err != nil {
		t.Fatal(err)
	}
	v1, _, _ := store.Published(ctx)
	if _, err := w.Publish(ctx, rel); !errors.Is(err, catalog.ErrVersionMoved) {
		t.Fatalf("publish after another writer = %v, want ErrVersionMoved", err)
	}
	if v, _, _ := store.Published(ctx); v != v1 {
		t.Fatalf("a refused publication moved the version to %d (was %d)", v, v1)
	}
	staged, _ = w.Staged(ctx)
	for _, ch := range staged {
		if ch.PublishedIn() != 0 {
			t.Errorf("change %s marked published in %d by a refused publication", ch.Key, ch.PublishedIn())
		}
	}

	// The next publication prepares again, on the other writer's version.
	builds = 0
	if rel, err = w.Prepare(ctx, staged, now); err != nil {
		t.Fatal(err)
	}
	v2, err := w.Publish(ctx, rel)
	if err != nil || v2 != v1+1 || builds != 1 {
		t.Fatalf("publish = %d, %v after %d builds; want version %d, one build", v2, err, builds, v1+1)
	}
	v, sum, _ := store.Published(ctx)
	snap, err := store.Snapshot(ctx, v)
	if err != nil || v != v2 || sum == "" || snap == nil {
		t.Fatalf("published %d %q, snapshot %d bytes %v", v, sum, len(snap), err)
	}
	tri, err := triage.Decode(snap)
	if err != nil {
		t.Fatal(err)
	}
	for merchant, want := range map[string]string{"m1": a.Answer, "m2": b.Answer, "m3": other.Answer} {
		q := contact.Contact{ID: "q", Merchant: merchant, Locale: contact.English, Text: "how long do I have to return my order",
			Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard}, Channel: "web", ReceivedAt: now}
		if got := tri.Decide(q, now).Answer; got != want {
			t.Errorf("%s is answered %q by the published snapshot, want %q", merchant, got, want)
		}
	}
	ts, _ := w.Templates(ctx)
	if slices.ContainsFunc(ts, func(x answer.Template) bool { return x.ID == c.ID }) {
		t.Error("the refused change's template was written")
	}

	// Published but not yet unstaged (a publication stopped there): the next one finishes it without training.
	staged, _ = w.Staged(ctx)
	builds = 0
	if rel, err = w.Prepare(ctx, staged, now); err != nil {
		t.Fatal(err)
	}
	if builds != 0 || len(rel.Changes) != 0 || len(rel.Done) != 2 || len(rel.Refused) != 1 {
		t.Errorf("after publication: %d builds, changes %v, done %v, refused %v; want a and b done, c refused again, no build", builds, rel.Changes, rel.Done, rel.Refused)
	}
	for _, ch := range slices.Concat(rel.Done, rel.Refused) {
		if err := w.Unstage(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if staged, err = w.Staged(ctx); err != nil || len(staged) != 0 {
		t.Errorf("staged after unstaging = %v, %v", staged, err)
	}
}
