package builtin

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"breakwater/shared/answer/pack"
	"breakwater/shared/contact"
	"breakwater/shared/triage"
)

// The embedded snapshot must decide every dev and untouched line exactly as a triage freshly built from the shipped
// pack and grammars: otherwise the pack, the grammars or the matcher changed and the snapshot is stale.
func TestSnapshotIsCurrent(t *testing.T) {
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := triage.New(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := Triage()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	n := 0
	for _, file := range []string{"../../answer/pack/shoppers/dev.jsonl", "../../triage/testdata/untouched.jsonl"} {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var l struct{ ID, Text, Locale string }
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			c := contact.Contact{ID: l.ID, Merchant: "m1", Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard},
				Locale: contact.Locale(l.Locale), Text: l.Text, ReceivedAt: now}
			a, b := fresh.Decide(c, now), embedded.Decide(c, now)
			if got, want := summary(b), summary(a); got != want || math.Abs(a.Confidence-b.Confidence) > 1e-4 {
				t.Fatalf("%s %q: the snapshot decides %s (%.4f), a fresh build %s (%.4f): run go run ./scripts/templates snapshot",
					l.ID, l.Text, got, b.Confidence, want, a.Confidence)
			}
			n++
		}
		f.Close()
	}
	if n < 3000 {
		t.Fatalf("compared %d decisions, want the whole dev and untouched sets", n)
	}
}

func summary(d triage.Decision) string {
	return fmt.Sprintf("auto=%v decline=%v intent=%s template=%s priority=%s reasons=%v", d.Auto, d.Decline, d.Intent, d.Template,
		d.Priority, slices.Clone(d.Reasons))
}
