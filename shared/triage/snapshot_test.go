package triage_test

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"testing"

	"breakwater/shared/answer/pack"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

func TestDecodedTriageDecidesAsTheBuiltOne(t *testing.T) {
	ts, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := priority.DefaultRules()
	rules.RepeatRaise = 2
	built, err := triage.New(ts, map[string]priority.Rules{"m7": rules})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := built.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := triage.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Rules("m7"), built.Rules("m7")) || !reflect.DeepEqual(got.Rules("m1"), built.Rules("m1")) {
		t.Fatalf("rules differ after decoding: m7 %+v, m1 %+v", got.Rules("m7"), got.Rules("m1"))
	}
	var dev []labeled
	for _, name := range tuningSets(t) {
		dev = append(dev, tuningSet(t, name)...)
	}
	for _, l := range dev {
		for _, merchant := range []string{"m1", "m7"} {
			c := devContact(l)
			c.Merchant = merchant
			c.Recent = 1
			want, have := built.Decide(c, evalNow), got.Decide(c, evalNow)
			if !reflect.DeepEqual(candidates(want), candidates(have)) {
				t.Fatalf("%s for %s: decoded candidates %v, built %v", l.ID, merchant, candidates(have), candidates(want))
			}
			want.Candidates, have.Candidates = nil, nil
			if !reflect.DeepEqual(want, have) {
				t.Fatalf("%s for %s: decoded decided %+v, built %+v", l.ID, merchant, have, want)
			}
		}
	}
	if _, ok := got.Template("order.track.en"); !ok {
		t.Error("the decoded triage lost template order.track.en")
	}
	t.Logf("%d dev contacts decided alike for two merchants; snapshot %d bytes", len(dev), len(enc))
}

// candidates lists a decision's candidates by template id and score: the decoded templates lack examples.
func candidates(d triage.Decision) []string {
	var out []string
	for _, c := range d.Candidates {
		out = append(out, fmt.Sprintf("%s=%v", c.Template.ID, c.Score))
	}
	return out
}

func TestDecodeRefusesDamagedTriage(t *testing.T) {
	enc, err := defaultTriage(t).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	n, k := binary.Uvarint(enc)
	index := enc[k+int(n):]
	for name, b := range map[string][]byte{
		"empty":     nil,
		"rules cut": enc[:5],
		"index cut": enc[:len(enc)-9],
		"no rules":  append([]byte{2, '{', '}'}, index...),
		"bad rules": append([]byte{2, '[', ']'}, index...),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := triage.Decode(b); err == nil {
				t.Fatal("decoded, want an error")
			}
		})
	}
}
