package voice

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// Insights is what the console shows of one merchant: its problems over a window with trends, its drafts and
// who owns what.
type Insights struct {
	Merchant string    `json:"merchant"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Problems []Problem `json:"problems"`
	Drafts   []Draft   `json:"drafts"`
	Owners   []Owner   `json:"owners"`
	// Live is the start of the hours counted now from the voices, not yet by an hourly run.
	Live time.Time `json:"live,omitzero"`
}

// liveHours is how far back the console counts voices itself for hours no hourly run has counted yet: the hour
// under way, and the last one until the run five minutes past has counted it.
const liveHours = 2

// maxInsightProblems bounds the problems the console gets.
const maxInsightProblems = 60

// Insights reads merchant's problems over [from, to) from the hourly counts, counting the latest hours (which
// no hourly run has counted yet) from the voices against the known problems, without grouping anything anew:
// the console polls it, and it must stay cheap.
func (r *Runner) Insights(ctx context.Context, merchant string, from, to time.Time) (Insights, error) {
	in := Insights{Merchant: merchant, From: from, To: to}
	rt, err := r.routing(ctx, merchant)
	if err != nil {
		return in, err
	}
	th := r.Thresholds
	if rt.Thresholds != nil {
		th = *rt.Thresholds
	}
	for _, o := range rt.Owners {
		in.Owners = append(in.Owners, Owner{ID: o.ID, Kind: o.Kind, Locale: o.Locale, TimeZone: o.TimeZone}) // not their addresses
	}
	clusters, err := r.Store.Clusters(ctx, merchant)
	if err != nil {
		return in, err
	}
	hours, err := r.Store.Hours(ctx, merchant, minTime(from, to.Add(-24*time.Hour)).Add(-BaselineDays*24*time.Hour), to)
	if err != nil {
		return in, err
	}
	live := to.UTC().Truncate(time.Hour).Add(-(liveHours - 1) * time.Hour)
	for h := live; h.Before(to); h = h.Add(time.Hour) {
		if _, ok := hours[h]; ok {
			live = h.Add(time.Hour)
		}
	}
	if live.Before(to) {
		vs, err := r.Store.Voices(ctx, merchant, live, to)
		if err != nil {
			return in, err
		}
		for h := live; h.Before(to); h = h.Add(time.Hour) {
			var hv []Voice
			for _, v := range vs {
				if !v.At.Before(h) && v.At.Before(h.Add(time.Hour)) {
					hv = append(hv, v)
				}
			}
			hours[h] = HourCounts{Merchant: merchant, Hour: h, Counts: r.Grouper.Assign(clusters, hv), Total: len(hv)}
		}
		in.Live = live
	}
	for _, c := range clusters {
		c.Centroid = nil
		p := Problem{Cluster: c}
		n, _ := overlap(hours, c.ID, from, to)
		p.Count = int(n + 0.5)
		if p.Count == 0 && !p.Regression {
			continue
		}
		p.Baseline, p.Days = Baseline(hours, c.ID, from, to)
		p.Spike = th.Spike(p.Count, p.Baseline) && (p.Days > 0 || c.Lane == LaneText)
		p.New = c.FirstSeen.After(from) && p.Baseline == 0
		p.Trend = Trend(hours, c.ID, to.Add(time.Hour), 25)
		in.Problems = append(in.Problems, p)
	}
	slices.SortStableFunc(in.Problems, func(a, b Problem) int {
		for _, x := range [][2]bool{{a.Regression, b.Regression}, {a.Spike, b.Spike}} {
			if x[0] != x[1] {
				if x[0] {
					return -1
				}
				return 1
			}
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	in.Problems = in.Problems[:min(maxInsightProblems, len(in.Problems))]
	drafts, err := r.Store.Drafts(ctx, merchant)
	if err != nil {
		return in, err
	}
	for _, d := range drafts {
		if d.Status != Withdrawn {
			in.Drafts = append(in.Drafts, d)
		}
	}
	slices.SortStableFunc(in.Drafts, func(a, b Draft) int {
		if a.Status != b.Status {
			return cmp.Compare(a.Status.rank(), b.Status.rank())
		}
		return cmp.Compare(b.Impact, a.Impact)
	})
	return in, nil
}
