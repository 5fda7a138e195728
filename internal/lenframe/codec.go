package lenframe

import (
	"encoding/binary"

	"github.com/sidewire/sidewire/codecs"
)

// Codec is the lenframe codecs.Codec of one flavour.
type Codec struct {
	flavour Flavour
}

var _ codecs.Codec = (*Codec)(nil)

// New returns the codec of flavour f.
func New(f Flavour) *Codec { return &Codec{flavour: f} }

// Flavour returns the codec's wire flavour.
func (c *Codec) Flavour() Flavour { return c.flavour }

// Name implements codecs.Codec: "lenframe" or "lenframe-mux".
func (c *Codec) Name() string {
	if c.flavour == Multiplexed {
		return "lenframe-mux"
	}
	return "lenframe"
}

// Mode implements codecs.Codec.
func (c *Codec) Mode() codecs.PoolMode {
	if c.flavour == Multiplexed {
		return codecs.Multiplex
	}
	return codecs.Pipeline
}

// Sniff implements codecs.Codec: a request header's first three bytes.
func (c *Codec) Sniff(b []byte) codecs.SniffResult {
	want := [3]byte{'L', c.flavour.magic(), 0}
	for i := 0; i < len(b) && i < 3; i++ {
		if i == 2 {
			if !codecs.Kind(b[2]).IsRequest() && codecs.Kind(b[2]) != codecs.KindEvent {
				return codecs.NoMatch
			}
			return codecs.Match
		}
		if b[i] != want[i] {
			return codecs.NoMatch
		}
	}
	return codecs.NeedMore
}

// NewServerCodec implements codecs.Codec.
func (c *Codec) NewServerCodec(l codecs.Limits) codecs.ServerCodec {
	return &serverCodec{c.decoder(l)}
}

// NewClientCodec implements codecs.Codec.
func (c *Codec) NewClientCodec(l codecs.Limits) codecs.ClientCodec {
	return &clientCodec{c.decoder(l)}
}

func (c *Codec) decoder(l codecs.Limits) decoder {
	return decoder{flavour: c.flavour, name: c.Name(), max: l.WithDefaults().MaxFrameSize}
}

// appendWithID appends raw with its id field set to id (multiplexed) or
// unchanged (pipelined).
func (d *decoder) appendWithID(dst, raw []byte, id uint64) []byte {
	if d.flavour != Multiplexed {
		return append(dst, raw...)
	}
	dst = append(dst, raw[:4]...)
	dst = binary.BigEndian.AppendUint64(dst, id)
	return append(dst, raw[12:]...)
}

// appendEventResponse answers heartbeats (aux 1) by echoing their payload.
func (d *decoder) appendEventResponse(dst []byte, ev *codecs.Frame) []byte {
	if ev.Kind != codecs.KindEvent || ev.Raw[3] != 1 {
		return dst
	}
	h := Header{Kind: codecs.KindEventReply, ID: ev.ID}
	return d.flavour.Append(dst, h, d.flavour.Payload(ev.Raw))
}

type serverCodec struct{ decoder }

var _ codecs.ServerCodec = (*serverCodec)(nil)

func (s *serverCodec) AppendResponse(dst []byte, resp *codecs.Frame, id uint64) []byte {
	return s.appendWithID(dst, resp.Raw, id)
}

func (s *serverCodec) AppendError(dst []byte, req *codecs.Frame, st codecs.Status, msg string) []byte {
	var id uint64
	if req != nil {
		id = req.ID
	}
	return s.flavour.AppendResponse(dst, id, st, msg)
}

func (s *serverCodec) AppendEventResponse(dst []byte, ev *codecs.Frame) []byte {
	return s.appendEventResponse(dst, ev)
}

type clientCodec struct{ decoder }

var _ codecs.ClientCodec = (*clientCodec)(nil)

func (c *clientCodec) AppendRequest(dst []byte, req *codecs.Frame, id uint64) ([]byte, error) {
	return c.appendWithID(dst, req.Raw, id), nil
}

func (c *clientCodec) Responses(req *codecs.Frame) int {
	if req.Kind == codecs.KindOneWay {
		return 0
	}
	return int(req.Raw[3])
}

func (c *clientCodec) AppendHeartbeat(dst []byte, id uint64) []byte {
	return c.flavour.Append(dst, Header{Kind: codecs.KindEvent, Aux: 1, ID: id}, []byte("ping"))
}

func (c *clientCodec) AppendEventResponse(dst []byte, ev *codecs.Frame) []byte {
	return c.appendEventResponse(dst, ev)
}
