package voice

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"breakwater/shared/contact"
)

// contactSource is where contacts come from (the Contacts table, see dynamo.ContactScan).
type contactSource interface {
	// EachUpdated visits every contact whose outcome changed in [from, to).
	EachUpdated(ctx context.Context, from, to time.Time, visit func(contact.Record) error) error
}

// feedbackSource is where shoppers' feedback and CSAT come from, once the conversation issue stores them.
type feedbackSource interface {
	EachFeedback(ctx context.Context, from, to time.Time, visit func(Feedback) error) error
}

// store is what voice keeps (the Voice table, see dynamo.Voice): masked voices, each merchant's clusters, hourly
// counts, routing and drafts, and its own bookkeeping.
type store interface {
	PutVoices(ctx context.Context, vs []Voice) error
	Voices(ctx context.Context, merchant string, from, to time.Time) ([]Voice, error)
	// Merchants lists every merchant with voices and when its first voice was written.
	Merchants(ctx context.Context) (map[string]time.Time, error)
	// NoteMerchants records merchants with the time of a voice, keeping the earliest.
	NoteMerchants(ctx context.Context, since map[string]time.Time) error
	Clusters(ctx context.Context, merchant string) ([]Cluster, error)
	PutClusters(ctx context.Context, cs []Cluster) error
	Hours(ctx context.Context, merchant string, from, to time.Time) (map[time.Time]HourCounts, error)
	PutHours(ctx context.Context, hs []HourCounts) error
	Routing(ctx context.Context, merchant string) (Routing, bool, error)
	Drafts(ctx context.Context, merchant string) ([]Draft, error)
	PutDrafts(ctx context.Context, ds []Draft) error
	// DecideDraft stores d if the stored draft is still pending, and returns ErrDecided otherwise.
	DecideDraft(ctx context.Context, d Draft) error
	Watermark(ctx context.Context) (time.Time, error)
	PutWatermark(ctx context.Context, t time.Time) error
	// MarkDigest records that owner got merchant's digest for the local date and reports false when it already had.
	MarkDigest(ctx context.Context, merchant, owner, date string) (bool, error)
	UnmarkDigest(ctx context.Context, merchant, owner, date string) error
}

// Message is an alert or a digest for one owner: a subject and plain text, and the same as data for webhooks.
type Message struct {
	Kind     string // "spike", "regression" or "digest"
	Merchant string
	Subject  string
	Text     string
	Data     any
}

// sender delivers messages to owners (SNS, SES, webhooks; a local outbox on a laptop).
type sender interface {
	Send(ctx context.Context, to Owner, m Message) error
}

// Problem is a cluster with its figures for one window: what the voice of the customer reports.
type Problem struct {
	Cluster
	Count    int     `json:"count"`
	Baseline float64 `json:"baseline"`
	// Days is how many of the last seven days had figures behind the baseline.
	Days  int  `json:"days"`
	Spike bool `json:"spike"`
	New   bool `json:"new"`
	// Trend is the count per hour of the 24 hours before the window, then the window's own count.
	Trend []int `json:"trend"`
	// NoMatch counts the window's contacts the bot had no template for; Replied those an agent answered.
	NoMatch int            `json:"noMatch"`
	Replied int            `json:"replied"`
	Locales map[string]int `json:"locales,omitempty"`
}

// Runner is the voice of the customer's use case: gather, group, find spikes, route, alert, digest, draft.
// The voice function runs it every hour; scripts/voice runs it on the local stack.
type Runner struct {
	Contacts contactSource
	// Feedback is nil until feedback and CSAT are stored (the conversation issue).
	Feedback feedbackSource
	Store    store
	Send     sender
	Grouper  *Grouper
	// Started names the template an agent's reply started from (rendered suggestions compared with the reply).
	Started    StartedFrom
	Thresholds Thresholds
	Gaps       Gaps
	// DefaultOwner gets the problems of merchants without routing of their own.
	DefaultOwner Owner
	Now          func() time.Time
	// Parallel is how many merchants one run handles at once; one when zero.
	Parallel int
}

