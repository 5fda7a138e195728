package dubbo

import (
	"github.com/sidewire/sidewire/codecs"
)

// decodeFrame frames the message at the start of b and fills f from the
// header, returning the header for the caller's checks. An error leaves
// f unset; with ErrNeedMore n is 0 or the frame's full size.
func decodeFrame(f *codecs.Frame, b []byte, limit int) (h header, n int, err error) {
	if len(b) < HeaderLen {
		// Fail at the first bad byte, before the header is complete.
		if len(b) > 0 && b[0] != magicHigh || len(b) > 1 && b[1] != magicLow {
			return h, 0, codecs.ProtocolErrorf(Name, 0, "read magic: got %#x, want 0xdabb", b[:min(len(b), 2)])
		}
		return h, 0, codecs.ErrNeedMore
	}
	h, badAt, ok := readHeader(b)
	if !ok {
		if badAt == offLen {
			return h, 0, codecs.ProtocolErrorf(Name, offLen, "read body length: negative length %d", int32(h.length))
		}
		return h, 0, codecs.ProtocolErrorf(Name, badAt, "read magic: got %#x, want 0xdabb", b[:2])
	}
	n = HeaderLen + h.length
	if n > limit {
		return h, 0, codecs.ProtocolErrorf(Name, offLen, "read body length: frame of %d bytes exceeds %d: %w",
			n, limit, codecs.ErrFrameTooLarge)
	}
	if len(b) < n {
		return h, n, codecs.ErrNeedMore
	}
	f.Raw, f.Kind, f.ID = b[:n:n], h.kind(), h.id
	f.Attrs.Protocol = Name
	body := f.Raw[HeaderLen:]
	if h.isRequest() {
		requestAttrs(&f.Attrs, h, body)
	} else {
		responseAttrs(&f.Attrs, h, body)
	}
	return h, n, nil
}
