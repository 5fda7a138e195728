package dubbo

import (
	"fmt"

	"github.com/sidewire/sidewire/codecs"
)

// ClientCodec is the upstream side of one provider connection: it
// forwards requests with rewritten ids and decodes responses.
type ClientCodec struct {
	limit int
}

var _ codecs.ClientCodec = (*ClientCodec)(nil)

// NewClientCodec returns a codec for one upstream connection.
func NewClientCodec(l Limits, cl codecs.Limits) *ClientCodec {
	return &ClientCodec{limit: maxFrame(l, cl)}
}

// AppendRequest appends req.Raw with its request id set to id. It fails
// only for a frame shorter than a Dubbo header.
func (c *ClientCodec) AppendRequest(dst []byte, req *codecs.Frame, id uint64) ([]byte, error) {
	if len(req.Raw) < HeaderLen {
		return dst, fmt.Errorf("append request: frame of %d bytes is shorter than a dubbo header", len(req.Raw))
	}
	return AppendWithID(dst, req.Raw, id), nil
}

// Responses returns 1 for two-way requests and events, 0 for one-way.
func (c *ClientCodec) Responses(req *codecs.Frame) int {
	if len(req.Raw) >= HeaderLen && req.Raw[offFlag]&FlagTwoWay != 0 {
		return 1
	}
	return 0
}

// Decode decodes the frame at the start of b: a response (KindResponse),
// a heartbeat reply (KindEventReply), or a heartbeat the provider sent
// (KindEvent). Attrs.Code is the status byte; Attrs.Status its neutral
// meaning, codecs.StatusError for an OK response carrying an exception.
func (c *ClientCodec) Decode(b []byte) (f codecs.Frame, n int, err error) {
	_, n, err = decodeFrame(&f, b, c.limit)
	return f, n, err
}

// AppendHeartbeat appends a heartbeat request with id.
func (c *ClientCodec) AppendHeartbeat(dst []byte, id uint64) []byte {
	return AppendHeartbeat(dst, id)
}

// AppendEventResponse answers a provider's two-way heartbeat.
func (c *ClientCodec) AppendEventResponse(dst []byte, ev *codecs.Frame) []byte {
	return appendEventResponse(dst, ev)
}
