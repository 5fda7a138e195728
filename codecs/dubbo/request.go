package dubbo

import "github.com/sidewire/sidewire/codecs"

// RequestHeader holds the leading hessian2 strings of a request body, as
// read without decoding the arguments. Every slice aliases the frame; a
// field is nil when it is null, chunked (a string over 32 K characters,
// skipped) or not reached because an earlier value was not a string.
// Characters outside the BMP appear as CESU-8 surrogate pairs, as on the
// wire.
type RequestHeader struct {
	// DubboVersion is the protocol version the client speaks ("2.0.2").
	DubboVersion []byte
	// Service is the service path, usually the interface name.
	Service []byte
	// Version is the service version ("1.0.0"); often null.
	Version []byte
	// Method is the method name.
	Method []byte
	// ParamTypes is the JVM parameter types descriptor
	// ("Ljava/lang/String;I").
	ParamTypes []byte
	// ArgsOffset is the offset in the body where the arguments start,
	// or -1 when the fields above could not all be read.
	ArgsOffset int
}

// ParseRequestHeader reads the leading string fields of a hessian2
// request body (the frame's bytes after the 16-byte header). It never
// allocates and never fails: fields it cannot read stay nil.
func ParseRequestHeader(body []byte) RequestHeader {
	var h RequestHeader
	h.ArgsOffset = -1
	fields := [...]*[]byte{&h.DubboVersion, &h.Service, &h.Version, &h.Method, &h.ParamTypes}
	off := 0
	for _, field := range fields {
		s, next, r := readString(body, off)
		if r == strBad {
			return h
		}
		*field, off = s, next
	}
	h.ArgsOffset = off
	return h
}

// requestAttrs fills a request's attributes from its body.
func requestAttrs(a *codecs.Attributes, h header, body []byte) {
	if h.serialization() != SerializationHessian2 || h.isEvent() {
		return
	}
	rh := ParseRequestHeader(body)
	a.Service, a.Method = rh.Service, rh.Method
	if len(rh.Version) > 0 {
		a.SetExtra(ExtraVersion, rh.Version)
	}
}

// responseAttrs fills a response's status from its header and, for a
// hessian2 OK response, the result kind.
func responseAttrs(a *codecs.Attributes, h header, body []byte) {
	a.Code = int32(h.status)
	a.Status = h.status.Neutral()
	if h.status != StatusOK || h.isEvent() || h.serialization() != SerializationHessian2 || len(body) == 0 {
		return
	}
	// Hessian2 ints -16..47 are one byte, 0x90 + value.
	switch int(body[0]) - 0x90 {
	case ResponseWithException, ResponseWithExceptionWithAttachments:
		a.Status = codecs.StatusError
	}
}
