package voice

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemStore keeps what the voice table keeps, in memory: the use case's tests run on it (the DynamoDB adapter
// has its own tests against DynamoDB Local). It is safe for concurrent use.
type MemStore struct {
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

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{voices: map[string]Voice{}, merchants: map[string]time.Time{}, clusters: map[string]Cluster{},
		hours: map[string]HourCounts{}, routing: map[string]Routing{}, drafts: map[string]Draft{}, digests: map[string]bool{}}
}

// SetRouting stores a merchant's routing.
func (s *MemStore) SetRouting(r Routing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routing[r.Merchant] = r
}

// PutVoices stores voices, replacing earlier outcomes of the same contacts.
func (s *MemStore) PutVoices(_ context.Context, vs []Voice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vs {
		s.voices[v.Merchant+"/"+v.ID] = v
	}
	return nil
}

// Voices reads merchant's voices of [from, to), oldest first.
func (s *MemStore) Voices(_ context.Context, merchant string, from, to time.Time) ([]Voice, error) {
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

// Merchants lists merchants with voices and since when.
func (s *MemStore) Merchants(context.Context) (map[string]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Time{}
	for m, t := range s.merchants {
		out[m] = t
	}
	return out, nil
}

// NoteMerchants records merchants, keeping the earliest time.
func (s *MemStore) NoteMerchants(_ context.Context, since map[string]time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for m, t := range since {
		if old, ok := s.merchants[m]; !ok || t.Before(old) {
			s.merchants[m] = t
		}
	}
	return nil
}

// Clusters reads merchant's problems.
func (s *MemStore) Clusters(_ context.Context, merchant string) ([]Cluster, error) {
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

// PutClusters stores problems.
func (s *MemStore) PutClusters(_ context.Context, cs []Cluster) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		s.clusters[c.Merchant+"/"+c.ID] = c
	}
	return nil
}

// Hours reads merchant's hourly counts of [from, to).
func (s *MemStore) Hours(_ context.Context, merchant string, from, to time.Time) (map[time.Time]HourCounts, error) {
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

// PutHours stores hourly counts.
func (s *MemStore) PutHours(_ context.Context, hs []HourCounts) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hs {
		s.hours[h.Merchant+"/"+h.Hour.Format(time.RFC3339)] = h
	}
	return nil
}

// Routing reads merchant's routing.
func (s *MemStore) Routing(_ context.Context, merchant string) (Routing, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.routing[merchant]
	return r, ok, nil
}

// Drafts reads merchant's drafts.
func (s *MemStore) Drafts(_ context.Context, merchant string) ([]Draft, error) {
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

// PutDrafts stores drafts.
func (s *MemStore) PutDrafts(_ context.Context, ds []Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range ds {
		s.drafts[d.Merchant+"/"+d.ID] = d
	}
	return nil
}

// Draft reads one draft; ErrNotFound when there is none.
func (s *MemStore) Draft(_ context.Context, merchant, id string) (Draft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.drafts[merchant+"/"+id]
	if !ok {
		return Draft{}, fmt.Errorf("draft %s: %w", id, ErrNotFound)
	}
	return d, nil
}

// DecideDraft stores d if the stored draft is pending; ErrDecided otherwise.
func (s *MemStore) DecideDraft(_ context.Context, d Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.drafts[d.Merchant+"/"+d.ID]; old.Status != Pending {
		return ErrDecided
	}
	s.drafts[d.Merchant+"/"+d.ID] = d
	return nil
}

// UpdateDraft stores d if the stored draft's status is from; ErrDecided otherwise.
func (s *MemStore) UpdateDraft(_ context.Context, d Draft, from DraftStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.drafts[d.Merchant+"/"+d.ID]; !ok || old.Status != from {
		return ErrDecided
	}
	s.drafts[d.Merchant+"/"+d.ID] = d
	return nil
}

// Watermark is how far contacts were gathered.
func (s *MemStore) Watermark(context.Context) (time.Time, error) { return s.mark, nil }

// PutWatermark moves the watermark.
func (s *MemStore) PutWatermark(_ context.Context, t time.Time) error {
	s.mark = t
	return nil
}

// MarkDigest records a digest sent, reporting false when it was already.
func (s *MemStore) MarkDigest(_ context.Context, merchant, owner, date string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := merchant + "/" + owner + "/" + date
	if s.digests[k] {
		return false, nil
	}
	s.digests[k] = true
	return true, nil
}

// UnmarkDigest forgets a digest.
func (s *MemStore) UnmarkDigest(_ context.Context, merchant, owner, date string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.digests, merchant+"/"+owner+"/"+date)
	return nil
}
