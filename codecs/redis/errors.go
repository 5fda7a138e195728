package redis

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sidewire/sidewire/codecs"
)

// Texts Redis itself replies with (networking.c) when a client sends
// bytes it cannot parse; ServerCodec.AppendError reproduces them.
const (
	msgInvalidMultibulk = "Protocol error: invalid multibulk length"
	msgInvalidBulk      = "Protocol error: invalid bulk length"
	msgTooBigInline     = "Protocol error: too big inline request"
	msgUnbalanced       = "Protocol error: unbalanced quotes in request"
	msgTooBigMbulkCount = "Protocol error: too big mbulk count string"
	msgTooBigBulkCount  = "Protocol error: too big bulk count string"
	msgExpectedDollar   = "Protocol error: expected '$', got '%c'"
)

// Texts for faults Redis tolerates or never sees: Sidewire is stricter
// because it must frame the bytes exactly to forward them.
const (
	msgExpectedLF       = "Protocol error: expected '\\n' after '\\r'"
	msgExpectedCRLF     = "Protocol error: expected '\\r\\n' after bulk data"
	msgRequestTooLarge  = "Protocol error: request of more than %d bytes"
	msgReplyTooLarge    = "Protocol error: reply of more than %d bytes"
	msgInvalidReplyType = "Protocol error: invalid reply type byte %q"
	msgStreamed         = "Protocol error: streamed RESP3 aggregates are not supported"
	msgTooDeep          = "Protocol error: reply nested deeper than %d aggregates"
	msgInvalidInteger   = "Protocol error: invalid integer"
	msgInvalidDouble    = "Protocol error: invalid double"
	msgInvalidBoolean   = "Protocol error: invalid boolean"
	msgInvalidBigNumber = "Protocol error: invalid big number"
	msgInvalidNull      = "Protocol error: invalid null"
	msgInvalidVerbatim  = "Protocol error: invalid verbatim string"
	msgInvalidAggregate = "Protocol error: invalid aggregate length"
	msgBareLF           = "Protocol error: line feed without carriage return"
)

// wireError is the Err of every ProtocolError this package returns. Its
// text is what Redis would reply, so a session can answer with it.
type wireError struct {
	msg      string
	tooLarge bool
}

func (e *wireError) Error() string { return e.msg }

// Unwrap exposes codecs.ErrFrameTooLarge for limit violations.
func (e *wireError) Unwrap() error {
	if e.tooLarge {
		return codecs.ErrFrameTooLarge
	}
	return nil
}

// protoError returns a ProtocolError for a fault at byte off.
func protoError(off int, msg string) error {
	return &codecs.ProtocolError{Protocol: Name, Offset: off, Err: &wireError{msg: msg}}
}

// limitError returns a ProtocolError wrapping codecs.ErrFrameTooLarge.
func limitError(off int, msg string) error {
	return &codecs.ProtocolError{Protocol: Name, Offset: off, Err: &wireError{msg: msg, tooLarge: true}}
}

func frameTooLarge(off, max int, request bool) error {
	format := msgReplyTooLarge
	if request {
		format = msgRequestTooLarge
	}
	return limitError(off, fmt.Sprintf(format, max))
}

// ErrorText returns the text Redis replies with for err, a decode error
// of this package ("Protocol error: invalid bulk length"), and whether
// err was one.
func ErrorText(err error) (string, bool) {
	var we *wireError
	if errors.As(err, &we) {
		return we.msg, true
	}
	return "", false
}

// AppendProtocolError appends the error reply Redis sends before it
// closes a connection that sent malformed bytes:
// "-ERR Protocol error: ...\r\n". err is a Decode error; any other
// error is described by its text.
func AppendProtocolError(dst []byte, err error) []byte {
	if msg, ok := ErrorText(err); ok {
		return appendErrorLine(dst, "ERR ", msg)
	}
	return appendErrorLine(dst, "ERR Protocol error: ", err.Error())
}

// protocolErrorText finds the Redis text inside msg, a ProtocolError's
// Error() string ("redis: decode frame at byte 4: Protocol error: ...").
func protocolErrorText(msg string) (string, bool) {
	if i := strings.Index(msg, "Protocol error: "); i >= 0 {
		return msg[i:], true
	}
	return "", false
}
