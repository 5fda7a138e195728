package session

import "errors"

var (
	// ErrClosed is returned for operations on a session that ended.
	ErrClosed = errors.New("session closed")
	// ErrIdle ends a session idle for Config.IdleTimeout.
	ErrIdle = errors.New("session idle")

	// errDrain ends the read loop when Drain is called.
	errDrain = errors.New("session draining")
)
