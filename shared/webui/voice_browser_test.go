package webui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/local/emulators"
	"breakwater/shared/topology"
	"breakwater/shared/voice"
)

// seedVoice writes what an hourly run leaves for a merchant: a spiking problem with a day of counts, a steady
// one, and a draft from a gap.
func seedVoice(t *testing.T, merchant string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := shared.stack.Emulators.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := dynamo.NewVoice(sdkconfig.DynamoDB(cfg, emulators.DynamoOptions), shared.stack.Resources.Tables[topology.Voice.ID], 15*24*time.Hour)
	hour := time.Now().UTC().Truncate(time.Hour)
	cs := []voice.Cluster{
		{ID: "kcoupon", Merchant: merchant, Lane: voice.LaneText, Label: "coupon/优惠券 · not working/无法使用 · checkout/结算", Status: voice.Open,
			Examples:  []string{"my coupon code SAVE20 says invalid at checkout", "优惠码SAVE20显示无效", "SAVE20 won't apply"},
			FirstSeen: hour.Add(-3 * time.Hour), LastSeen: hour, Owner: "platform", Centroid: map[string]float64{"c:coupon": 1}},
		{ID: "i.order.track", Merchant: merchant, Lane: "intent:order.track", Label: "order.track: where · 快递", Status: voice.Open,
			Examples: []string{"where is my order"}, FirstSeen: hour.Add(-30 * 24 * time.Hour), LastSeen: hour, Owner: "platform"},
	}
	if err := store.PutClusters(ctx, cs); err != nil {
		t.Fatal(err)
	}
	var hs []voice.HourCounts
	for i := 1; i <= 8*24; i++ {
		h := hour.Add(-time.Duration(i) * time.Hour)
		counts := map[string]int{"i.order.track": 20 + i%5}
		if i <= 3 {
			counts["kcoupon"] = 12 * (4 - i)
		}
		hs = append(hs, voice.HourCounts{Merchant: merchant, Hour: h, Counts: counts})
	}
	if err := store.PutHours(ctx, hs); err != nil {
		t.Fatal(err)
	}
	store.NoteMerchants(ctx, map[string]time.Time{merchant: hour.Add(-8 * 24 * time.Hour)})
	d := voice.Draft{ID: "kcoupon.en", Merchant: merchant, Kind: voice.GapAnswer, Cluster: "kcoupon", Label: cs[0].Label, Locale: "en",
		Intent: "promo.rules", Examples: []string{"my coupon code SAVE20 says invalid at checkout", "SAVE20 won't apply", "the SAVE20 code doesn't work"},
		Answer: "Sorry about that! SAVE20 ended at midnight; code SAVE20B gives the same discount.", Impact: 18, Agreement: 0.8,
		AnsweredAs: map[string]int{"promo.rules": 22}, Status: voice.Pending, UpdatedAt: time.Now()}
	if err := store.PutDrafts(ctx, []voice.Draft{d}); err != nil {
		t.Fatal(err)
	}
}

// typeAnswer replaces a draft's answer as typing does: the value, then an input event.
func typeAnswer(draft, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(e => { e.value = %q; e.dispatchEvent(new Event("input")); })(document.querySelector('.draft[data-draft=%q] textarea'))`, text, draft))
}

func TestVoiceOfTheCustomerView(t *testing.T) {
	base, token := startSystem(t, nil)
	const merchant = "m1" // the agent's own merchant: the voice of the customer is scoped to the agent's tenant
	seedVoice(t, merchant)
	ctx := browser(t)
	signIn(t, ctx, base, token)
	do(t, ctx, "open the voice of the customer",
		chromedp.Click(chromedp.ID("tabVoice")),
		chromedp.WaitVisible(chromedp.ID("voice")),
		waitJS(`[...document.querySelectorAll("#vMerchant option")].some(o => o.value === "`+merchant+`")`),
		chromedp.SetValue(chromedp.ID("vMerchant"), merchant),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("vMerchant").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.CSS(`.prob[data-problem="kcoupon"]`)),
	)
	if hidden := must(t, ctx, "is the queue view hidden", chromedp.Evaluate[bool](`document.getElementById("app").hidden`)); !hidden {
		t.Errorf("the queue view shows beside the voice of the customer")
	}
	card := must(t, ctx, "read the problem", chromedp.TextContent(chromedp.CSS(`.prob[data-problem="kcoupon"]`)))
	for _, want := range []string{"SPIKE", "coupon", "72 contacts", "SAVE20 says invalid", "platform"} {
		if !strings.Contains(card, want) {
			t.Errorf("problem card %q lacks %q", card, want)
		}
	}
	bars := must(t, ctx, "count the trend's bars", chromedp.Evaluate[int](`document.querySelectorAll('.prob[data-problem="kcoupon"] svg.spark rect').length`))
	if bars != 25 {
		t.Errorf("trend has %d bars, want 25 (24 hours and this one)", bars)
	}
	screenshot(t, ctx, "voice", true)

	// An answer that still holds a mask is refused with the reason; the agents' reply is approved as it is.
	// Typed into the field (an input event), as an agent edits it: the minute's refresh keeps the edit.
	do(t, ctx, "approve the draft with a masked answer",
		typeAnswer("kcoupon.en", "Your order [number] is fine"),
		chromedp.Click(chromedp.CSS(`.draft[data-draft="kcoupon.en"] button[data-action="approve"]`)),
		waitJS(`document.querySelector('.draft[data-draft="kcoupon.en"] .findings').textContent.includes("[number]")`),
	)
	do(t, ctx, "approve the agents' reply",
		typeAnswer("kcoupon.en", "Sorry about that! SAVE20 ended at midnight; code SAVE20B gives the same discount."),
		chromedp.Click(chromedp.CSS(`.draft[data-draft="kcoupon.en"] button[data-action="approve"]`)),
		waitJS(`document.getElementById("vNote").textContent.includes("Published")`),
		waitJS(`document.querySelector('.draft[data-draft="kcoupon.en"]').classList.contains("decided")`),
	)
	do(t, ctx, "resolve the problem",
		chromedp.Click(chromedp.CSS(`.prob[data-problem="kcoupon"] button[data-action="resolve"]`)),
		waitJS(`document.querySelector('.prob[data-problem="kcoupon"]').textContent.includes("resolved")`),
	)
	do(t, ctx, "switch to Chinese", chromedp.Click(chromedp.ID("lang")), waitJS(`document.getElementById("tabVoice").textContent === "客户之声"`))
	screenshot(t, ctx, "voice-zh", false)
	do(t, ctx, "back to the queues", chromedp.Click(chromedp.ID("tabQueues")), chromedp.WaitVisible(chromedp.ID("app")))
}
