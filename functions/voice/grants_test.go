package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/answer"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
	"breakwater/shared/voice"
	"breakwater/shared/voice/drafting"
)

// The voice function's role allows exactly the DynamoDB actions its code calls (topology.Functions), recorded
// through the function as main wires it: a cold start, the hourly run, a publication of an approved draft (which
// trains once) and a publication with nothing staged (which reads the staged changes and nothing else).
func TestGrantedActionsAreTheCalledOnes(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	db, calls := f.RecordingDynamoDB()
	now := time.Now().UTC()
	seed(t, dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour), now.Truncate(time.Hour).Add(-time.Hour))
	c := config{contacts: f.Tables[topology.Contacts.ID], catalog: f.Tables[topology.Catalog.ID], voice: f.Tables[topology.Voice.ID],
		notify: "outbox", topic: runner.LocalVoiceTopic, retention: 15 * 24 * time.Hour}
	h, r, err := wire(ctx, db, c)
	if err != nil {
		t.Fatal(err)
	}
	trainings := 0
	quick := func(ts []answer.Template, rules map[string]priority.Rules) (*triage.Triage, error) {
		trainings++
		return triage.Build(ts, rules, nil) // the templates' own examples: this tests the calls, not the matcher
	}
	h.publish.(*drafting.Publisher).Catalog.(*catalog.Writer).Build = quick
	root, _ := emulators.RepoRoot()
	events, err := eventfile.All(root, "voice")
	if err != nil {
		t.Fatal(err)
	}
	invoke := func(name string) result {
		t.Helper()
		b, err := lambda.NewHandler(h.handle).Invoke(ctx, events[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var r result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if res := invoke("scheduled.json"); res.Gathered == 0 {
		t.Fatalf("the hourly run gathered nothing: %+v", res)
	}
	// A digest that cannot be sent is unmarked, for the next run to send.
	r.Send = failing{}
	if _, err := lambda.NewHandler(h.handle).Invoke(ctx, events["digest-now.json"]); err == nil {
		t.Fatal("a run whose digest could not be sent reported no error")
	}

	// An agent approves a draft (the agent function's calls, not recorded here); the next tick publishes it.
	store := dynamo.NewVoice(f.DynamoDB, f.Tables[topology.Voice.ID], c.retention)
	cat := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	d := voice.Draft{ID: "k1.en", Merchant: "m1", Kind: voice.GapAnswer, Cluster: "k1", Locale: "en", Intent: "promo.rules",
		Examples: []string{"SAVE20 invalid", "code SAVE20 rejected at checkout", "SAVE20 does not work"},
		Answer:   "SAVE20 ended at midnight; SAVE20B gives the same discount.", Status: voice.Pending, UpdatedAt: now}
	if err := store.PutDrafts(ctx, []voice.Draft{d}); err != nil {
		t.Fatal(err)
	}
	rv := &drafting.Reviewer{Drafts: store, Approvals: dynamo.Approvals{Voice: store, Catalog: cat}, Catalog: catalog.NewWriter(cat), Now: time.Now}
	if _, findings, err := rv.Approve(ctx, "m1", d.ID, drafting.Edit{}, "lead"); err != nil {
		t.Fatalf("approve: %v %v", err, findings)
	}
	v0, _, _ := cat.Published(ctx)
	res := invoke("publish.json")
	if res.Publish == nil || res.Publish.Version != v0+1 || !slices.Equal(res.Publish.Published, []string{drafting.ChangeKey("m1", d.ID)}) || trainings != 1 {
		t.Fatalf("publication %+v after %d trainings; want the draft in version %d, one training", res.Publish, trainings, v0+1)
	}
	if got, _ := store.Draft(ctx, "m1", d.ID); got.Status != voice.Approved || got.PublishedAt.IsZero() {
		t.Errorf("draft after the publication: %s published at %v", got.Status, got.PublishedAt)
	}
	if res := invoke("publish.json"); res.Publish == nil || res.Publish.Version != 0 || trainings != 1 {
		t.Errorf("an idle tick: %+v after %d trainings; want nothing published or trained", res.Publish, trainings)
	}

	fn, _ := topology.FunctionNamed("voice")
	for _, table := range []string{topology.Contacts.ID, topology.Catalog.ID, topology.Voice.ID} {
		use, _ := fn.Use(table)
		if got, want := calls.Actions(f.Tables[table]), slices.Sorted(slices.Values(use.Actions)); !slices.Equal(got, want) {
			t.Errorf("the voice function called %v on the %s table; topology grants %v", got, table, want)
		}
	}

	// An idle tick reads the staged changes, and nothing else.
	idleDB, idle := f.RecordingDynamoDB()
	p := &drafting.Publisher{Catalog: catalog.NewWriter(dynamo.NewCatalog(idleDB, c.catalog)),
		Drafts: dynamo.NewVoice(idleDB, c.voice, c.retention), Now: time.Now}
	if pub, err := p.Publish(ctx); err != nil || pub.Version != 0 {
		t.Fatalf("idle publication = %+v, %v", pub, err)
	}
	for table, want := range map[string][]string{topology.Catalog.ID: {"Query"}, topology.Voice.ID: nil, topology.Contacts.ID: nil} {
		if got := idle.Actions(f.Tables[table]); !slices.Equal(got, want) {
			t.Errorf("an idle publication called %v on the %s table, want %v", got, table, want)
		}
	}
}

// failing is an owner's channel that is down.
type failing struct{}

func (failing) Send(context.Context, voice.Owner, voice.Message) error {
	return errors.New("the channel is down")
}
