package drafting

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
	"breakwater/shared/voice"
)

// crashOnApproved fails recording a publication's outcome the first time: the publication stops after the
// version moved, as one whose function timed out would.
type crashOnApproved struct {
	*voice.MemStore
	crashed bool
}

func (c *crashOnApproved) UpdateDraft(ctx context.Context, d voice.Draft, from voice.DraftStatus) error {
	if d.Status == voice.Approved && !c.crashed {
		c.crashed = true
		return errors.New("the function stopped")
	}
	return c.MemStore.UpdateDraft(ctx, d, from)
}

// Two approvals staged before one publication are published by it, with one training; a publication that stops
// after moving the version is finished by the next without training; a change that no longer passes lint (staged
// by an approval that raced another) goes back to review with the errors; and with nothing staged a publication
// does nothing.
func TestPublicationTrainsOnceAndLosesNothing(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	store := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	w := catalog.NewWriter(store)
	builds := 0
	w.Build = func(ts []answer.Template, rules map[string]priority.Rules) (*triage.Triage, error) {
		builds++
		return triage.Build(ts, rules, nil) // the templates' own examples: this tests the publication, not the matcher
	}
	v0, _, err := store.Published(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := day1
	s := voice.NewMemStore()
	coupon := voice.Draft{ID: "k1.en", Merchant: "m1", Kind: voice.GapAnswer, Cluster: "k1", Locale: "en", Intent: "promo.rules",
		Examples: []string{"SAVE20 invalid", "code SAVE20 rejected at checkout", "SAVE20 does not work"},
		Answer:   "SAVE20 ended; use SAVE20B.", Status: voice.Pending}
	hub := voice.Draft{ID: "k2.en", Merchant: "m2", Kind: voice.GapAnswer, Cluster: "k2", Locale: "en", Intent: "order.track",
		Examples: []string{"parcel stuck at the leeds hub", "stuck in leeds for days", "tracking says leeds hub since monday"},
		Answer:   "The Leeds hub is behind by two days; your parcel is moving again.", Status: voice.Pending}
	// racing says one of coupon's examples as another intent, approved by someone who had not seen coupon staged.
	racing := voice.Draft{ID: "k3.en", Merchant: "m1", Kind: voice.GapAnswer, Cluster: "k3", Locale: "en", Intent: "order.track",
		Examples: []string{"SAVE20 invalid", "where did my SAVE20 order go", "SAVE20 parcel not here"},
		Answer:   "Your order is on its way.", Status: voice.Pending}
	if err := s.PutDrafts(ctx, []voice.Draft{coupon, hub, racing}); err != nil {
		t.Fatal(err)
	}
	current, err := w.Templates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	racingTemplates, err := Templates(racing, Edit{}, current, now)
	if err != nil {
		t.Fatal(err)
	}
	rv := &Reviewer{Drafts: s, Approvals: dbApprovals{s, store}, Catalog: w, Now: func() time.Time { return now }}
	for _, d := range []voice.Draft{coupon, hub} {
		got, findings, err := rv.Approve(ctx, d.Merchant, d.ID, Edit{}, "lead")
		if err != nil || got.Status != voice.Publishing {
			t.Fatalf("approve %s = %s, %v (%v)", d.ID, got.Status, err, findings)
		}
		now = now.Add(time.Second)
	}
	racing.Status = voice.Publishing
	if err := s.UpdateDraft(ctx, racing, voice.Pending); err != nil {
		t.Fatal(err)
	}
	if err := w.Stage(ctx, catalog.Change{Key: ChangeKey("m1", racing.ID), Templates: racingTemplates, StagedAt: now}); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := store.Published(ctx); v != v0 || builds != 0 {
		t.Fatalf("approvals moved the catalog to %d or trained (%d)", v, builds)
	}

	crashing := &crashOnApproved{MemStore: s}
	p := &Publisher{Catalog: w, Drafts: crashing, Now: func() time.Time { return now }}
	first, err := p.Publish(ctx)
	if err == nil {
		t.Fatal("a publication that could not record its outcome reported no error")
	}
	v1, _, _ := store.Published(ctx)
	if v1 != v0+1 || builds != 1 {
		t.Fatalf("after the stopped publication: version %d, %d trainings; want %d, 1", v1, builds, v0+1)
	}
	pub, err := p.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := store.Published(ctx); v != v1 || builds != 1 || pub.Version != 0 || len(pub.Finished) != 1 || len(first.Published) != 1 ||
		len(first.Refused) != 1 {
		t.Errorf("the stopped publication %+v, the next %+v, version %d, %d trainings; want one draft published, the other finished by the next without training", first, pub, v, builds)
	}
	for _, d := range []voice.Draft{coupon, hub} {
		got, _ := s.Draft(ctx, d.Merchant, d.ID)
		if got.Status != voice.Approved || got.PublishedAt.IsZero() || len(got.Published) == 0 {
			t.Errorf("draft %s: %s published at %v (%v), want approved and published", d.ID, got.Status, got.PublishedAt, got.Published)
		}
		if catalog.Errors(toCatalog(got.Findings)) > 0 {
			t.Errorf("draft %s published with errors: %v", d.ID, got.Findings)
		}
	}
	back, _ := s.Draft(ctx, "m1", racing.ID)
	if back.Status != voice.Pending || back.DecidedBy != "" || catalog.Errors(toCatalog(back.Findings)) == 0 || !strings.Contains(back.Reason, "not published") {
		t.Errorf("the racing draft: %s by %q, findings %v, reason %q; want it back in review with the lint errors", back.Status, back.DecidedBy, back.Findings, back.Reason)
	}
	ts, _ := w.Templates(ctx)
	for _, tpl := range ts {
		if tpl.ID == racingTemplates[0].ID {
			t.Errorf("the refused template %s was published", tpl.ID)
		}
	}
	if staged, err := w.Staged(ctx); err != nil || len(staged) != 0 {
		t.Errorf("still staged: %v, %v", staged, err)
	}

	// Nothing staged: nothing read but the staged changes, nothing trained or moved.
	if pub, err := p.Publish(ctx); err != nil || pub.Version != 0 || len(pub.Published)+len(pub.Finished)+len(pub.Refused) != 0 || builds != 1 {
		t.Errorf("an idle publication: %+v, %v, %d trainings", pub, err, builds)
	}
}

func toCatalog(fs []voice.Finding) []catalog.Finding {
	var out []catalog.Finding
	for _, f := range fs {
		out = append(out, catalog.Finding{Severity: f.Severity, Template: f.Template, Message: f.Message})
	}
	return out
}
