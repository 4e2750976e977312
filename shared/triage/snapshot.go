package triage

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"breakwater/shared/answer"
	"breakwater/shared/priority"
)

// AppendBinary appends t, with its built index, to b. A catalog writer stores it beside the templates so that
// readers Decode it instead of building the index at every cold start.
func (t *Triage) AppendBinary(b []byte) ([]byte, error) {
	rules, err := json.Marshal(t.rules)
	if err != nil {
		return nil, fmt.Errorf("encode triage rules: %w", err)
	}
	b = binary.AppendUvarint(b, uint64(len(rules)))
	b = append(b, rules...)
	return t.index.AppendBinary(b)
}

// Decode reads a Triage written by AppendBinary; it decides exactly as the Triage that was written.
func Decode(b []byte) (*Triage, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, fmt.Errorf("decode triage: bad rules length")
	}
	var rules map[string]priority.Rules
	if err := json.Unmarshal(b[k:k+int(n)], &rules); err != nil {
		return nil, fmt.Errorf("decode triage rules: %w", err)
	}
	if _, ok := rules[answer.Platform]; !ok {
		return nil, fmt.Errorf("decode triage: no platform rules")
	}
	for m, r := range rules {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("decode triage rules of %s: %w", m, err)
		}
	}
	ix, err := answer.DecodeIndex(b[k+int(n):])
	if err != nil {
		return nil, fmt.Errorf("decode triage: %w", err)
	}
	return &Triage{index: ix, rules: rules, Thresholds: DefaultThresholds}, nil
}
