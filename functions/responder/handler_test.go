package main

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func TestMain(m *testing.M) { emulators.Main(m) }

type fixture struct {
	h       *handler
	store   *dynamo.Contacts
	catalog *catalog.Writer
	cache   *catalog.Cache
	now     *time.Time // the cache's clock
}

func newFixture(t *testing.T, refresh time.Duration) fixture {
	t.Helper()
	f := runner.Provisioned(t)
	store := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour)
	cat := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	now := time.Now()
	cache := catalog.NewCache(cat, refresh)
	cache.Now = func() time.Time { return now }
	return fixture{
		h: &handler{triage: cache, store: store, metrics: emf.New(os.Stderr, "test"),
			now: time.Now, margin: time.Second},
		store: store, catalog: catalog.NewWriter(cat), cache: cache, now: &now,
	}
}

func load(t *testing.T, name string) events.SQSEvent {
	t.Helper()
	root, err := emulators.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	all, err := eventfile.All(root, "responder")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(all[name], &ev); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ev
}

func failed(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

// TestSampleEvents runs every batch in events/responder through the handler against DynamoDB Local.
func TestSampleEvents(t *testing.T) {
	type outcome struct {
		status   contact.Status
		priority priority.Priority
		declined bool
	}
	tests := map[string]struct {
		failed   []string
		outcomes map[string]outcome // contact id -> what it must end as
	}{
		"batch-mixed.json": {failed: []string{"m-7"}, outcomes: map[string]outcome{
			"c_aaaaaaaaaaaaaaaaaaaaaaaaaa": {contact.Answered, priority.None, false},
			"c_bbbbbbbbbbbbbbbbbbbbbbbbbb": {contact.Answered, priority.None, false},
			"c_cccccccccccccccccccccccccc": {contact.Queued, priority.Urgent, false},
			"c_dddddddddddddddddddddddddd": {contact.Queued, priority.None, false},
			"c_eeeeeeeeeeeeeeeeeeeeeeeeee": {contact.Answered, priority.None, true}, // off-topic: declined, nothing queued
			"c_ffffffffffffffffffffffffff": {contact.Rejected, priority.None, false},
		}},
		"batch-routine.json": {outcomes: map[string]outcome{
			"c_gggggggggggggggggggggggggg": {contact.Answered, priority.None, false},
			"c_hhhhhhhhhhhhhhhhhhhhhhhhhh": {contact.Answered, priority.None, false},
		}},
		"batch-duplicate.json": {outcomes: map[string]outcome{"c_aaaaaaaaaaaaaaaaaaaaaaaaaa": {contact.Answered, priority.None, false}}},
		"batch-malformed.json": {outcomes: map[string]outcome{
			"c_ffffffffffffffffffffffffff": {contact.Rejected, priority.None, false},
			"c_eeeeeeeeeeeeeeeeeeeeeeeeee": {contact.Rejected, priority.None, false},
		}},
	}
	root, _ := emulators.RepoRoot()
	all, err := eventfile.All(root, "responder")
	if err != nil {
		t.Fatal(err)
	}
	for name := range all {
		if _, ok := tests[name]; !ok {
			t.Errorf("no expectation for sample event %s: add it to this table", name)
		}
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			fx := newFixture(t, time.Minute)
			resp, err := fx.h.handle(context.Background(), load(t, name))
			if err != nil {
				t.Fatalf("handle: %v", err)
			}
			if got, want := failed(resp), tt.failed; !slices.Equal(got, want) {
				t.Errorf("batch item failures = %v, want %v", got, want)
			}
			for id, want := range tt.outcomes {
				r, err := fx.store.Get(context.Background(), id)
				if err != nil {
					t.Fatalf("read %s: %v", id, err)
				}
				if r.Status != want.status || (want.priority != priority.None && r.Priority != want.priority) {
					t.Errorf("contact %s (%q) = %s/%s, want %s/%s; reasons %v", id, r.Text, r.Status, r.Priority, want.status, want.priority, r.Reasons)
				}
				if r.Declined != want.declined {
					t.Errorf("contact %s declined = %v, want %v", id, r.Declined, want.declined)
				}
				if r.Status == contact.Answered && (r.Answer == "" || r.AnsweredBy != "bot" || (r.Intent == "") != r.Declined) {
					t.Errorf("contact %s answered without text, author or intent: %+v", id, r)
				}
				if r.Status == contact.Rejected && r.Reject == "" {
					t.Errorf("contact %s rejected without a reason", id)
				}
				if r.Status == contact.Queued && len(r.Reasons) == 0 {
					t.Errorf("contact %s queued without reasons", id)
				}
			}
		})
	}
}

// A redelivery after the templates changed must not change the answer the shopper already has.
func TestDuplicateDeliveryNeverChangesTheAnswer(t *testing.T) {
	fx := newFixture(t, 30*time.Second)
	ev := load(t, "batch-duplicate.json")
	ev.Records = ev.Records[:1]
	if _, err := fx.h.handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	first, err := fx.store.Get(context.Background(), "c_aaaaaaaaaaaaaaaaaaaaaaaaaa")
	if err != nil || first.Status != contact.Answered {
		t.Fatalf("first delivery: %+v %v", first, err)
	}
	edited := editedTemplate(t, first.Template, "EDITED ANSWER")
	if err := fx.catalog.PutTemplates(context.Background(), []answer.Template{edited}); err != nil {
		t.Fatal(err)
	}
	*fx.now = fx.now.Add(time.Minute) // the cache sees the edit
	resp, err := fx.h.handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("second delivery: %+v %v", resp, err)
	}
	again, _ := fx.store.Get(context.Background(), first.ID)
	if again.Answer != first.Answer {
		t.Errorf("a duplicate delivery changed the answer from %q to %q", first.Answer, again.Answer)
	}
}

// A template edit reaches the next contact once the cache's refresh interval has passed, with no redeploy.
func TestTemplateEditTakesEffect(t *testing.T) {
	fx := newFixture(t, 30*time.Second)
	ev := load(t, "batch-routine.json")
	first := events.SQSEvent{Records: ev.Records[:1]}
	if _, err := fx.h.handle(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	r, _ := fx.store.Get(context.Background(), "c_gggggggggggggggggggggggggg")
	if r.Status != contact.Answered {
		t.Fatalf("routine contact not answered: %+v", r)
	}
	if err := fx.catalog.PutTemplates(context.Background(), []answer.Template{editedTemplate(t, r.Template, "New returns policy: 30 days.")}); err != nil {
		t.Fatal(err)
	}
	*fx.now = fx.now.Add(time.Minute) // past the refresh interval
	second := events.SQSEvent{Records: ev.Records[:1]}
	second.Records[0].Body = replaceID(t, second.Records[0].Body, "c_gggggggggggggggggggggggggg", "c_iiiiiiiiiiiiiiiiiiiiiiiiii")
	if _, err := fx.h.handle(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	r2, _ := fx.store.Get(context.Background(), "c_iiiiiiiiiiiiiiiiiiiiiiiiii")
	if got, want := r2.Answer, "New returns policy: 30 days."; got != want {
		t.Errorf("answer after the edit = %q, want %q", got, want)
	}
}

func editedTemplate(t *testing.T, id, text string) answer.Template {
	t.Helper()
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range ts {
		if tpl.ID == id {
			tpl.Answer, tpl.Requires = text, nil
			return tpl
		}
	}
	t.Fatalf("template %s not in the default pack", id)
	return answer.Template{}
}

func replaceID(t *testing.T, body, from, to string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	m["contact"].(map[string]any)["id"] = to
	b, _ := json.Marshal(m)
	return string(b)
}
