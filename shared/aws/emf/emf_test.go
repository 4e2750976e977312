package emf

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestRecordsNameTheirDimensionSets(t *testing.T) {
	tests := []struct {
		name string
		emit func(w *Writer) error
		want string // the CloudWatchMetrics dimensions, as JSON
		prop string // a field the record must carry
	}{
		{"no dimensions", func(w *Writer) error { return w.Emit(nil, Count, map[string]float64{"A": 1}) }, `[[]]`, "A"},
		{"one dimension", func(w *Writer) error {
			return w.Emit(map[string]string{"Priority": "high"}, Count, map[string]float64{"A": 1})
		}, `[["Priority"]]`, "Priority"},
		{"sets and a plain field", func(w *Writer) error {
			return w.EmitSets([][]string{{"Intent"}, {}}, map[string]string{"Intent": "order.track", "Merchant": "m1"}, None, map[string]float64{"R": 4})
		}, `[["Intent"],[]]`, "Merchant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.emit(New(&b, "NS")); err != nil {
				t.Fatal(err)
			}
			var rec map[string]any
			if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
				t.Fatalf("record %q: %v", b.String(), err)
			}
			aws := rec["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
			got, _ := json.Marshal(aws["Dimensions"])
			if string(got) != tt.want {
				t.Errorf("dimensions = %s, want %s", got, tt.want)
			}
			if _, ok := rec[tt.prop]; !ok {
				t.Errorf("record %s lacks %s", b.String(), tt.prop)
			}
		})
	}
}
