package redis

import (
	"bytes"
	"sync/atomic"

	"github.com/sidewire/sidewire/codecs"
)

// ServerCodec is the downstream side of one client connection: it
// decodes the client's commands and writes replies back.
type ServerCodec struct {
	bounds
	proto atomic.Int32
}

var _ codecs.ServerCodec = (*ServerCodec)(nil)

// NewServerCodec returns a codec for one downstream connection.
func NewServerCodec(l Limits, cl codecs.Limits) *ServerCodec {
	s := &ServerCodec{bounds: newBounds(l, cl)}
	s.proto.Store(2)
	return s
}

// Decode decodes the command at the start of b: a multibulk array of
// bulk strings, or an inline command line. Empty commands ("*0\r\n", a
// blank line), which Redis skips without replying, come back as
// KindOneWay frames without a Method.
func (s *ServerCodec) Decode(b []byte) (f codecs.Frame, n int, err error) {
	n, err = s.decodeRequest(&f, b)
	if err != nil {
		return codecs.Frame{}, n, err
	}
	return f, n, nil
}

// Protocol returns the RESP version the client speaks: 2 until a HELLO
// reply written through AppendResponse switches it (or SetProtocol).
// Use it to pick the encoders' RESP2 or RESP3 form for local replies.
func (s *ServerCodec) Protocol() int { return int(s.proto.Load()) }

// SetProtocol records the RESP version (2 or 3) when the proxy answers
// HELLO itself.
func (s *ServerCodec) SetProtocol(v int) {
	if v == 2 || v == 3 {
		s.proto.Store(int32(v))
	}
}

// AppendResponse appends resp.Raw unchanged, noting a HELLO or RESET
// reply's protocol switch.
func (s *ServerCodec) AppendResponse(dst []byte, resp *codecs.Frame, _ uint64) []byte {
	if raw := resp.Raw; len(raw) > 0 {
		switch raw[0] {
		case '%', '*':
			if v := helloProto(raw, 0); v != 0 {
				s.proto.Store(v)
			}
		case '+':
			if bytes.Equal(raw, resetReply) {
				s.proto.Store(2)
			}
		}
	}
	return append(dst, resp.Raw...)
}

// AppendError appends an error reply: "-ERR <msg>\r\n", or
// "-NOPERM <msg>\r\n" for codecs.StatusDenied. A msg starting with '-'
// carries its own error code ("-CROSSSLOT Keys ..."). With req nil the
// error is about malformed bytes, and the reply is Redis's own
// "-ERR Protocol error: ..." (the text of a Decode error found in msg).
// CR and LF in msg become spaces, as Redis does.
func (s *ServerCodec) AppendError(dst []byte, req *codecs.Frame, status codecs.Status, msg string) []byte {
	if req == nil {
		if text, ok := protocolErrorText(msg); ok {
			return appendErrorLine(dst, "ERR ", text)
		}
		return appendErrorLine(dst, "ERR Protocol error: ", msg)
	}
	if len(msg) > 0 && msg[0] == '-' {
		return appendErrorLine(dst, "", msg[1:])
	}
	if status == codecs.StatusDenied {
		return appendErrorLine(dst, "NOPERM ", msg)
	}
	return appendErrorLine(dst, "ERR ", msg)
}

// AppendEventResponse returns dst unchanged: clients send no events.
func (s *ServerCodec) AppendEventResponse(dst []byte, _ *codecs.Frame) []byte { return dst }
