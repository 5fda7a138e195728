package lenframe

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sidewire/sidewire/codecs"
)

// decoder decodes both flavours' frames, whichever side reads them.
type decoder struct {
	flavour Flavour
	name    string
	max     int
}

func (d *decoder) errorf(off int, format string, args ...any) error {
	return codecs.ProtocolErrorf(d.name, off, format, args...)
}

// Decode implements the ServerCodec and ClientCodec Decode contract.
func (d *decoder) Decode(b []byte) (codecs.Frame, int, error) {
	if err := d.checkPrefix(b); err != nil {
		return codecs.Frame{}, 0, err
	}
	hl := d.flavour.HeaderLen()
	if len(b) < hl {
		return codecs.Frame{}, 0, codecs.ErrNeedMore
	}
	plen := binary.BigEndian.Uint32(b[d.flavour.lenOffset():])
	if hl+int(plen) > d.max {
		return codecs.Frame{}, 0, d.errorf(d.flavour.lenOffset(), "payload of %d bytes: %w", plen, codecs.ErrFrameTooLarge)
	}
	total := hl + int(plen)
	if len(b) < total {
		return codecs.Frame{}, total, codecs.ErrNeedMore
	}
	f := codecs.Frame{Raw: b[:total:total], Kind: codecs.Kind(b[2])}
	f.Attrs.Protocol = d.name
	if d.flavour == Multiplexed {
		f.ID = binary.BigEndian.Uint64(b[4:])
	}
	if err := d.attributes(&f, b[hl:total], hl); err != nil {
		return codecs.Frame{}, 0, err
	}
	return f, total, nil
}

// checkPrefix validates the header bytes present so far, so garbage
// fails at its first byte instead of waiting for a full header.
func (d *decoder) checkPrefix(b []byte) error {
	if len(b) > 0 && b[0] != 'L' {
		return d.errorf(0, "bad magic %#x", b[0])
	}
	if len(b) > 1 && b[1] != d.flavour.magic() {
		return d.errorf(1, "bad flavour %q, want %q", b[1], d.flavour.magic())
	}
	if len(b) > 2 && (b[2] < byte(codecs.KindRequest) || b[2] > byte(codecs.KindEventReply)) {
		return d.errorf(2, "unknown kind %d", b[2])
	}
	if len(b) > 3 {
		return d.checkAux(codecs.Kind(b[2]), b[3])
	}
	return nil
}

func (d *decoder) checkAux(k codecs.Kind, aux byte) error {
	switch {
	case k == codecs.KindRequest && aux == 0:
		return d.errorf(3, "request expects no response: use kind oneway")
	case k == codecs.KindRequest && d.flavour == Multiplexed && aux > 1:
		return d.errorf(3, "multiplexed request expects %d responses, want 1", aux)
	case k == codecs.KindOneWay && aux != 0:
		return d.errorf(3, "oneway request expects %d responses", aux)
	case k == codecs.KindResponse && aux > byte(codecs.StatusInternal):
		return d.errorf(3, "unknown status %d", aux)
	case (k == codecs.KindEvent || k == codecs.KindEventReply) && aux > 1:
		return d.errorf(3, "bad event flag %d", aux)
	}
	return nil
}

// attributes fills f.Attrs from the payload p, which starts at byte off.
func (d *decoder) attributes(f *codecs.Frame, p []byte, off int) error {
	aux := f.Raw[3]
	switch f.Kind {
	case codecs.KindResponse:
		f.Attrs.Status = codecs.Status(aux)
		f.Attrs.Code = int32(aux)
		return nil
	case codecs.KindRequest, codecs.KindOneWay:
		method, rest, err := field(p)
		if err != nil {
			return d.errorf(off, "read method: %w", err)
		}
		key, _, err := field(rest)
		if err != nil {
			return d.errorf(off+1+len(method), "read key: %w", err)
		}
		f.Attrs.Method = method
		if len(key) > 0 {
			f.Attrs.AddKey(key)
		}
	}
	return nil
}

// field splits a one-byte-length-prefixed field off p.
func field(p []byte) (v, rest []byte, err error) {
	if len(p) == 0 {
		return nil, nil, errors.New("missing length byte")
	}
	n := int(p[0])
	if len(p) < 1+n {
		return nil, nil, fmt.Errorf("field of %d bytes overruns payload of %d", n, len(p)-1)
	}
	return p[1 : 1+n : 1+n], p[1+n:], nil
}
