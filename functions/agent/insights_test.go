package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/apigw"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
	"breakwater/shared/voice"
	"breakwater/shared/voice/drafting"
)

// newInsights wires the voice of the customer as main does, on the fixture's tables.
func newInsights(f runner.Fixture) *insights {
	store := dynamo.NewVoice(f.DynamoDB, f.Tables[topology.Voice.ID], 15*24*time.Hour)
	cat := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	writer := catalog.NewWriter(cat)
	return &insights{
		read:     &lazyInsights{store: store, templates: writer},
		problems: store,
		review:   &drafting.Reviewer{Drafts: store, Approvals: dynamo.Approvals{Voice: store, Catalog: cat}, Catalog: writer, Now: time.Now},
		now:      time.Now,
	}
}

func callInsights(t *testing.T, h *handler, method, path string, query map[string]string, body any) (int, map[string]any) {
	t.Helper()
	req := apigw.Request{RawPath: path, QueryStringParameters: query, Headers: map[string]string{"authorization": "Bearer " + token, "x-agent-name": "lead"}}
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = method, path
	if body != nil {
		b, _ := json.Marshal(body)
		req.Body = string(b)
	}
	resp, err := h.handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, path, resp.Body, err)
	}
	return resp.StatusCode, out
}

// seedVoice stores what an hourly voice run leaves for merchant m1: a problem (kcoupon1), its counts for the
// last hours, and two drafts (kcoupon1.en, and kcoupon1.zh-CN with a masked answer).
func seedVoice(t *testing.T, f runner.Fixture) *dynamo.Voice {
	t.Helper()
	ctx := context.Background()
	store := dynamo.NewVoice(f.DynamoDB, f.Tables[topology.Voice.ID], 15*24*time.Hour)
	now := time.Now().UTC()
	hour := now.Truncate(time.Hour)
	c := voice.Cluster{ID: "kcoupon1", Merchant: "m1", Lane: voice.LaneText, Label: "coupon · not working", Status: voice.Open,
		Examples: []string{"my coupon SAVE20 says invalid"}, FirstSeen: hour.Add(-3 * time.Hour), LastSeen: hour,
		Centroid: map[string]float64{"c:coupon": 0.8, "c:invalid": 0.6}, Owner: "platform"}
	if err := store.PutClusters(ctx, []voice.Cluster{c}); err != nil {
		t.Fatal(err)
	}
	var hs []voice.HourCounts
	for i := 1; i <= 3; i++ {
		hs = append(hs, voice.HourCounts{Merchant: "m1", Hour: hour.Add(-time.Duration(i) * time.Hour), Counts: map[string]int{"kcoupon1": 4 * i}, Total: 4 * i})
	}
	store.PutHours(ctx, hs)
	store.NoteMerchants(ctx, map[string]time.Time{"m1": hour.Add(-3 * time.Hour)})
	d := voice.Draft{ID: "kcoupon1.en", Merchant: "m1", Kind: voice.GapAnswer, Cluster: "kcoupon1", Locale: "en", Intent: "promo.rules",
		Examples: []string{"my coupon SAVE20 says invalid", "SAVE20 code not working", "coupon SAVE20 rejected at checkout"},
		Answer:   "Sorry! SAVE20 ended at midnight; SAVE20B gives the same discount.", Status: voice.Pending, UpdatedAt: now, Impact: 12}
	bad := d
	bad.ID, bad.Answer = "kcoupon1.zh-CN", "订单[number]已发货"
	if err := store.PutDrafts(ctx, []voice.Draft{d, bad}); err != nil {
		t.Fatal(err)
	}

	return store
}

