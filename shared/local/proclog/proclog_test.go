package proclog

import "testing"

func TestTail(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"keeps the last lines across writes", 2, []string{"one\ntwo\nthr", "ee\nfour"}, "two\nthree\nfour"},
		{"nothing written", 3, nil, "(no output)"},
		{"a partial line only", 3, []string{"no newline"}, "no newline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tail := NewTail(tt.max)
			for _, w := range tt.writes {
				tail.Write([]byte(w))
			}
			if got := tail.String(); got != tt.want {
				t.Fatalf("tail = %q, want %q", got, tt.want)
			}
		})
	}
}
