package answer_test

import (
	"testing"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
)

// platform is the training the shipped matcher learns from: the phrasing grammars' sentences.
func platform(b *testing.B) answer.Training {
	b.Helper()
	ph, err := pack.Phrasings()
	if err != nil {
		b.Fatal(err)
	}
	return answer.Training(ph)
}

func BenchmarkNewIndex(b *testing.B) {
	ts, err := pack.Default()
	if err != nil {
		b.Fatal(err)
	}
	tr := platform(b)
	for b.Loop() {
		answer.NewIndex(ts, tr)
	}
}

func BenchmarkDecodeIndex(b *testing.B) {
	ts, err := pack.Default()
	if err != nil {
		b.Fatal(err)
	}
	enc, err := answer.NewIndex(ts, platform(b)).AppendBinary(nil)
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