// The console's voice of the customer against DynamoDB Local: problems with trends, an owner resolving one,
// and a draft approved through lint and staged for publication (or refused, with the lint's findings).
func TestInsightsAPI(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	h, _ := newHandler(t)
	h.voice = newInsights(f)
	store := seedVoice(t, f)

	code, body := callInsights(t, h, http.MethodGet, "/agent/insights", nil, nil)
	if code != 200 || !strings.Contains(toJSON(body), `"merchants":["m1"]`) {
		t.Fatalf("GET /agent/insights = %d %v, want the merchants", code, body)
	}
	code, body = callInsights(t, h, http.MethodGet, "/agent/insights", map[string]string{"merchant": "m1", "hours": "24"}, nil)
	in := body["insights"].(map[string]any)
	problems := in["problems"].([]any)
	if code != 200 || len(problems) != 1 {
		t.Fatalf("insights = %d %v", code, body)
	}
	p := problems[0].(map[string]any)
	if p["id"] != "kcoupon1" || p["count"].(float64) != 24 || len(p["trend"].([]any)) != 25 || p["centroid"] != nil {
		t.Errorf("problem %v, want kcoupon1 with 24 contacts, a 25-hour trend and no centroid", p)
	}
	if code, _ := callInsights(t, h, http.MethodGet, "/agent/insights", map[string]string{"merchant": "m1", "hours": "0"}, nil); code != 400 {
		t.Errorf("hours=0: %d, want 400", code)
	}

	if code, body := callInsights(t, h, http.MethodPost, "/agent/insights/problems/kcoupon1/resolve", nil, map[string]string{"merchant": "m1"}); code != 200 ||
		body["problem"].(map[string]any)["status"] != "resolved" {
		t.Errorf("resolve = %d %v", code, body)
	}
	if stored, _ := store.Cluster(ctx, "m1", "kcoupon1"); stored.Status != voice.Resolved || stored.StatusBy != "alice" {
		t.Errorf("stored problem %+v, want resolved by alice (the agent the token names)", stored)
	}
	if code, _ := callInsights(t, h, http.MethodPost, "/agent/insights/problems/nope/resolve", nil, map[string]string{"merchant": "m1"}); code != 404 {
		t.Errorf("unknown problem: %d, want 404", code)
	}
	if code, _ := callInsights(t, h, http.MethodPost, "/agent/insights/problems/kcoupon1/approve", nil, map[string]string{"merchant": "m1"}); code != 404 {
		t.Errorf("approving a problem: %d, want 404", code)
	}

	// A masked answer must be rewritten before approval; a placeholder that does not exist fails lint.
	if code, body := callInsights(t, h, http.MethodPost, "/agent/insights/drafts/kcoupon1.zh-CN/approve", nil, map[string]string{"merchant": "m1"}); code != 400 ||
		!strings.Contains(toJSON(body), "[number]") {
		t.Errorf("approve a masked answer = %d %v, want 400 naming [number]", code, body)
	}
	if code, body := callInsights(t, h, http.MethodPost, "/agent/insights/drafts/kcoupon1.zh-CN/approve", nil,
		map[string]any{"merchant": "m1", "answer": "您的优惠码 {{coupon.code}} 已过期"}); code != 422 || !strings.Contains(toJSON(body), "findings") {
		t.Errorf("approve with a bad placeholder = %d %v, want 422 with findings", code, body)
	}
	// Approval stages the templates and answers at once; the voice function publishes them.
	cat := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	v0, sum0, err := cat.Published(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, body = callInsights(t, h, http.MethodPost, "/agent/insights/drafts/kcoupon1.en/approve", nil, map[string]any{"merchant": "m1", "days": 7})
	if code != http.StatusAccepted {
		t.Fatalf("approve = %d %v, want 202", code, body)
	}
	approved := body["draft"].(map[string]any)
	published := approved["published"].([]any)
	if approved["status"] != string(voice.Publishing) || len(published) == 0 {
		t.Errorf("approved draft %v, want it publishing with its templates", approved)
	}
	if v, sum, _ := cat.Published(ctx); v != v0 || sum != sum0 {
		t.Errorf("approval moved the catalog from %d to %d; the publication moves it", v0, v)
	}
	staged, err := catalog.NewWriter(cat).Staged(ctx)
	if err != nil || len(staged) != 1 || staged[0].Key != drafting.ChangeKey("m1", "kcoupon1.en") ||
		!containsTemplate(staged[0].Templates, published[0].(string)) || len(staged[0].Templates) != len(published) {
		t.Errorf("staged %v, %v; want the draft's %d templates", staged, err, len(published))
	}
	if stored, _ := store.Draft(ctx, "m1", "kcoupon1.en"); stored.Status != voice.Publishing || stored.DecidedBy != "alice" {
		t.Errorf("stored draft %s by %q, want publishing, approved by alice", stored.Status, stored.DecidedBy)
	}
	ts, err := catalog.NewWriter(cat).Templates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := pack.Default()
	if len(ts) != len(def) || containsTemplate(ts, published[0].(string)) {
		t.Errorf("catalog has %d templates, want the pack's %d until the publication", len(ts), len(def))
	}
	if code, _ := callInsights(t, h, http.MethodPost, "/agent/insights/drafts/kcoupon1.en/approve", nil, map[string]any{"merchant": "m1"}); code != 409 {
		t.Errorf("approving twice: %d, want 409", code)
	}
	if code, body := callInsights(t, h, http.MethodPost, "/agent/insights/drafts/kcoupon1.zh-CN/reject", nil, map[string]any{"merchant": "m1", "reason": "wrong"}); code != 200 ||
		body["draft"].(map[string]any)["status"] != "rejected" {
		t.Errorf("reject = %d %v", code, body)
	}
}

func containsTemplate(ts any, id string) bool {
	b, _ := json.Marshal(ts)
	return strings.Contains(string(b), `"id":"`+id+`"`)
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
