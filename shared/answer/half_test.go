package answer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every half but NaN comes back from float32 unchanged.
func TestHalfRoundTrip(t *testing.T) {
	for h := range 1 << 16 {
		f := fromHalf(uint16(h))
		if f != f {
			continue // NaN
		}
		if h&0x7fff == 0x7c00 { // infinities are clamped to the largest finite half
			continue
		}
		if got := toHalf(f); got != uint16(h) {
			t.Fatalf("toHalf(fromHalf(%#04x) = %g) = %#04x", h, f, got)
		}
	}
}

// toHalf picks the nearest half, ties to even, against a reference computed in float64.
func TestToHalfRoundsToNearest(t *testing.T) {
	ref := func(x float64) float64 {
		if x == 0 {
			return 0
		}
		_, e := math.Frexp(math.Abs(x))
		e = max(e-1, -14)
		q := math.Ldexp(1, e-10)
		return math.RoundToEven(x/q) * q
	}
	r := rand.New(rand.NewPCG(1, 2))
	xs := []float32{0, 1, -1, 0.1, 1e-8, 6e-8, 3e-8, 2.98e-8, 6.1e-5, 65504, 1000.5, 1000.25, 2049, 2051, -3.3e-6}
	for range 1_000_000 {
		xs = append(xs, float32(r.NormFloat64()*math.Pow(10, float64(r.IntN(10)-7))))
	}
	for _, x := range xs {
		if got, want := fromHalf(toHalf(x)), ref(float64(x)); float64(got) != want {
			t.Fatalf("half of %g = %g, want %g", x, got, want)
		}
	}
	if got := fromHalf(toHalf(1e6)); got != 65504 {
		t.Fatalf("half of 1e6 = %g, want the largest half 65504", got)
	}
}
