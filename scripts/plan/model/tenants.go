package model

import (
	"errors"
	"fmt"
	"math"
)

// Tenants is how a peak's contacts spread over merchants, and how many of the hand-offs the platform's own staff
// serve (fraud and disputes, for every merchant at once: one tenant as hot as all of them together).
type Tenants struct {
	// Merchants get Zipf-like shares: merchant k (from 1) gets a share in proportion to 1/k^Exponent.
	Merchants int     `json:"merchants"`
	Exponent  float64 `json:"exponent"`
	// PlatformShare is the share of hand-offs the platform team serves (urgent: fraud and disputes).
	PlatformShare float64 `json:"platformShare"`
}

// DefaultTenants is a Double 11 marketplace: 10,000 merchants, the biggest with about a quarter of the contacts
// (exponent 1.3 gives 26.9%, the next 10.9%, the tenth 1.35%), and the platform serving 8% of the hand-offs.
func DefaultTenants() Tenants { return Tenants{Merchants: 10000, Exponent: 1.3, PlatformShare: 0.08} }

// Validate reports the first setting Shares cannot use.
func (t Tenants) Validate() error {
	switch {
	case t.Merchants < 1:
		return errors.New("tenants: want at least one merchant")
	case t.Exponent < 0 || math.IsNaN(t.Exponent):
		return fmt.Errorf("tenants: exponent %g must not be negative", t.Exponent)
	case t.PlatformShare < 0 || t.PlatformShare >= 1:
		return fmt.Errorf("tenants: platform share %g must be from 0 to below 1", t.PlatformShare)
	}
	return nil
}

// Share is merchant k's share of the contacts, k from 1 (the biggest).
func (t Tenants) Share(k int) float64 {
	if k < 1 || k > t.Merchants {
		return 0
	}
	var sum float64
	for i := 1; i <= t.Merchants; i++ {
		sum += math.Pow(float64(i), -t.Exponent)
	}
	return math.Pow(float64(k), -t.Exponent) / sum
}

// Top is the biggest merchant's share of the contacts.
func (t Tenants) Top() float64 { return t.Share(1) }
