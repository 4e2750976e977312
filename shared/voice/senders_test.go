package voice

import (
	"context"
	"sync"
	"time"

	"breakwater/shared/contact"
)

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
