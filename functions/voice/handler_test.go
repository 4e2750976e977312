package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
	"breakwater/shared/voice"
	"breakwater/shared/voice/drafting"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// seed settles contacts of the hour before now: a problem many shoppers have (a coupon that fails), routine
// questions the bot answered, and one-off messages.
func seed(t *testing.T, store *dynamo.Contacts, hour time.Time) int {
	t.Helper()
	coupon := []string{"my coupon code SAVE20 says invalid at checkout", "the SAVE20 code doesn't work", "优惠券SAVE20用不了",
		"coupon SAVE20 won't apply to my cart", "结算的时候优惠码SAVE20显示无效", "promo code SAVE20 keeps getting rejected"}
	var recs []contact.Record
	add := func(text string, st contact.Status, reasons []string, intent string) {
		at := hour.Add(time.Duration(len(recs)) * 20 * time.Second)
		r := contact.Record{Contact: contact.Contact{ID: fmt.Sprintf("c_%026d", len(recs)), Merchant: "m1",
			Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard}, Locale: contact.English, Channel: "web",
			Text: text, ReceivedAt: at, TokenHash: "x"}, Status: st, Reasons: reasons, Intent: intent, UpdatedAt: at.Add(time.Second)}
		if strings.ContainsFunc(text, func(r rune) bool { return r > 0x2E80 }) {
			r.Locale = contact.Chinese
		}
		if st == contact.Answered {
			r.AnsweredBy, r.Answer, r.Template = "bot", "Your order is on its way.", intent+".en"
		} else {
			r.Priority, r.EnqueuedAt = priority.Normal, at
		}
		recs = append(recs, r)
	}
	for i := range 24 {
		add(fmt.Sprintf("%s (order %d)", coupon[i%len(coupon)], 2026111000000+i), contact.Queued, []string{"no.match"}, "promo.rules")
	}
	for range 12 {
		add("where is my order?", contact.Answered, nil, "order.track")
	}
	add("can I bring my dog to your store", contact.Queued, []string{"no.match"}, "")
	res := store.Settle(context.Background(), recs)
	if len(res.Failed) > 0 {
		t.Fatalf("settle: %v", res.Failed)
	}
	return len(recs)
}

// Every sample event through the real handler against DynamoDB Local: the hour's contacts are gathered and
// masked, the failing coupon is a spike alerted to the default owner, and a forced digest reaches the outbox; the
// publish event publishes nothing, nothing being staged.
func TestSampleEvents(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	contacts := dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour)
	store := dynamo.NewVoice(f.DynamoDB, f.Tables[topology.Voice.ID], 15*24*time.Hour)
	now := time.Now().UTC()
	hour := now.Truncate(time.Hour).Add(-time.Hour)
	n := seed(t, contacts, hour)
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	var bg []string
	for _, tpl := range ts {
		bg = append(bg, tpl.Examples...)
	}
	owner := voice.Owner{ID: "platform", Kind: voice.SNS, Target: runner.LocalVoiceTopic}
	h := &handler{now: func() time.Time { return now }, runner: &voice.Runner{
		Contacts: dynamo.NewContactScan(f.DynamoDB, f.Tables[topology.Contacts.ID], 3), Store: store, Send: store,
		Grouper: voice.NewGrouper(bg), Thresholds: voice.DefaultThresholds, Gaps: voice.DefaultGaps,
		DefaultOwner: owner, Now: func() time.Time { return now },
	}, publish: &drafting.Publisher{Catalog: catalog.NewWriter(dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])), Drafts: store,
		Now: func() time.Time { return now }}}
	root, _ := emulators.RepoRoot()
	all, err := eventfile.All(root, "voice")
	if err != nil || len(all) < 3 {
		t.Fatalf("sample events: %v (%d)", err, len(all))
	}
	gathered := 0
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range all {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Run(name, func(t *testing.T) {
			b, err := lambda.NewHandler(h.handle).Invoke(ctx, all[name])
			if strings.HasPrefix(name, "bad-") {
				if err == nil {
					t.Fatalf("%s: %s, want an error", name, b)
				}
				return
			}
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			var r result
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if name == "publish.json" {
				if r.Publish == nil || r.Publish.Version != 0 || !r.Hour.IsZero() || r.Gathered != 0 {
					t.Errorf("result %+v, want a publication of nothing (nothing is staged) and no hourly run", r)
				}
				return
			}
			gathered += r.Gathered
			if !r.Hour.Equal(hour) || r.Merchants != 1 || r.Problems < 2 {
				t.Errorf("result %+v, want hour %s, merchant m1 with at least two problems", r, hour)
			}
		})
	}
	if gathered < n-1 {
		t.Errorf("gathered %d voices over the runs, want the %d settled contacts", gathered, n)
	}
	vs, err := store.Voices(ctx, "m1", hour, hour.Add(time.Hour))
	if err != nil || len(vs) != n {
		t.Fatalf("stored voices: %d (%v), want %d", len(vs), err, n)
	}
	for _, v := range vs {
		if strings.Contains(v.Text, "2026111") {
			t.Errorf("stored voice %q keeps the order number", v.Text)
		}
	}
	out, err := store.Outbox(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range out {
		kinds = append(kinds, m.Kind+"->"+m.Owner.ID)
		if strings.Contains(m.Text, "2026111") {
			t.Errorf("%s message keeps an order number:\n%s", m.Kind, m.Text)
		}
	}
	if !slices.Contains(kinds, "spike->platform") || !slices.Contains(kinds, "digest->platform") {
		t.Errorf("outbox %v, want a spike alert and a digest for the default owner", kinds)
	}
	if got := slices.Index(kinds, "spike->platform"); got >= 0 && slices.Index(kinds[got+1:], "spike->platform") >= 0 {
		t.Errorf("outbox %v: the spike alerted twice", kinds)
	}
}
