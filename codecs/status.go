package codecs

import (
	"context"
	"errors"
	"os"
)

// Status is a protocol-neutral outcome. Codecs map their own codes to it
// when decoding responses (Attributes.Status) and map it back to their
// wire format when encoding local error replies (AppendError). Its
// String form is a bounded metrics label.
type Status uint8

// Statuses. The set is closed so metrics labels stay bounded.
const (
	// StatusUnset means the frame carries no status (requests).
	StatusUnset Status = iota
	// StatusOK is success.
	StatusOK
	// StatusError is an application error answered by the upstream
	// (Redis -ERR, Dubbo exception result, Kafka error code).
	StatusError
	// StatusBadRequest is a malformed or unsupported request.
	StatusBadRequest
	// StatusDenied is a request refused by policy (RBAC).
	StatusDenied
	// StatusNotFound is a request with no route, service or cluster.
	StatusNotFound
	// StatusTimeout is a request that ran out of time.
	StatusTimeout
	// StatusUnavailable is no healthy upstream, a failed connection or an
	// open circuit breaker.
	StatusUnavailable
	// StatusRateLimited is a request shed by a rate limit or overload.
	StatusRateLimited
	// StatusInternal is a proxy bug or an unexpected condition.
	StatusInternal
)

var statusNames = [...]string{
	StatusUnset:       "unset",
	StatusOK:          "ok",
	StatusError:       "error",
	StatusBadRequest:  "bad_request",
	StatusDenied:      "denied",
	StatusNotFound:    "not_found",
	StatusTimeout:     "timeout",
	StatusUnavailable: "unavailable",
	StatusRateLimited: "rate_limited",
	StatusInternal:    "internal",
}

// String returns the snake_case status name.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "invalid"
}

// ReplyError is an error with a Status, for filters and handlers that
// fail a request with a specific local reply.
type ReplyError struct {
	Status Status
	Err    error
}

func (e *ReplyError) Error() string { return e.Err.Error() }

func (e *ReplyError) Unwrap() error { return e.Err }

// CodecStatus implements the interface StatusOf looks for.
func (e *ReplyError) CodecStatus() Status { return e.Status }

// StatusOf classifies err for a local reply: nil is StatusOK; an error
// in the chain with a CodecStatus() Status method decides itself; a
// deadline is StatusTimeout; anything else is StatusInternal.
func StatusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	var s interface{ CodecStatus() Status }
	if errors.As(err, &s) {
		return s.CodecStatus()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return StatusTimeout
	}
	if errors.Is(err, context.Canceled) {
		return StatusUnavailable
	}
	return StatusInternal
}
