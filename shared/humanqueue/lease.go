package humanqueue

import "time"

// Lease is an agent's hold on a claimed contact: while it holds, only that agent may reply, release, extend or
// escalate; when it runs out, the contact is back in its queue for anyone to claim.
type Lease struct {
	Token     string
	ExpiresAt time.Time
}

// MaxHold bounds how long one claim or extension may hold a contact.
const MaxHold = 15 * time.Minute

// Held reports whether a lease that runs until until still holds at now. This is the one definition of lease
// expiry: the store's conditions, a contact's visible status and its return to the queue all follow it. A lease
// holds up to, not including, its end: at the instant until the contact is claimable again.
func Held(until, now time.Time) bool { return now.Before(until) }

// Held reports whether l still holds at now.
func (l Lease) Held(now time.Time) bool { return Held(l.ExpiresAt, now) }

// Hold is the end of a lease taken or extended at now for d, bounded by MaxHold.
func Hold(now time.Time, d time.Duration) time.Time { return now.Add(min(d, MaxHold)) }
