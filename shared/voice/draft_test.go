package voice

import (
	"fmt"
	"testing"
)

// A reply agents give to many problems ("let me check") is no answer to any: no draft, and a pending one is
// withdrawn once the contacts show it.
func TestStockRepliesMakeNoDraft(t *testing.T) {
	var vs []Voice
	gr := Grouping{}
	for c := range 4 {
		id := fmt.Sprintf("k%d", c)
		gr.Clusters = append(gr.Clusters, Cluster{ID: id, Lane: LaneText})
		var ms []int
		for i := range 6 {
			ms = append(ms, len(vs))
			vs = append(vs, Voice{ID: fmt.Sprintf("%s-%d", id, i), Locale: "en", Kind: HandedOff, Reasons: []string{"no.match"},
				Text: fmt.Sprintf("problem %d message %d", c, i), Reply: "Let me check this with the team and get back to you."})
		}
		gr.Members = append(gr.Members, ms)
	}
	existing := []Draft{{ID: "k0.en", Merchant: "m1", Kind: GapAnswer, Cluster: "k0", Locale: "en", Status: Pending}}
	got := DefaultGaps.ProposeDrafts("m1", gr, vs, existing, nil, day1)
	if len(got) != 1 || got[0].ID != "k0.en" || got[0].Status != Withdrawn {
		t.Fatalf("drafts = %+v, want only k0.en, withdrawn", got)
	}
	// One problem with its own reply still makes a draft.
	for i := range gr.Members[1] {
		vs[gr.Members[1][i]].Reply = "SAVE20 ended at midnight; SAVE20B gives the same discount."
	}
	got = DefaultGaps.ProposeDrafts("m1", gr, vs, nil, nil, day1)
	if len(got) != 1 || got[0].ID != "k1.en" || got[0].Status != Pending {
		t.Errorf("drafts = %+v, want k1.en pending", got)
	}
}
