package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/voice"
)

var vt0 = time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)

func voiceStore(t *testing.T) (*dynamo.Voice, runner.Fixture) {
	f := runner.Provisioned(t)
	s := dynamo.NewVoice(f.DynamoDB, f.Tables[topology.Voice.ID], 15*24*time.Hour)
	s.Now = func() time.Time { return vt0 }
	return s, f
}

func TestVoicesByHourAndTTL(t *testing.T) {
	ctx := context.Background()
	s, f := voiceStore(t)
	var vs []voice.Voice
	for i := range 60 {
		vs = append(vs, voice.Voice{ID: fmt.Sprintf("c%03d", i), Merchant: "m1", At: vt0.Add(time.Duration(i) * 3 * time.Minute),
			Locale: "en", Kind: voice.HandedOff, Text: "coupon [number] invalid"})
	}
	vs = append(vs, voice.Voice{ID: "other", Merchant: "m2", At: vt0, Text: "x"})
	// A later outcome of the same contact replaces the earlier one.
	vs = append(vs, voice.Voice{ID: "c000", Merchant: "m1", At: vt0, Locale: "en", Kind: voice.HandedOff, Text: "coupon [number] invalid", Reply: "fixed"})
	if err := s.PutVoices(ctx, vs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Voices(ctx, "m1", vt0.Add(30*time.Minute), vt0.Add(150*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 40 {
		t.Errorf("voices of 10:30-12:30: %d, want 40", len(got))
	}
	first, _ := s.Voices(ctx, "m1", vt0, vt0.Add(time.Minute))
	if len(first) != 1 || first[0].Reply != "fixed" {
		t.Errorf("c000 = %+v, want the later outcome", first)
	}
	out, err := f.DynamoDB.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(f.Tables[topology.Voice.ID])})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		e, ok := it[topology.VoiceTTL].(*types.AttributeValueMemberN)
		if !ok {
			t.Fatalf("item %v has no %s", it["pk"], topology.VoiceTTL)
		}
		if n, _ := strconv.ParseInt(e.Value, 10, 64); n < vt0.Add(14*24*time.Hour).Unix() {
			t.Errorf("item %v expires at %d, want about 15 days after the voice", it["pk"], n)
		}
	}
}

