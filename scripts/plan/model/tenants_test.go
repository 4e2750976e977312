package model

import (
	"math"
	"testing"
)

func TestTenantShares(t *testing.T) {
	d := DefaultTenants()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for k := 1; k <= d.Merchants; k++ {
		sum += d.Share(k)
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("shares sum to %g, want 1", sum)
	}
	// The profile's documented mix: the biggest merchant has about a quarter.
	if got := d.Top(); got < 0.265 || got > 0.272 {
		t.Errorf("biggest merchant's share = %.4f, want 26.9%%", got)
	}
	if got, want := (Tenants{Merchants: 4, Exponent: 0}).Top(), 0.25; got != want {
		t.Errorf("four equal merchants: top share = %g, want %g", got, want)
	}
	for _, bad := range []Tenants{{Merchants: 0}, {Merchants: 3, Exponent: -1}, {Merchants: 3, PlatformShare: 1}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
}
