package answer_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
)

// snapshotTemplates is the default pack plus a merchant's override and a promotion with a window, so the decoded
// index must also keep merchants, windows and the platform templates a merchant hides.
func snapshotTemplates(t testing.TB) []answer.Template {
	t.Helper()
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	from, until := now.Add(-time.Hour), now.Add(time.Hour)
	return append(ts,
		answer.Template{ID: "m9.returns.en", Intent: "return.policy", Locale: "en", Merchant: "m9",
			Examples: []string{"can i return this", "return window"}, Answer: "m9 takes returns for 90 days."},
		answer.Template{ID: "m9.promo.en", Intent: "promotion.current", Locale: "en", Merchant: "m9",
			Examples: []string{"any coupons today", "what is on sale"}, Answer: "20% off until midnight.",
			ActiveFrom: &from, ActiveUntil: &until},
	)
}

func TestSnapshotMatchesExactlyAsTheBuiltIndex(t *testing.T) {
	ts := snapshotTemplates(t)
	built := answer.NewIndex(ts, offTopic())
	enc, err := built.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := answer.DecodeIndex(enc)
	if err != nil {
		t.Fatal(err)
	}
	// Every example of the pack, text nobody wrote an example for, and the merchants that see overrides.
	var questions []struct{ text, locale string }
	for _, tpl := range ts {
		for _, ex := range tpl.Examples {
			questions = append(questions, struct{ text, locale string }{ex, tpl.Locale})
		}
	}
	for _, q := range []string{"what's the capital of france", "tell me a joke", "明天天气怎么样", "", "???", "refund refund refund"} {
		questions = append(questions, struct{ text, locale string }{q, "en"}, struct{ text, locale string }{q, "zh-CN"})
	}
	checked := 0
	for _, when := range []time.Time{now, now.Add(2 * time.Hour)} {
		for _, merchant := range []string{"m1", "m9"} {
			for _, q := range questions {
				want, have := built.Match(q.text, q.locale, merchant, when), got.Match(q.text, q.locale, merchant, when)
				if len(want) != len(have) {
					t.Fatalf("Match(%q, %s, %s) gave %d candidates from the snapshot, %d built", q.text, q.locale, merchant, len(have), len(want))
				}
				for i := range want {
					if want[i].Template.ID != have[i].Template.ID || want[i].Score != have[i].Score {
						t.Fatalf("Match(%q, %s, %s)[%d] = %s %v from the snapshot, built %s %v", q.text, q.locale, merchant, i,
							have[i].Template.ID, have[i].Score, want[i].Template.ID, want[i].Score)
					}
				}
				checked++
			}
		}
	}
	if checked < 4*len(ts) {
		t.Fatalf("only %d matches compared", checked)
	}
	// Templates come back whole except for their examples.
	if len(got.Templates()) != len(ts) {
		t.Fatalf("%d templates from the snapshot, want %d", len(got.Templates()), len(ts))
	}
	for i, tpl := range got.Templates() {
		if tpl.ID != ts[i].ID || tpl.Answer != ts[i].Answer || tpl.Merchant != ts[i].Merchant || len(tpl.Examples) != 0 {
			t.Fatalf("template %d = %+v, want %s without examples", i, tpl, ts[i].ID)
		}
	}
	// Encoding what was decoded gives the same bytes: nothing was lost on the way.
	again, err := got.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, enc) {
		t.Fatalf("re-encoded snapshot differs (%d bytes, first %d)", len(again), len(enc))
	}
}

func TestDecodeIndexRefusesDamagedSnapshots(t *testing.T) {
	enc, err := answer.NewIndex(snapshotTemplates(t), offTopic()).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	damaged := map[string][]byte{
		"empty":          nil,
		"other format":   append([]byte("breakwater-index/1\n"), enc[len("breakwater-index/2\n"):]...),
		"trailing bytes": append(append([]byte(nil), enc...), 0),
	}
	for _, n := range []int{1, 30, len(enc) / 3, len(enc) / 2, len(enc) - 1} {
		damaged["cut at "+strconv.Itoa(n)] = enc[:n]
	}
	for name, b := range damaged {
		t.Run(name, func(t *testing.T) {
			if ix, err := answer.DecodeIndex(b); err == nil {
				t.Fatalf("decoded %d bytes into an index with %d templates, want an error", len(b), len(ix.Templates()))
			}
		})
	}
}

func FuzzDecodeIndex(f *testing.F) {
	small := []answer.Template{
		{ID: "a", Intent: "order.track", Locale: "en", Merchant: "*", Examples: []string{"where is my order"}, Answer: "On its way."},
		{ID: "b", Intent: "refund.status", Locale: "zh-CN", Merchant: "m1", Examples: []string{"退款到哪了"}, Answer: "已退款。"},
	}
	enc, err := answer.NewIndex(small, offTopic()).AppendBinary(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add(enc[:len(enc)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		ix, err := answer.DecodeIndex(b)
		if err != nil {
			return
		}
		// Whatever decodes must be safe to match with.
		ix.Match("where is my order", "en", "m1", now)
		ix.Match("退款", "zh-CN", "m1", now)
	})
}
