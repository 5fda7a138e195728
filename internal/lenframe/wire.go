package lenframe

import (
	"encoding/binary"

	"github.com/sidewire/sidewire/codecs"
)

// Flavour selects the pipelined or multiplexed wire format.
type Flavour uint8

// Flavours.
const (
	Pipelined Flavour = iota + 1
	Multiplexed
)

// Header is the decoded fixed header of a frame.
type Header struct {
	Kind codecs.Kind
	Aux  byte
	ID   uint64 // multiplexed flavour only
}

func (f Flavour) magic() byte {
	if f == Multiplexed {
		return 'M'
	}
	return 'P'
}

// HeaderLen is the fixed header size of the flavour.
func (f Flavour) HeaderLen() int {
	if f == Multiplexed {
		return 16
	}
	return 8
}

func (f Flavour) lenOffset() int { return f.HeaderLen() - 4 }

// Append appends a frame with header h and the concatenated payload
// parts to dst.
func (f Flavour) Append(dst []byte, h Header, payload ...[]byte) []byte {
	n := 0
	for _, p := range payload {
		n += len(p)
	}
	dst = append(dst, 'L', f.magic(), byte(h.Kind), h.Aux)
	if f == Multiplexed {
		dst = binary.BigEndian.AppendUint64(dst, h.ID)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	for _, p := range payload {
		dst = append(dst, p...)
	}
	return dst
}

// AppendRequest appends a request: replies is the number of responses
// expected, 0 making it a one-way request.
func (f Flavour) AppendRequest(dst []byte, id uint64, replies byte, method, key, body string) []byte {
	kind := codecs.KindRequest
	if replies == 0 {
		kind = codecs.KindOneWay
	}
	h := Header{Kind: kind, Aux: replies, ID: id}
	n := 2 + len(method) + len(key) + len(body)
	dst = f.Append(dst, h)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], uint32(n))
	dst = append(dst, byte(len(method)))
	dst = append(dst, method...)
	dst = append(dst, byte(len(key)))
	dst = append(dst, key...)
	return append(dst, body...)
}

// AppendResponse appends a response with the given status and body.
func (f Flavour) AppendResponse(dst []byte, id uint64, status codecs.Status, body string) []byte {
	h := Header{Kind: codecs.KindResponse, Aux: byte(status), ID: id}
	dst = f.Append(dst, h)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], uint32(len(body)))
	return append(dst, body...)
}

// Payload returns the payload of a complete frame raw.
func (f Flavour) Payload(raw []byte) []byte { return raw[f.HeaderLen():] }

// Body returns the opaque body of a complete request or response.
func (f Flavour) Body(fr *codecs.Frame) []byte {
	p := f.Payload(fr.Raw)
	if !fr.Kind.IsRequest() {
		return p
	}
	m := int(p[0])
	k := int(p[1+m])
	return p[2+m+k:]
}
