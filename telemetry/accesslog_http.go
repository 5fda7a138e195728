package telemetry

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// headerOperators are the operators that read HTTP headers.
var headerOperators = map[string]op{"REQ": opReq, "RESP": opResp, "TRAILER": opTrailer}

// headerRef is one header an operator reads: a pseudo-header (:method,
// :path, :authority, :scheme; requests only) or a header by its
// canonical key.
type headerRef struct {
	pseudo pseudoHeader
	key    string // canonical MIME key; "" for an unset alternative
}

type pseudoHeader uint8

const (
	notPseudo pseudoHeader = iota
	pseudoMethod
	pseudoPath
	pseudoAuthority
	pseudoScheme
)

var pseudoHeaders = map[string]pseudoHeader{
	":method": pseudoMethod, ":path": pseudoPath, ":authority": pseudoAuthority, ":scheme": pseudoScheme,
	"host": pseudoAuthority, // net/http keeps it out of the header map
}

// compileHeaderOperator compiles %REQ(X?Y):Z%, %RESP(X?Y):Z% and
// %TRAILER(X?Y):Z%: the value of header X, else of Y, truncated to Z
// bytes. Names are case-insensitive, as Envoy's.
func compileHeaderOperator(o op, c command) (segment, error) {
	if !c.hasArg || c.arg == "" {
		return segment{}, fmt.Errorf("%w: %%%s%% needs a header name: %%%s(name)%%", ErrBadOperator, c.name, c.name)
	}
	main, alt, hasAlt := strings.Cut(c.arg, "?")
	seg := segment{op: o, maxLen: c.maxLen}
	var err error
	if seg.hdr, err = newHeaderRef(o, main); err != nil {
		return segment{}, err
	}
	if hasAlt {
		if seg.alt, err = newHeaderRef(o, alt); err != nil {
			return segment{}, err
		}
	}
	return seg, nil
}

func newHeaderRef(o op, name string) (headerRef, error) {
	name = strings.ToLower(name)
	if p, ok := pseudoHeaders[name]; ok && o == opReq {
		return headerRef{pseudo: p}, nil
	}
	if name == "" || !isToken(name) {
		return headerRef{}, fmt.Errorf("%w: %q is not a header name", ErrBadOperator, name)
	}
	return headerRef{key: textproto.CanonicalMIMEHeaderKey(name)}, nil
}

// isToken reports whether s is an HTTP token (a header field name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// headerValue returns the value the operator prints: the first value of
// its header, else of its alternative; ok is false when neither is set
// (or the entry is not an HTTP request's).
func (s *segment) headerValue(e *AccessLogEntry) (string, bool) {
	if e.HTTP == nil {
		return "", false
	}
	if v, ok := s.hdr.value(s.op, e.HTTP); ok {
		return v, true
	}
	if s.alt.pseudo != notPseudo || s.alt.key != "" {
		return s.alt.value(s.op, e.HTTP)
	}
	return "", false
}

func (r *headerRef) value(o op, h *HTTPLogInfo) (string, bool) {
	var v string
	switch r.pseudo {
	case pseudoMethod:
		v = h.Method
	case pseudoPath:
		v = h.Path
	case pseudoAuthority:
		v = h.Authority
	case pseudoScheme:
		v = h.Scheme
	default:
		var m http.Header
		switch o {
		case opReq:
			m = h.RequestHeaders
		case opResp:
			m = h.ResponseHeaders
		case opTrailer:
			m = h.ResponseTrailers
		}
		if vs := m[r.key]; len(vs) > 0 {
			v = vs[0]
		}
	}
	return v, v != ""
}