// Options choose what one run does.
type Options struct {
	// From and To are the window to report; the hourly run's is the hour that just ended.
	From, To time.Time
	// Merchant limits the run to one merchant; all merchants with voices when empty.
	Merchant string
	// Hourly marks the scheduled run: it writes the window's hourly counts, backfills missing hours and adds
	// approved drafts' figures; other runs (scripts/voice) only read figures and update clusters.
	Hourly bool
	// Notify sends spike and regression alerts; Digest sends each owner's digest when it is due (09:00 local
	// time, or at once with ForceDigest).
	Notify, Digest, ForceDigest bool
}

// Report is what a run found, per merchant.
type Report struct {
	Gathered  int
	Merchants []MerchantReport
}

// MerchantReport is one merchant's problems, drafts and what was sent.
type MerchantReport struct {
	Merchant string
	Problems []Problem
	// Unclustered counts the window's text voices that joined no problem.
	Unclustered int
	Drafts      []Draft
	// DraftWindow counts, per approved draft, the window's contacts the bot answered from it and those of its
	// problem that still went to a person without a template.
	DraftWindow map[string][2]int
	Sent        []string // "spike k123 -> owner", "digest -> owner"
}

// gatherOverlap re-reads a little before the watermark: a contact settled just before a run may be written with
// a slightly earlier updatedAt than the moment the run read up to.
const gatherOverlap = 5 * time.Minute

// firstGather is how far back the first run gathers: enough for a week of baselines.
const firstGather = (BaselineDays + 1) * 24 * time.Hour

// Gather copies, masked, every contact (and feedback) whose outcome changed since the last gather into the store,
// and moves the watermark. It returns how many voices it stored.
func (r *Runner) Gather(ctx context.Context) (int, error) {
	now := r.Now()
	mark, err := r.Store.Watermark(ctx)
	if err != nil {
		return 0, err
	}
	from := mark.Add(-gatherOverlap)
	if mark.IsZero() {
		from = now.Add(-firstGather)
	}
	var vs []Voice
	merchants := map[string]time.Time{}
	flush := func() error {
		if len(vs) == 0 {
			return nil
		}
		if err := r.Store.PutVoices(ctx, vs); err != nil {
			return err
		}
		vs = vs[:0]
		return nil
	}
	n := 0
	add := func(v Voice) error {
		vs = append(vs, v)
		if t, ok := merchants[v.Merchant]; !ok || v.At.Before(t) {
			merchants[v.Merchant] = v.At
		}
		n++
		if len(vs) == 500 {
			return flush()
		}
		return nil
	}
	err = r.Contacts.EachUpdated(ctx, from, now, func(rec contact.Record) error {
		if v, ok := FromRecord(rec, r.Started); ok {
			return add(v)
		}
		return nil
	})
	if err == nil && r.Feedback != nil {
		err = r.Feedback.EachFeedback(ctx, from, now, func(f Feedback) error {
			if v, ok := FromFeedback(f); ok {
				return add(v)
			}
			return nil
		})
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, fmt.Errorf("gather voices since %s: %w", from.Format(time.RFC3339), err)
	}
	if len(merchants) > 0 {
		if err := r.Store.NoteMerchants(ctx, merchants); err != nil {
			return n, err
		}
	}
	return n, r.Store.PutWatermark(ctx, now)
}

