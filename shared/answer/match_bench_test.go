package answer_test

import (
	"testing"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
)

func BenchmarkNewIndex(b *testing.B) {
	ts, err := pack.Default()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		answer.NewIndex(ts)
	}
}
