// Package emf writes CloudWatch metrics as Embedded Metric Format log lines, so publishing them costs no API call.
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"
)

// Writer writes EMF records to one output; it is safe for concurrent use.
type Writer struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
}

// New returns a writer of metrics in namespace to w (Lambda forwards stdout to CloudWatch Logs).
func New(w io.Writer, namespace string) *Writer { return &Writer{w: w, namespace: namespace} }

// Units for Emit.
const (
	Count   = "Count"
	Seconds = "Seconds"
	None    = "None" // a plain value, such as a 1-5 rating
)

// Emit writes one record of metrics in unit sharing the dimensions dims (nil for none). Zero values are written too,
// so dashboards see a zero rather than a gap.
func (e *Writer) Emit(dims map[string]string, unit string, counts map[string]float64) error {
	set := slices.Sorted(maps.Keys(dims))
	if set == nil {
		set = []string{} // a metric without dimensions: [] in EMF, not null
	}
	return e.EmitSets([][]string{set}, dims, unit, counts)
}

// EmitSets writes one record of metrics in unit, aggregated by each of the dimension sets (names of props); the
// props no set names ride along as searchable fields of the log record, which cost no metric (a merchant id:
// per-merchant figures come from Logs Insights, not from one custom metric per merchant).
func (e *Writer) EmitSets(sets [][]string, props map[string]string, unit string, counts map[string]float64) error {
	if e == nil || len(counts) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(counts))
	defs := make([]map[string]string, len(names))
	rec := make(map[string]any, len(names)+len(props)+1)
	for i, n := range names {
		defs[i] = map[string]string{"Name": n, "Unit": unit}
		rec[n] = counts[n]
	}
	for k, v := range props {
		rec[k] = v
	}
	rec["_aws"] = map[string]any{
		"Timestamp": time.Now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  e.namespace,
			"Dimensions": sets,
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}
