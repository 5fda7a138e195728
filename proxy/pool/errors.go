package pool

import (
	"context"
	"errors"

	"github.com/sidewire/sidewire/codecs"
)

// Causes wrapped by *Error.
var (
	// ErrPoolClosed: the pool or bound connection was closed.
	ErrPoolClosed = errors.New("pool closed")
	// ErrConnClosed: the upstream connection closed or broke.
	ErrConnClosed = errors.New("upstream connection closed")
	// ErrTimeout: the request's Options.Timeout elapsed.
	ErrTimeout = errors.New("request timed out")
	// ErrHeartbeat: the upstream did not answer a heartbeat in time.
	ErrHeartbeat = errors.New("heartbeat not answered")
	// ErrUnexpectedFrame: the upstream sent a frame no request explains.
	ErrUnexpectedFrame = errors.New("unexpected frame from upstream")
	// ErrBufferFull: one-way requests outran a stalled upstream by more
	// than Options.BufferLimit bytes.
	ErrBufferFull = errors.New("upstream write buffer full")
)

// Error is how a pool reports a failed request.
type Error struct {
	// Op is what failed: "connect upstream", "send request", "receive
	// response" or "wait for response".
	Op string
	// Sent is false when no byte of the request reached the connection,
	// so any request may be retried; true means the upstream may have
	// received and executed it.
	Sent bool
	// Err is the cause; it wraps one of the Err* causes above, a context
	// error, a dial or I/O error, or a *codecs.ProtocolError.
	Err error
}

func (e *Error) Error() string { return e.Op + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the request ran out of time.
func (e *Error) Timeout() bool {
	return errors.Is(e.Err, ErrTimeout) || errors.Is(e.Err, context.DeadlineExceeded)
}

// CodecStatus classifies the failure for local replies: timeouts are
// StatusTimeout, everything else StatusUnavailable.
func (e *Error) CodecStatus() codecs.Status {
	if e.Timeout() {
		return codecs.StatusTimeout
	}
	return codecs.StatusUnavailable
}

// unsent reports whether err is a failure before any byte was queued.
func unsent(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && !pe.Sent && errors.Is(pe.Err, ErrConnClosed)
}