// The hourly run and an owner may write a problem at once: the owner's status survives the run's update, and
// the run's new label survives the owner's.
func TestClusterStatusSurvivesAConcurrentRun(t *testing.T) {
	ctx := context.Background()
	s, _ := voiceStore(t)
	c := voice.Cluster{ID: "k1", Merchant: "m1", Lane: voice.LaneText, Label: "coupon", Status: voice.Open, LastSeen: vt0,
		Centroid: map[string]float64{"c:coupon": 1}}
	if err := s.PutClusters(ctx, []voice.Cluster{c}); err != nil {
		t.Fatal(err)
	}
	read, err := s.Clusters(ctx, "m1")
	if err != nil || len(read) != 1 {
		t.Fatalf("clusters %v, %v", read, err)
	}
	run := read[0] // the run read it
	if _, err := s.SetStatus(ctx, "m1", "k1", voice.Resolved, "lead", vt0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	run.Label = "coupon · not working"
	run.LastSeen = vt0.Add(time.Hour)
	if err := s.PutClusters(ctx, []voice.Cluster{run}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Cluster(ctx, "m1", "k1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != voice.Resolved || got.StatusBy != "lead" || got.Label != "coupon · not working" {
		t.Errorf("stored %+v, want resolved by lead and the run's label", got)
	}
	if _, err := s.SetStatus(ctx, "m1", "nope", voice.Resolved, "lead", vt0); !errors.Is(err, voice.ErrNotFound) {
		t.Errorf("unknown problem: %v, want ErrNotFound", err)
	}
}

func TestDraftReviewIsDecidedOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := voiceStore(t)
	d := voice.Draft{ID: "k1.en", Merchant: "m1", Kind: voice.GapAnswer, Locale: "en", Status: voice.Pending, UpdatedAt: vt0, Impact: 5}
	if err := s.PutDrafts(ctx, []voice.Draft{d}); err != nil {
		t.Fatal(err)
	}
	approved := d
	approved.Status, approved.DecidedBy = voice.Approved, "lead"
	if err := s.DecideDraft(ctx, approved); err != nil {
		t.Fatal(err)
	}
	if err := s.DecideDraft(ctx, approved); !errors.Is(err, voice.ErrDecided) {
		t.Errorf("deciding twice: %v, want ErrDecided", err)
	}
	// The hourly run refreshes what it read as pending: the approval stays.
	d.Impact = 9
	if err := s.PutDrafts(ctx, []voice.Draft{d}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Draft(ctx, "m1", "k1.en")
	if err != nil || got.Status != voice.Approved {
		t.Errorf("draft %+v (%v), want still approved", got, err)
	}
	// Approved drafts' figures are added by the run.
	got.Answered = 3
	if err := s.PutDrafts(ctx, []voice.Draft{got}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Draft(ctx, "m1", "k1.en"); got.Answered != 3 {
		t.Errorf("answered = %d, want 3", got.Answered)
	}
	if _, err := s.Draft(ctx, "m1", "nope"); !errors.Is(err, voice.ErrNotFound) {
		t.Errorf("unknown draft: %v, want ErrNotFound", err)
	}
}

func TestHoursRoutingMerchantsDigestsWatermarkOutbox(t *testing.T) {
	ctx := context.Background()
	s, _ := voiceStore(t)
	hs := []voice.HourCounts{
		{Merchant: "m1", Hour: vt0, Counts: map[string]int{"k1": 3}, Total: 5},
		{Merchant: "m1", Hour: vt0.Add(time.Hour), Counts: map[string]int{"k1": 4}, Total: 4},
		{Merchant: "m1", Hour: vt0.Add(2 * time.Hour), Counts: map[string]int{}, Total: 0},
	}
	if err := s.PutHours(ctx, hs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Hours(ctx, "m1", vt0, vt0.Add(2*time.Hour))
	if err != nil || len(got) != 2 || got[vt0.Add(time.Hour)].Counts["k1"] != 4 {
		t.Errorf("hours = %v (%v), want 10:00 and 11:00", got, err)
	}
	r := voice.Routing{Merchant: "m1", Owners: []voice.Owner{{ID: "ops", Kind: voice.Webhook, Target: "https://hooks.example/v"}}, Default: "ops"}
	if err := s.PutRouting(ctx, r); err != nil {
		t.Fatal(err)
	}
	if bad := (voice.Routing{Merchant: "m1", Default: "nobody"}); s.PutRouting(ctx, bad) == nil {
		t.Errorf("PutRouting accepted a routing whose default is no owner")
	}
	if rt, ok, err := s.Routing(ctx, "m1"); err != nil || !ok || rt.Owners[0].Target != "https://hooks.example/v" {
		t.Errorf("routing = %+v %v %v", rt, ok, err)
	}
	if _, ok, err := s.Routing(ctx, "m2"); ok || err != nil {
		t.Errorf("routing of m2: %v %v, want none", ok, err)
	}
	s.NoteMerchants(ctx, map[string]time.Time{"m1": vt0})
	s.NoteMerchants(ctx, map[string]time.Time{"m1": vt0.Add(time.Hour), "m2": vt0})
	if ms, err := s.Merchants(ctx); err != nil || len(ms) != 2 || !ms["m1"].Equal(vt0) {
		t.Errorf("merchants = %v (%v), want m1 since 10:00 and m2", ms, err)
	}
	if first, err := s.MarkDigest(ctx, "m1", "ops", "2026-11-11"); !first || err != nil {
		t.Errorf("first mark: %v %v", first, err)
	}
	if again, err := s.MarkDigest(ctx, "m1", "ops", "2026-11-11"); again || err != nil {
		t.Errorf("second mark: %v %v, want false", again, err)
	}
	s.UnmarkDigest(ctx, "m1", "ops", "2026-11-11")
	if again, _ := s.MarkDigest(ctx, "m1", "ops", "2026-11-11"); !again {
		t.Errorf("mark after unmark: false, want true")
	}
	if w, err := s.Watermark(ctx); !w.IsZero() || err != nil {
		t.Errorf("watermark before any = %v %v", w, err)
	}
	s.PutWatermark(ctx, vt0)
	if w, _ := s.Watermark(ctx); !w.Equal(vt0) {
		t.Errorf("watermark = %v, want %v", w, vt0)
	}
	for i := range 3 {
		if err := s.Send(ctx, voice.Owner{ID: "ops"}, voice.Message{Kind: "spike", Subject: fmt.Sprint(i), Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := s.Outbox(ctx, vt0.Add(-time.Minute)); err != nil || len(out) != 3 || out[2].Subject != "2" {
		t.Errorf("outbox = %+v (%v), want three in order", out, err)
	}
}

// The scan finds exactly the contacts settled in the window, whatever their status, with their context.
func TestContactScanFindsTheWindow(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	contacts := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour)
	var recs []contact.Record
	for i := range 30 {
		at := vt0.Add(time.Duration(i) * 4 * time.Minute)
		recs = append(recs, contact.Record{Contact: contact.Contact{ID: fmt.Sprintf("c_%026d", i), Merchant: "m1",
			Shopper: contact.Shopper{ID: "s", Tier: contact.Standard}, Locale: contact.English, Channel: "web", Text: "help",
			ReceivedAt: at, TokenHash: "secret-hash", Context: &contact.Context{Order: &contact.Order{Carrier: "ZTO"}}},
			Status: contact.Queued, Priority: priority.Low, Reasons: []string{"no.match"}, EnqueuedAt: at, UpdatedAt: at})
	}
	if res := contacts.Settle(ctx, recs); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	scan := dynamo.NewContactScan(f.DynamoDB, f.Tables[topology.Contacts.ID], 4)
	n := 0
	err := scan.EachUpdated(ctx, vt0.Add(20*time.Minute), vt0.Add(60*time.Minute), func(r contact.Record) error {
		n++
		if r.TokenHash != "" || r.Context == nil || r.Context.Order.Carrier != "ZTO" || r.Status != contact.Queued {
			t.Errorf("scanned %+v, want the context and no token hash", r)
		}
		return nil
	})
	if err != nil || n != 10 {
		t.Errorf("scanned %d (%v), want the 10 of 10:20-11:00", n, err)
	}
}

// An approval stores the draft and stages its change together, or neither.
func TestStageApprovalIsOneWrite(t *testing.T) {
	ctx := context.Background()
	s, f := voiceStore(t)
	cat := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	approvals := dynamo.Approvals{Voice: s, Catalog: cat}
	d := voice.Draft{ID: "k1.en", Merchant: "m1", Kind: voice.GapAnswer, Locale: "en", Status: voice.Pending, UpdatedAt: vt0}
	if err := s.PutDrafts(ctx, []voice.Draft{d}); err != nil {
		t.Fatal(err)
	}
	staged := func() map[string]string {
		out := map[string]string{}
		if err := cat.EachStaged(ctx, func(key string, body []byte, tag string, _ int64) error {
			out[key] = string(body) + "#" + tag
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	approved := d
	approved.Status, approved.DecidedBy = voice.Publishing, "lead"
	if err := approvals.StageApproval(ctx, approved, "m1/k1.en", []byte("first")); err != nil {
		t.Fatal(err)
	}
	first := staged()
	if got, _ := s.Draft(ctx, "m1", "k1.en"); got.Status != voice.Publishing || len(first) != 1 {
		t.Fatalf("draft %s, staged %v; want publishing and one change", got.Status, first)
	}
	if err := approvals.StageApproval(ctx, approved, "m1/k1.en", []byte("second")); !errors.Is(err, voice.ErrDecided) {
		t.Errorf("approving a draft no longer pending: %v, want ErrDecided", err)
	}
	if again := staged(); again["m1/k1.en"] != first["m1/k1.en"] {
		t.Errorf("a refused approval restaged the change: %v, was %v", again, first)
	}
	published := approved
	published.Status = voice.Approved
	if err := s.UpdateDraft(ctx, published, voice.Pending); !errors.Is(err, voice.ErrDecided) {
		t.Errorf("update from the wrong status: %v, want ErrDecided", err)
	}
	if err := s.UpdateDraft(ctx, published, voice.Publishing); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Draft(ctx, "m1", "k1.en"); got.Status != voice.Approved {
		t.Errorf("draft %s after publication, want approved", got.Status)
	}
}
