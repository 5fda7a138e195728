package dubbo

import (
	"sync"

	"github.com/sidewire/sidewire/codecs"
)

// ServerCodec is the downstream side of one consumer connection: it
// decodes requests and heartbeats and writes responses back.
type ServerCodec struct {
	limit int

	// mu guards oversized, the id of the last two-way request refused
	// as too large, answered by AppendError(dst, nil, ...).
	mu        sync.Mutex
	oversized *uint64
}

var _ codecs.ServerCodec = (*ServerCodec)(nil)

// NewServerCodec returns a codec for one downstream connection.
func NewServerCodec(l Limits, cl codecs.Limits) *ServerCodec {
	return &ServerCodec{limit: maxFrame(l, cl)}
}

// Decode decodes the frame at the start of b: a request (KindRequest),
// a one-way request (KindOneWay), or an event such as a heartbeat
// (KindEvent). A frame over the limit fails with a ProtocolError
// wrapping codecs.ErrFrameTooLarge as soon as its header is in; a
// following AppendError with a nil request answers it with BAD_REQUEST.
func (s *ServerCodec) Decode(b []byte) (f codecs.Frame, n int, err error) {
	h, n, err := decodeFrame(&f, b, s.limit)
	if err != nil && err != codecs.ErrNeedMore && h.isRequest() && h.isTwoWay() && h.length > 0 {
		s.remember(h.id)
	}
	return f, n, err
}

func (s *ServerCodec) remember(id uint64) {
	s.mu.Lock()
	s.oversized = &id
	s.mu.Unlock()
}

func (s *ServerCodec) takeOversized() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oversized == nil {
		return 0, false
	}
	id := *s.oversized
	s.oversized = nil
	return id, true
}

// AppendResponse appends resp.Raw with its request id set to id.
func (s *ServerCodec) AppendResponse(dst []byte, resp *codecs.Frame, id uint64) []byte {
	return AppendWithID(dst, resp.Raw, id)
}

// AppendError appends a local error response to req (see
// AppendErrorResponse): codecs.StatusError (or OK) becomes an OK
// response with an exception; other statuses map to SERVICE_NOT_FOUND
// (not found), SERVER_TIMEOUT, BAD_REQUEST, SERVER_THREADPOOL_EXHAUSTED
// (rate limited), SERVICE_ERROR (denied) or SERVER_ERROR, with msg as
// the error message. One-way requests get nothing. With req nil it
// answers the request whose header Decode refused as too large with
// BAD_REQUEST, and otherwise returns dst unchanged: Dubbo cannot answer
// without a request id.
func (s *ServerCodec) AppendError(dst []byte, req *codecs.Frame, status codecs.Status, msg string) []byte {
	if req == nil {
		if id, ok := s.takeOversized(); ok {
			return AppendErrorResponse(dst, id, StatusBadRequest, msg)
		}
		return dst
	}
	if len(req.Raw) < HeaderLen || req.Raw[offFlag]&FlagTwoWay == 0 {
		return dst
	}
	return AppendErrorResponse(dst, req.ID, statusFor(status), msg)
}

// AppendEventResponse answers a two-way event (a heartbeat) with a
// heartbeat response; one-way events get nothing.
func (s *ServerCodec) AppendEventResponse(dst []byte, ev *codecs.Frame) []byte {
	return appendEventResponse(dst, ev)
}