// Run reports, and acts on, each merchant's problems in the window. A merchant that fails does not stop the
// others; their errors come back joined.
func (r *Runner) Run(ctx context.Context, o Options) (Report, error) {
	var rep Report
	if !o.To.After(o.From) {
		return rep, fmt.Errorf("run voice: window %s to %s is empty", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	if o.Hourly && (!o.From.Equal(o.From.Truncate(time.Hour)) || o.To.Sub(o.From) != time.Hour) {
		return rep, fmt.Errorf("run voice: an hourly run's window is one whole hour, not %s to %s", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	known, err := r.Store.Merchants(ctx)
	if err != nil {
		return rep, err
	}
	merchants := slices.Sorted(mapKeys(known))
	if o.Merchant != "" {
		merchants = []string{o.Merchant}
	}
	// Merchants are independent: several at once, their reports in merchant order.
	reports := make([]MerchantReport, len(merchants))
	errs := make([]error, len(merchants))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(r.Parallel, len(merchants))) {
		wg.Go(func() {
			for i := range work {
				mr, err := r.merchant(ctx, merchants[i], known[merchants[i]], o)
				if err != nil {
					err = fmt.Errorf("merchant %s: %w", merchants[i], err)
				}
				reports[i], errs[i] = mr, err
			}
		})
	}
	for i := range merchants {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, mr := range reports {
		if len(mr.Problems) > 0 || len(mr.Drafts) > 0 || len(mr.Sent) > 0 {
			rep.Merchants = append(rep.Merchants, mr)
		}
	}
	return rep, errors.Join(errs...)
}

func (r *Runner) routing(ctx context.Context, merchant string) (Routing, error) {
	rt, ok, err := r.Store.Routing(ctx, merchant)
	if err != nil {
		return Routing{}, err
	}
	if !ok {
		rt = Routing{Merchant: merchant, Owners: []Owner{r.DefaultOwner}, Default: r.DefaultOwner.ID}
	}
	return rt, nil
}

func (r *Runner) merchant(ctx context.Context, merchant string, since time.Time, o Options) (MerchantReport, error) {
	mr := MerchantReport{Merchant: merchant}
	now := r.Now()
	rt, err := r.routing(ctx, merchant)
	if err != nil {
		return mr, err
	}
	if o.Hourly && !(o.Digest && digestHour(rt, now)) {
		// Most merchants are quiet most hours: with no voice in the hour, record the empty hour and stop there.
		vs, err := r.Store.Voices(ctx, merchant, o.From, o.To)
		if err != nil {
			return mr, err
		}
		if len(vs) == 0 {
			return mr, r.Store.PutHours(ctx, []HourCounts{{Merchant: merchant, Hour: o.From.UTC(), Counts: map[string]int{}}})
		}
	}
	th := r.Thresholds
	if rt.Thresholds != nil {
		th = *rt.Thresholds
	}
	known, err := r.Store.Clusters(ctx, merchant)
	if err != nil {
		return mr, err
	}
	hours, err := r.Store.Hours(ctx, merchant, o.To.Add(-(BaselineDays+1)*24*time.Hour), o.To)
	if err != nil {
		return mr, err
	}
	// The window's voices, and the text lane's over the last day for drafts (bot answers are most contacts
	// and drafts do not need them).
	all, err := r.Store.Voices(ctx, merchant, minTime(o.From, o.To.Add(-24*time.Hour)), o.To)
	if err != nil {
		return mr, err
	}
	var window, recent []Voice
	for _, v := range all {
		in := !v.At.Before(o.From) && v.At.Before(o.To)
		if in {
			window = append(window, v)
		}
		if v.Lane() == LaneText && !v.At.Before(o.To.Add(-24*time.Hour)) {
			recent = append(recent, v)
		}
	}
	all = nil
	gr := r.Grouper.Group(merchant, known, window, now)
	mr.Unclustered = len(gr.Other)
	byID := map[string]int{}
	for i, c := range known {
		byID[c.ID] = i
	}
	updated := Latest(known, gr.Clusters)
	var puts []HourCounts
	if o.Hourly {
		if puts, err = r.backfill(ctx, merchant, since, hours, updated, o); err != nil {
			return mr, err
		}
	}
	var changed []Cluster
	counts := HourCounts{Merchant: merchant, Hour: o.From.UTC(), Counts: map[string]int{}, Total: len(window)}
	for ci, c := range gr.Clusters {
		ms := gr.Members[ci]
		members := make([]Voice, len(ms))
		for k, i := range ms {
			members[k] = window[i]
		}
		counts.Counts[c.ID] = len(ms)
		p := Problem{Cluster: c, Count: len(ms), Locales: map[string]int{}}
		p.Baseline, p.Days = Baseline(hours, c.ID, o.From, o.To)
		_, seen := byID[c.ID]
		p.New = !seen && p.Baseline == 0
		// A bot-answered intent spikes only against history: on the first day every intent would.
		p.Spike = th.Spike(p.Count, p.Baseline) && (p.Days > 0 || c.Lane == LaneText)
		p.Trend = append(Trend(hours, c.ID, o.From, 24), p.Count)
		for _, v := range members {
			p.Locales[v.Locale]++
			if v.NoMatch() {
				p.NoMatch++
			}
			if v.AgentAnswered() {
				p.Replied++
			}
		}
		p.Owner = rt.OwnerOf(c, members)
		after := 0
		for _, v := range members {
			if v.At.After(c.StatusAt) {
				after++
			}
		}
		quiet := c.Status == Acknowledged && p.Count < 2*c.AlertedCount
		if c.Status == Resolved && after >= th.Regression {
			p.Status, p.Regression, p.StatusAt, p.StatusBy = Open, true, now, "voice"
			if o.Notify && r.alert(ctx, rt, p, "regression", o, &mr) == nil {
				p.AlertedAt, p.AlertedCount = now, p.Count
			}
		} else if p.Spike && o.Notify && !quiet && (now.Sub(c.AlertedAt) >= th.Cooldown || p.Count >= 2*c.AlertedCount) {
			if r.alert(ctx, rt, p, "spike", o, &mr) == nil {
				p.AlertedAt, p.AlertedCount = now, p.Count
			}
		}
		changed = append(changed, p.Cluster)
		mr.Problems = append(mr.Problems, p)
	}
	slices.SortStableFunc(mr.Problems, func(a, b Problem) int {
		if a.Spike != b.Spike {
			if a.Spike {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if err := r.Store.PutClusters(ctx, changed); err != nil {
		return mr, err
	}
	updated = Latest(known, changed)
	if o.Hourly {
		puts = append(puts, counts)
		if err := r.Store.PutHours(ctx, puts); err != nil {
			return mr, err
		}
	}
	if err := r.drafts(ctx, merchant, o, window, recent, updated, &mr); err != nil {
		return mr, err
	}
	if o.Digest || o.ForceDigest {
		for _, h := range puts {
			hours[h.Hour] = h
		}
		if err := r.digests(ctx, rt, updated, hours, o, &mr); err != nil {
			return mr, err
		}
	}
	return mr, nil
}

// digestHour reports whether it is the digest's hour where one of rt's owners is.
func digestHour(rt Routing, now time.Time) bool {
	for _, o := range rt.Owners {
		if now.In(o.Location()).Hour() == DigestHour {
			return true
		}
	}
	return false
}

// backfillHours bounds how many missing hours one run counts after the fact (a week: the first run's).
const backfillHours = BaselineDays * 24

// backfill counts, hour by hour, the hours of the last week nobody counted (the function was down, or this is
// the first run) against the clusters as they are now, so baselines have a week behind them. Hours without
// voices are written as empty, so they are not counted again; hours before the merchant's first voice are not
// written at all, so a new merchant's baseline says "no history" rather than "none usually".
func (r *Runner) backfill(ctx context.Context, merchant string, since time.Time, hours map[time.Time]HourCounts, clusters []Cluster, o Options) ([]HourCounts, error) {
	var out []HourCounts
	start := o.From.Add(-backfillHours * time.Hour)
	if !since.IsZero() {
		start = maxTime(start, since.UTC().Truncate(time.Hour))
	}
	for h := start; h.Before(o.From); h = h.Add(time.Hour) {
		if _, ok := hours[h]; ok {
			continue
		}
		vs, err := r.Store.Voices(ctx, merchant, h, h.Add(time.Hour))
		if err != nil {
			return out, err
		}
		hc := HourCounts{Merchant: merchant, Hour: h, Counts: r.Grouper.Assign(clusters, vs), Total: len(vs)}
		hours[h] = hc
		out = append(out, hc)
	}
	return out, nil
}

// drafts proposes drafts from the text lane's last 24 hours and, hourly, adds approved drafts' figures from the
// window.
func (r *Runner) drafts(ctx context.Context, merchant string, o Options, window, recent []Voice, clusters []Cluster, mr *MerchantReport) error {
	existing, err := r.Store.Drafts(ctx, merchant)
	if err != nil {
		return err
	}
	known := clusters
	gr := r.Grouper.Group(merchant, known, recent, r.Now())
	// The window's bot answers about a problem of the text lane, by intent: where a draft for it belongs.
	var answered []Voice
	for _, v := range window {
		if v.Kind == Answered {
			answered = append(answered, v)
		}
	}
	answeredAs := map[string]map[string]int{}
	for i, id := range r.Grouper.Near(Latest(known, gr.Clusters), answered) {
		if id == "" {
			continue
		}
		k := DraftID(id, answered[i].Locale)
		if answeredAs[k] == nil {
			answeredAs[k] = map[string]int{}
		}
		answeredAs[k][answered[i].Intent]++
	}
	proposed := r.Gaps.ProposeDrafts(merchant, gr, recent, existing, answeredAs, r.Now())
	// A draft's cluster may have formed only over the day (a few contacts an hour): keep it, so its id stays.
	have := map[string]bool{}
	for _, c := range known {
		have[c.ID] = true
	}
	var fresh []Cluster
	for _, d := range proposed {
		for _, c := range gr.Clusters {
			if c.ID == d.Cluster && !have[c.ID] {
				have[c.ID] = true
				fresh = append(fresh, c)
			}
		}
	}
	if err := r.Store.PutClusters(ctx, fresh); err != nil {
		return err
	}
	var puts []Draft
	for _, d := range proposed {
		if d.Status != Withdrawn {
			puts = append(puts, d)
			continue
		}
		// Only if still pending: a person may have decided it meanwhile.
		if err := r.Store.DecideDraft(ctx, d); err != nil && !errors.Is(err, ErrDecided) {
			return err
		}
	}
	// Approved drafts: how many of the window's contacts the bot answered from them, and how many of the
	// problem's still went to a person without a template. Hourly runs add them to the draft's figures.
	mr.DraftWindow = map[string][2]int{}
	for _, d := range existing {
		if d.Status != Approved || len(d.Published) == 0 {
			continue
		}
		since := d.DecidedAt
		if !d.PublishedAt.IsZero() {
			since = d.PublishedAt // approved drafts wait a few minutes for their publication
		}
		n, h := 0, 0
		var missed []Voice
		for _, v := range window {
			switch {
			case v.At.Before(since):
			case v.Kind == Answered && slices.Contains(d.Published, v.Template):
				n++
			case v.NoMatch() && v.Locale == d.Locale && d.Cluster != "":
				missed = append(missed, v)
			}
		}
		if len(missed) > 0 {
			h = r.Grouper.Assign(known, missed)[d.Cluster]
		}
		mr.DraftWindow[d.ID] = [2]int{n, h}
		if o.Hourly && (n > 0 || h > 0) {
			d.Answered += n
			d.HandedOff += h
			d.UpdatedAt = r.Now()
			puts = append(puts, d)
		}
	}
	if err := r.Store.PutDrafts(ctx, puts); err != nil {
		return err
	}
	byID := map[string]Draft{}
	for _, d := range existing {
		byID[d.ID] = d
	}
	for _, d := range append(puts, proposed...) {
		byID[d.ID] = d
	}
	for _, id := range slices.Sorted(mapKeys(byID)) {
		if byID[id].Status != Withdrawn {
			mr.Drafts = append(mr.Drafts, byID[id])
		}
	}
	slices.SortStableFunc(mr.Drafts, func(a, b Draft) int {
		if a.Status != b.Status {
			return cmp.Compare(a.Status.rank(), b.Status.rank())
		}
		return cmp.Compare(b.Impact, a.Impact)
	})
	return nil
}

func (r *Runner) alert(ctx context.Context, rt Routing, p Problem, kind string, o Options, mr *MerchantReport) error {
	to, ok := rt.Owner(p.Owner)
	if !ok {
		return fmt.Errorf("alert %s of %s: no owner %s", kind, p.ID, p.Owner)
	}
	m := AlertMessage(kind, rt.Merchant, p, to.Locale, o.From, o.To)
	if err := r.Send.Send(ctx, to, m); err != nil {
		return fmt.Errorf("alert %s of %s to %s: %w", kind, p.ID, to.ID, err)
	}
	mr.Sent = append(mr.Sent, fmt.Sprintf("%s %s -> %s", kind, p.ID, to.ID))
	return nil
}

// digests sends each owner of the merchant the day's digest once it is 09:00 where the owner is (or at once when
// forced), at most once per local date.
func (r *Runner) digests(ctx context.Context, rt Routing, clusters []Cluster, hours map[time.Time]HourCounts, o Options, mr *MerchantReport) error {
	now := r.Now()
	var errs []error
	for _, owner := range rt.Owners {
		local := now.In(owner.Location())
		if local.Hour() < DigestHour && !o.ForceDigest {
			continue
		}
		date := local.Format("2006-01-02")
		var mine []Problem
		mineOf := func(c Cluster) bool { return c.Owner == owner.ID || (c.Owner == "" && owner.ID == rt.Default) }
		if !o.Hourly {
			// Run by hand: no hourly counts were written, so the digest is this run's window as it found it.
			for _, p := range mr.Problems {
				if mineOf(p.Cluster) {
					mine = append(mine, p)
				}
			}
		}
		for _, c := range clusters {
			id := c.ID
			if !o.Hourly || !mineOf(c) {
				continue
			}
			p := Problem{Cluster: c}
			p.Count = int(sumHours(hours, id, now.Add(-24*time.Hour), now))
			p.Baseline, p.Days = Baseline(hours, id, now.Add(-24*time.Hour), now)
			p.Trend = Trend(hours, id, now, 24)
			p.New = c.FirstSeen.After(now.Add(-24*time.Hour)) && p.Baseline == 0
			mine = append(mine, p)
		}
		d := BuildDigest(rt.Merchant, owner, date, mine, DigestSize)
		if !o.Hourly {
			d.Hours = int(o.To.Sub(o.From).Round(time.Hour).Hours())
		}
		if len(d.Problems) == 0 {
			continue
		}
		first, err := r.Store.MarkDigest(ctx, rt.Merchant, owner.ID, date)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !first && !o.ForceDigest {
			continue
		}
		if err := r.Send.Send(ctx, owner, d.Message()); err != nil {
			errs = append(errs, fmt.Errorf("digest of %s to %s: %w", rt.Merchant, owner.ID, err))
			// Let the next hourly run try again.
			errs = append(errs, r.Store.UnmarkDigest(ctx, rt.Merchant, owner.ID, date))
			continue
		}
		mr.Sent = append(mr.Sent, "digest -> "+owner.ID)
	}
	return errors.Join(errs...)
}

func sumHours(hours map[time.Time]HourCounts, cluster string, from, to time.Time) float64 {
	n, _ := overlap(hours, cluster, from, to)
	return n
}
