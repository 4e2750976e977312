package contact

import "errors"

// Sentinel errors the adapters translate storage failures into.
var (
	ErrNotFound  = errors.New("contact not found")
	ErrLease     = errors.New("lease is wrong or has expired")
	ErrNotHigher = errors.New("priority must be higher than the current one")
	ErrThrottled = errors.New("storage is throttling; retry later")
)
