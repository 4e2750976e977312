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
	if e == nil || len(counts) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(counts))
	defs := make([]map[string]string, len(names))
	rec := make(map[string]any, len(names)+len(dims)+1)
	for i, n := range names {
		defs[i] = map[string]string{"Name": n, "Unit": unit}
		rec[n] = counts[n]
	}
	dimNames := slices.Sorted(maps.Keys(dims))
	for k, v := range dims {
		rec[k] = v
	}
	rec["_aws"] = map[string]any{
		"Timestamp": time.Now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  e.namespace,
			"Dimensions": [][]string{dimNames},
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
