package contact

import "errors"

// Sentinel errors the adapters translate storage failures into.
var (
	ErrNotFound  = errors.New("contact not found")
	ErrLease     = errors.New("lease is wrong or has expired")
	ErrNotHigher = errors.New("priority must be higher than the current one")
	ErrThrottled = errors.New("storage is throttling; retry later")
	// ErrSettled means a contact being withdrawn was settled meanwhile: its message reached the queue after all.
	ErrSettled = errors.New("contact already settled")
)
