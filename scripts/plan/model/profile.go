// Package model simulates a traffic peak through intake, the responder and the human queues, and sizes agents and cost.
package model

import (
	"errors"
	"fmt"
)

// Point is one corner of a traffic profile: the arrival rate, in contacts a second, at a minute after the start.
type Point struct {
	Minute float64 `json:"minute"`
	Rate   float64 `json:"rate"`
}

// Profile is a peak's arrival rate over time, linearly interpolated between its points and zero outside them.
type Profile []Point

// DefaultProfile ramps to 20,000 contacts a second over 10 minutes, holds 30 minutes and ramps down over 10.
func DefaultProfile() Profile {
	return Profile{{0, 0}, {10, 20000}, {40, 20000}, {50, 0}}
}

// Validate reports the first thing that makes p unusable.
func (p Profile) Validate() error {
	if len(p) < 2 {
		return errors.New("profile needs at least two points")
	}
	for i, pt := range p {
		if pt.Rate < 0 || pt.Minute < 0 {
			return fmt.Errorf("profile point %d (minute %g, rate %g): minute and rate must not be negative", i, pt.Minute, pt.Rate)
		}
		if i > 0 && pt.Minute <= p[i-1].Minute {
			return fmt.Errorf("profile point %d: minute %g does not come after %g", i, pt.Minute, p[i-1].Minute)
		}
	}
	return nil
}

// Rate returns the arrival rate t seconds after the start.
func (p Profile) Rate(t float64) float64 {
	m := t / 60
	if len(p) == 0 || m < p[0].Minute || m > p[len(p)-1].Minute {
		return 0
	}
	for i := 1; i < len(p); i++ {
		a, b := p[i-1], p[i]
		if m <= b.Minute {
			f := (m - a.Minute) / (b.Minute - a.Minute)
			return a.Rate + f*(b.Rate-a.Rate)
		}
	}
	return p[len(p)-1].Rate
}

// End is when the last point is, in seconds.
func (p Profile) End() float64 {
	if len(p) == 0 {
		return 0
	}
	return p[len(p)-1].Minute * 60
}

// Peak is the highest rate in p.
func (p Profile) Peak() float64 {
	var m float64
	for _, pt := range p {
		m = max(m, pt.Rate)
	}
	return m
}

// Total is the number of contacts p brings.
func (p Profile) Total() float64 {
	var n float64
	for i := 1; i < len(p); i++ {
		n += (p[i].Minute - p[i-1].Minute) * 60 * (p[i].Rate + p[i-1].Rate) / 2
	}
	return n
}
