package voice

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"breakwater/shared/contact"
)

// memStore keeps what the voice table keeps, in memory, for the use case's unit tests (the DynamoDB adapter has
// its own tests against DynamoDB Local).
type memStore struct {
	mu        sync.Mutex
	voices    map[string]Voice
	merchants map[string]time.Time
	clusters  map[string]Cluster // merchant/id
	hours     map[string]HourCounts
	routing   map[string]Routing
	drafts    map[string]Draft
	mark      time.Time
	digests   map[string]bool
}

func newMemStore() *memStore {
	return &memStore{voices: map[string]Voice{}, merchants: map[string]time.Time{}, clusters: map[string]Cluster{},
		hours: map[string]HourCounts{}, routing: map[string]Routing{}, drafts: map[string]Draft{}, digests: map[string]bool{}}
}

func (s *memStore) PutVoices(_ context.Context, vs []Voice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vs {
		s.voices[v.Merchant+"/"+v.ID] = v
	}
	return nil
}

func (s *memStore) Voices(_ context.Context, merchant string, from, to time.Time) ([]Voice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Voice
	for _, v := range s.voices {
		if v.Merchant == merchant && !v.At.Before(from) && v.At.Before(to) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b Voice) int { return a.At.Compare(b.At)*2 + compareStrings(a.ID, b.ID) })
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *memStore) Merchants(context.Context) (map[string]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Time{}
	for m, t := range s.merchants {
		out[m] = t
	}
	return out, nil
}

func (s *memStore) NoteMerchants(_ context.Context, since map[string]time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for m, t := range since {
		if old, ok := s.merchants[m]; !ok || t.Before(old) {
			s.merchants[m] = t
		}
	}
	return nil
}

func (s *memStore) Clusters(_ context.Context, merchant string) ([]Cluster, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Cluster
	for _, c := range s.clusters {
		if c.Merchant == merchant {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Cluster) int { return compareStrings(a.ID, b.ID) })
	return out, nil
}

func (s *memStore) PutClusters(_ context.Context, cs []Cluster) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		s.clusters[c.Merchant+"/"+c.ID] = c
	}
	return nil
}

func (s *memStore) Hours(_ context.Context, merchant string, from, to time.Time) (map[time.Time]HourCounts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[time.Time]HourCounts{}
	for _, h := range s.hours {
		if h.Merchant == merchant && !h.Hour.Before(from.Truncate(time.Hour)) && h.Hour.Before(to) {
			out[h.Hour] = h
		}
	}
	return out, nil
}

func (s *memStore) PutHours(_ context.Context, hs []HourCounts) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hs {
		s.hours[h.Merchant+"/"+h.Hour.Format(time.RFC3339)] = h
	}
	return nil
}

func (s *memStore) Routing(_ context.Context, merchant string) (Routing, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.routing[merchant]
	return r, ok, nil
}

func (s *memStore) Drafts(_ context.Context, merchant string) ([]Draft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Draft
	for _, d := range s.drafts {
		if d.Merchant == merchant {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Draft) int { return compareStrings(a.ID, b.ID) })
	return out, nil
}

func (s *memStore) PutDrafts(_ context.Context, ds []Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range ds {
		s.drafts[d.Merchant+"/"+d.ID] = d
	}
	return nil
}

func (s *memStore) Draft(_ context.Context, merchant, id string) (Draft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.drafts[merchant+"/"+id]
	if !ok {
		return Draft{}, fmt.Errorf("draft %s: %w", id, ErrNotFound)
	}
	return d, nil
}

func (s *memStore) DecideDraft(_ context.Context, d Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.drafts[d.Merchant+"/"+d.ID]; old.Status != Pending {
		return ErrDecided
	}
	s.drafts[d.Merchant+"/"+d.ID] = d
	return nil
}

func (s *memStore) Watermark(context.Context) (time.Time, error) { return s.mark, nil }
func (s *memStore) PutWatermark(_ context.Context, t time.Time) error {
	s.mark = t
	return nil
}

func (s *memStore) MarkDigest(_ context.Context, merchant, owner, date string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := merchant + "/" + owner + "/" + date
	if s.digests[k] {
		return false, nil
	}
	s.digests[k] = true
	return true, nil
}

func (s *memStore) UnmarkDigest(_ context.Context, merchant, owner, date string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.digests, merchant+"/"+owner+"/"+date)
	return nil
}

// outbox records what was sent.
type outbox struct {
	mu   sync.Mutex
	sent []sent
}

type sent struct {
	to Owner
	m  Message
}

func (o *outbox) Send(_ context.Context, to Owner, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, sent{to, m})
	return nil
}

func (o *outbox) kinds() []string {
	var out []string
	for _, s := range o.sent {
		out = append(out, s.m.Kind+"->"+s.to.ID)
	}
	return out
}

// records is a contact source over a fixed list.
type records []contact.Record

func (rs records) EachUpdated(_ context.Context, from, to time.Time, visit func(contact.Record) error) error {
	for _, r := range rs {
		if !r.UpdatedAt.Before(from) && r.UpdatedAt.Before(to) {
			if err := visit(r); err != nil {
				return err
			}
		}
	}
	return nil
}
