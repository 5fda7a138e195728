package httpproxy

import (
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/sidewire/sidewire/proxy/config"
)

// canonicalKey is the http.Header key of a header name.
func canonicalKey(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }

// mutations are one level's compiled config.HTTPHeaderMutations.
type mutations struct {
	reqAdd, respAdd       []headerAdd
	reqRemove, respRemove []string // canonical keys
}

// noMutations changes nothing.
var noMutations = &mutations{}

type headerAdd struct {
	key       string // canonical
	val       valueFormat
	action    config.HeaderAppendAction
	keepEmpty bool
}

func compileMutations(m *config.HTTPHeaderMutations) *mutations {
	if m.Empty() {
		return noMutations
	}
	out := &mutations{}
	for _, h := range m.RequestToAdd {
		out.reqAdd = append(out.reqAdd, newHeaderAdd(h))
	}
	for _, h := range m.ResponseToAdd {
		out.respAdd = append(out.respAdd, newHeaderAdd(h))
	}
	for _, n := range m.RequestToRemove {
		out.reqRemove = append(out.reqRemove, canonicalKey(n))
	}
	for _, n := range m.ResponseToRemove {
		out.respRemove = append(out.respRemove, canonicalKey(n))
	}
	return out
}

func newHeaderAdd(h config.HeaderValueOption) headerAdd {
	return headerAdd{key: canonicalKey(h.Key), val: compileValue(h.Value), action: h.Action, keepEmpty: h.KeepEmptyValue}
}

// applyMutations removes, then adds headers of one level, as Envoy
// evaluates each level.
func applyMutations(h http.Header, removes []string, adds []headerAdd, fc *fmtContext) {
	for _, k := range removes {
		delete(h, k)
	}
	for i := range adds {
		a := &adds[i]
		v := a.val.format(fc)
		if v == "" && !a.keepEmpty {
			continue
		}
		_, present := h[a.key]
		switch a.action {
		case config.HeaderAppendIfExistsOrAdd:
			h[a.key] = append(h[a.key], v)
		case config.HeaderAddIfAbsent:
			if !present {
				h[a.key] = []string{v}
			}
		case config.HeaderOverwriteIfExistsOrAdd:
			h[a.key] = []string{v}
		case config.HeaderOverwriteIfExists:
			if present {
				h[a.key] = []string{v}
			}
		}
	}
}

// fmtContext is what header value formatters read.
type fmtContext struct {
	q            *reqView
	remote       string // downstream peer ip:port
	protocol     string // HTTP/1.1 or HTTP/2
	upstreamHost string // "" before a host is picked
}

// fmtOp is a header value command operator.
type fmtOp uint8

const (
	fmtLiteral fmtOp = iota
	fmtRemote
	fmtRemoteNoPort
	fmtUpstreamHost
	fmtProtocol
	fmtReq
)

var fmtOps = map[string]fmtOp{
	"DOWNSTREAM_REMOTE_ADDRESS":              fmtRemote,
	"DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT": fmtRemoteNoPort,
	"UPSTREAM_HOST":                          fmtUpstreamHost,
	"PROTOCOL":                               fmtProtocol,
}

// valueFormat is a compiled header value: literal text and %OPERATOR%s.
// Unknown operators stay literal text (the translator rejects them).
type valueFormat struct {
	lit  string   // the value when it has no operator
	segs []fmtSeg // nil for a literal value
}

type fmtSeg struct {
	op  fmtOp
	lit string // fmtLiteral
	hdr headerMatcher
}

func compileValue(s string) valueFormat {
	if !strings.Contains(s, "%") {
		return valueFormat{lit: s}
	}
	var segs []fmtSeg
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, fmtSeg{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			i++
			continue
		}
		if strings.HasPrefix(s[i:], "%%") {
			lit.WriteByte('%')
			i += 2
			continue
		}
		end := strings.IndexByte(s[i+1:], '%')
		if end < 0 {
			lit.WriteString(s[i:])
			break
		}
		cmd := s[i+1 : i+1+end]
		seg, ok := compileOperator(cmd)
		if !ok {
			lit.WriteString(s[i : i+2+end])
		} else {
			flush()
			segs = append(segs, seg)
		}
		i += end + 2
	}
	flush()
	if len(segs) == 1 && segs[0].op == fmtLiteral {
		return valueFormat{lit: segs[0].lit}
	}
	return valueFormat{segs: segs}
}

func compileOperator(cmd string) (fmtSeg, bool) {
	if op, ok := fmtOps[cmd]; ok {
		return fmtSeg{op: op}, true
	}
	if name, ok := strings.CutPrefix(cmd, "REQ("); ok && strings.HasSuffix(name, ")") {
		name = strings.ToLower(name[:len(name)-1])
		hm, _ := newHeaderMatcher(config.HeaderMatch{Name: name, Kind: config.HeaderPresent, Present: true})
		return fmtSeg{op: fmtReq, hdr: hm}, true
	}
	return fmtSeg{}, false
}

func (v *valueFormat) format(fc *fmtContext) string {
	if v.segs == nil {
		return v.lit
	}
	if len(v.segs) == 1 {
		return v.segs[0].value(fc)
	}
	var b strings.Builder
	for i := range v.segs {
		b.WriteString(v.segs[i].value(fc))
	}
	return b.String()
}

func (s *fmtSeg) value(fc *fmtContext) string {
	switch s.op {
	case fmtLiteral:
		return s.lit
	case fmtRemote:
		return fc.remote
	case fmtRemoteNoPort:
		return hostOfAddr(fc.remote)
	case fmtUpstreamHost:
		return fc.upstreamHost
	case fmtProtocol:
		return fc.protocol
	case fmtReq:
		v, _ := s.hdr.value(fc.q)
		return v
	}
	return ""
}

// hostOfAddr strips the port of "ip:port" / "[ipv6]:port" and the
// brackets.
func hostOfAddr(addr string) string {
	h := stripPort(addr)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		return h[1 : len(h)-1]
	}
	return h
}

// hopHeaders are removed from requests and responses: they describe one
// connection, not the message.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "Http2-Settings",
}

// removeHopHeaders removes hop-by-hop headers, those the Connection
// header names among them. A te header is kept only as "trailers"
// (gRPC sends it), as Envoy does.
func removeHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if tok = textproto.TrimString(tok); tok != "" && !strings.EqualFold(tok, "te") {
				delete(h, canonicalKey(tok))
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
	if te, ok := h["Te"]; ok {
		keep := false
		for _, v := range te {
			for tok := range strings.SplitSeq(v, ",") {
				if t, _, _ := strings.Cut(textproto.TrimString(tok), ";"); strings.EqualFold(textproto.TrimString(t), "trailers") {
					keep = true
				}
			}
		}
		if keep {
			h["Te"] = []string{"trailers"}
		} else {
			delete(h, "Te")
		}
	}
}

// newRequestID returns a random UUID version 4.
func newRequestID() string {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexdigits = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexdigits[x>>4], hexdigits[x&0xf])
	}
	return string(out)
}
