package humanqueue

import (
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/priority"
)

// Stats describes one human queue at a moment.
type Stats struct {
	Priority priority.Priority
	// Waiting counts contacts an agent can claim now; Claimed those held under a live lease.
	Waiting int
	Claimed int
	// Overdue counts waiting contacts past their priority's target; OldestWait is the longest wait among them all.
	Overdue    int
	OldestWait time.Duration
	Target     time.Duration
}

// Entry is a waiting contact as the queue view shows it to an agent who does not hold it: no text, no shopper,
// no context.
type Entry struct {
	Waiting
	Locale contact.Locale
	Skill  string
}
