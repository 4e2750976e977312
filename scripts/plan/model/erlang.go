package model

import "math"

// ErlangC is the probability that a contact waits at all when n agents share a offered load of a erlangs.
// It is 1 when n <= a: the queue grows without bound.
func ErlangC(n int, a float64) float64 {
	if a <= 0 {
		return 0
	}
	if float64(n) <= a {
		return 1
	}
	return erlangCFromB(n, a, erlangB(n, a))
}

// erlangB uses the stable recurrence B(k) = a·B(k-1) / (k + a·B(k-1)), so loads of hundreds of thousands of erlangs work.
func erlangB(n int, a float64) float64 {
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

func erlangCFromB(n int, a, b float64) float64 {
	return float64(n) * b / (float64(n) - a*(1-b))
}

// WaitBeyond is P(W > t): the share of contacts that wait longer than t seconds with n agents, load a and handle time aht seconds.
func WaitBeyond(n int, a, aht, t float64) float64 {
	c := ErlangC(n, a)
	if c >= 1 {
		return 1
	}
	return c * math.Exp(-(float64(n)-a)*t/aht)
}

// Staffing is how many agents one queue needs and how it then performs.
type Staffing struct {
	Load        float64 // offered load in erlangs: arrivals a second × handle time
	Agents      int
	PWait       float64 // Erlang C: the share that waits at all
	ServiceLvl  float64 // the share answered within the target
	MeanWaitSec float64 // average speed of answer
}

// AgentsFor finds the fewest agents for which at least level of contacts arriving at rate a second, each handled in
// aht seconds, wait no longer than target seconds (level 0.8 with target 20 s is the classic 80/20).
func AgentsFor(rate, aht, target, level float64) Staffing {
	a := rate * aht
	s := Staffing{Load: a}
	if a <= 0 {
		return s
	}
	b := 1.0
	for n := 1; ; n++ {
		b = a * b / (float64(n) + a*b)
		if float64(n) <= a {
			continue
		}
		c := erlangCFromB(n, a, b)
		sl := 1 - c*math.Exp(-(float64(n)-a)*target/aht)
		if sl >= level {
			s.Agents, s.PWait, s.ServiceLvl = n, c, sl
			s.MeanWaitSec = c * aht / (float64(n) - a)
			return s
		}
	}
}
