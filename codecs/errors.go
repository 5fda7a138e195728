package codecs

import (
	"errors"
	"fmt"
	"strconv"
)

var (
	// ErrNeedMore is returned, unwrapped, by Decode when its input is a
	// strict prefix of a frame. Callers compare with ==.
	ErrNeedMore = errors.New("need more bytes")
	// ErrFrameTooLarge is wrapped by protocol errors for frames over
	// Limits.MaxFrameSize.
	ErrFrameTooLarge = errors.New("frame too large")
)

// ProtocolError reports bytes that can never form a valid frame. Peer
// input produces one of these, never a panic. Match it with errors.As.
type ProtocolError struct {
	// Protocol is the codec name.
	Protocol string
	// Offset is the byte offset in the decoded input where the fault
	// was found, or -1 when unknown.
	Offset int
	// Err describes the fault; it may wrap ErrFrameTooLarge or another
	// sentinel.
	Err error
}

// ProtocolErrorf returns a *ProtocolError whose Err is
// fmt.Errorf(format, args...) (so %w wraps).
func ProtocolErrorf(protocol string, offset int, format string, args ...any) *ProtocolError {
	return &ProtocolError{Protocol: protocol, Offset: offset, Err: fmt.Errorf(format, args...)}
}

func (e *ProtocolError) Error() string {
	s := e.Protocol + ": decode frame"
	if e.Offset >= 0 {
		s += " at byte " + strconv.Itoa(e.Offset)
	}
	return s + ": " + e.Err.Error()
}

func (e *ProtocolError) Unwrap() error { return e.Err }

// CodecStatus classifies protocol errors as bad requests.
func (e *ProtocolError) CodecStatus() Status { return StatusBadRequest }
