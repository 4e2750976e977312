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

func BenchmarkDecodeIndex(b *testing.B) {
	ts, err := pack.Default()
	if err != nil {
		b.Fatal(err)
	}
	enc, err := answer.NewIndex(ts).AppendBinary(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := answer.DecodeIndex(enc); err != nil {
			b.Fatal(err)
		}
	}
}
