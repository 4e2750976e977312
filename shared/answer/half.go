package answer

import "math"

// The model keeps its weights at half precision (IEEE 754 binary16), which halves the snapshot that cold starts
// read and changes no decision on the dev set. Weights are rounded once, after training, so a built index and
// one decoded from a snapshot hold the same values.

// toHalf returns the binary16 nearest to x, ties to even; beyond the largest half it returns the largest half.
func toHalf(x float32) uint16 {
	b := math.Float32bits(x)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case b>>23&0xff == 0xff && mant != 0:
		return sign | 0x7e00 // NaN
	case exp >= 0x1f:
		return sign | 0x7bff
	case exp <= 0:
		if exp < -10 {
			return sign // below half the smallest subnormal
		}
		// A subnormal half: shift the mantissa, with its implicit 1, right and round.
		mant |= 0x800000
		shift := uint(14 - exp)
		return sign | uint16(roundShift(mant, shift))
	}
	h := roundShift(uint32(exp)<<23|mant, 13) // a carry out of the mantissa raises the exponent, as it should
	if h >= 0x7c00 {
		h = 0x7bff
	}
	return sign | uint16(h)
}

// roundShift returns v >> shift rounded to the nearest, ties to even.
func roundShift(v uint32, shift uint) uint32 {
	q, rem, half := v>>shift, v&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || (rem == half && q&1 == 1) {
		q++
	}
	return q
}

// fromHalf returns the float32 equal to the binary16 h.
func fromHalf(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0: // zero or subnormal: mant × 2^-24, exact in float32
		f := float32(mant) / (1 << 24)
		return math.Float32frombits(sign | math.Float32bits(f))
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13)
}

// halfPrecision rounds every weight to the nearest half.
func halfPrecision(ws []float32) {
	for i, w := range ws {
		ws[i] = fromHalf(toHalf(w))
	}
}
