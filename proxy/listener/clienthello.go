package listener

import (
	"encoding/binary"
	"errors"
)

// ClientHello holds the fields of a TLS ClientHello that filter chain
// matching needs.
type ClientHello struct {
	ServerName string
	ALPN       []string
}

// errNeedMore reports that b holds a valid but incomplete ClientHello.
var errNeedMore = errors.New("need more bytes")

// errNotTLS reports that the bytes are not a TLS handshake.
var errNotTLS = errors.New("not a tls client hello")

const (
	recordHeaderLen   = 5
	recordTypeHS      = 0x16
	handshakeClientHi = 0x01
	extServerName     = 0
	extALPN           = 16
	// maxClientHello bounds the handshake message, like Envoy's
	// max_client_hello_size default.
	maxClientHello = 64 << 10
)

// looksLikeTLS reports whether b can begin a TLS handshake record.
// It needs at least three bytes to say no with confidence.
func looksLikeTLS(b []byte) (ok, sure bool) {
	if len(b) == 0 {
		return false, false
	}
	if b[0] != recordTypeHS {
		return false, true
	}
	if len(b) < 3 {
		return true, false
	}
	return b[1] == 3 && b[2] <= 4, true
}

// parseClientHello parses the ClientHello at the start of b, which may span
// several TLS records. It returns errNeedMore for a valid prefix and
// errNotTLS (possibly wrapped) for anything else.
func parseClientHello(b []byte) (ClientHello, error) {
	msg, err := handshakeMessage(b)
	if err != nil {
		return ClientHello{}, err
	}
	return parseHelloBody(msg)
}

// handshakeMessage reassembles the first handshake message from the
// records in b.
func handshakeMessage(b []byte) ([]byte, error) {
	var hs []byte
	need := -1
	for {
		if ok, sure := looksLikeTLS(b); !ok {
			if sure {
				return nil, errNotTLS
			}
			return nil, errNeedMore
		}
		if len(b) < recordHeaderLen {
			return nil, errNeedMore
		}
		n := int(binary.BigEndian.Uint16(b[3:5]))
		if n == 0 || n > 1<<14+2048 {
			return nil, notTLS("bad record length")
		}
		if len(b) < recordHeaderLen+n {
			return nil, errNeedMore
		}
		hs = append(hs, b[recordHeaderLen:recordHeaderLen+n]...)
		b = b[recordHeaderLen+n:]
		if need < 0 && len(hs) >= 4 {
			if hs[0] != handshakeClientHi {
				return nil, notTLS("first handshake message is not a client hello")
			}
			need = 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
			if need > maxClientHello {
				return nil, notTLS("client hello too large")
			}
		}
		if need >= 0 && len(hs) >= need {
			return hs[4:need], nil
		}
	}
}

func notTLS(why string) error { return &helloError{why} }

type helloError struct{ why string }

func (e *helloError) Error() string   { return "parse client hello: " + e.why }
func (e *helloError) Is(t error) bool { return t == errNotTLS }

// reader is a bounds-checked cursor over a complete handshake message.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) skip(n int) {
	if r.bad || n > len(r.b) {
		r.bad = true
		return
	}
	r.b = r.b[n:]
}

func (r *reader) u8() int {
	if r.bad || len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := int(r.b[0])
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() int {
	if r.bad || len(r.b) < 2 {
		r.bad = true
		return 0
	}
	v := int(binary.BigEndian.Uint16(r.b))
	r.b = r.b[2:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func parseHelloBody(msg []byte) (ClientHello, error) {
	r := &reader{b: msg}
	r.skip(2 + 32)  // legacy_version, random
	r.skip(r.u8())  // legacy_session_id
	r.skip(r.u16()) // cipher_suites
	r.skip(r.u8())  // legacy_compression_methods
	if !r.bad && len(r.b) == 0 {
		return ClientHello{}, nil // no extensions
	}
	ext := &reader{b: r.bytes(r.u16())}
	if r.bad {
		return ClientHello{}, notTLS("truncated client hello")
	}
	var h ClientHello
	for len(ext.b) > 0 && !ext.bad {
		typ := ext.u16()
		data := &reader{b: ext.bytes(ext.u16())}
		switch typ {
		case extServerName:
			h.ServerName = parseSNI(data)
		case extALPN:
			h.ALPN = parseALPN(data)
		}
		if data.bad {
			return ClientHello{}, notTLS("malformed extension")
		}
	}
	if ext.bad {
		return ClientHello{}, notTLS("truncated extensions")
	}
	return h, nil
}

func parseSNI(r *reader) string {
	list := &reader{b: r.bytes(r.u16())}
	for len(list.b) > 0 && !list.bad {
		typ := list.u8()
		name := list.bytes(list.u16())
		if typ == 0 && !list.bad {
			return lowerASCII(name)
		}
	}
	r.bad = r.bad || list.bad
	return ""
}

func parseALPN(r *reader) []string {
	list := &reader{b: r.bytes(r.u16())}
	var out []string
	for len(list.b) > 0 && !list.bad {
		p := list.bytes(list.u8())
		if !list.bad {
			out = append(out, string(p))
		}
	}
	r.bad = r.bad || list.bad
	return out
}

func lowerASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}
