package dubbo

import (
	"errors"
	"fmt"

	hessian "github.com/apache/dubbo-go-hessian2"
)

// Attachment keys Dubbo consumers send.
const (
	AttachmentGroup     = "group"
	AttachmentVersion   = "version"
	AttachmentTimeout   = "timeout"
	AttachmentInterface = "interface"
	AttachmentPath      = "path"
)

// ErrNotHessian2 is returned by DecodeRequestBody for a body in another
// serialization.
var ErrNotHessian2 = errors.New("body is not hessian2")

// RequestBody is a fully decoded hessian2 request body. It owns its
// values (nothing aliases the frame).
type RequestBody struct {
	DubboVersion string
	Service      string
	Version      string
	Method       string
	// ParamTypes is the JVM parameter types descriptor.
	ParamTypes string
	// Args are the arguments as dubbo-go-hessian2 decodes them
	// (objects of unregistered Java classes come back as maps).
	Args []any
	// Attachments are the invocation attachments; keys that are not
	// strings are dropped.
	Attachments map[string]any
}

// Attachment returns the attachment key as a string ("" when missing
// or not a string).
func (r *RequestBody) Attachment(key string) string {
	s, _ := r.Attachments[key].(string)
	return s
}

// Group returns the "group" attachment.
func (r *RequestBody) Group() string { return r.Attachment(AttachmentGroup) }

// DecodeRequestBody decodes the request frame raw (Frame.Raw: header and
// body) with dubbo-go-hessian2: the leading strings, one argument per
// type in the descriptor, and the attachments. It allocates, about
// proportionally to the arguments: use it only where a route needs
// arguments; Decode has the hot-path fields already and
// ScanAttachments the attachments. The body is first walked as
// ScanAttachments walks it: a body that walk refuses (ErrMalformedBody,
// or nesting deeper than MaxNesting) is refused without decoding.
func DecodeRequestBody(raw []byte) (*RequestBody, error) {
	if len(raw) < HeaderLen {
		return nil, fmt.Errorf("decode request body: frame of %d bytes is shorter than a header", len(raw))
	}
	h, _, ok := readHeader(raw)
	switch {
	case !ok:
		return nil, fmt.Errorf("decode request body: not a dubbo header")
	case !h.isRequest() || h.isEvent():
		return nil, fmt.Errorf("decode request body: frame is not a request")
	case h.serialization() != SerializationHessian2:
		return nil, fmt.Errorf("decode request body: serialization %d: %w", h.serialization(), ErrNotHessian2)
	case len(raw) != HeaderLen+h.length:
		return nil, fmt.Errorf("decode request body: frame of %d bytes, header says %d", len(raw), HeaderLen+h.length)
	}
	// dubbo-go-hessian2 trusts lengths and recurses without bound: a
	// 20-byte list announcing 2^31 elements makes it allocate 32 GiB, and
	// deep nesting exhausts the stack; both are fatal, not panics. Walk
	// the body first (no allocation) and refuse what it cannot walk.
	w := walker{b: raw[HeaderLen:]}
	off, err := w.arguments()
	if err == nil {
		_, err = w.skip(off)
	}
	if err != nil {
		return nil, fmt.Errorf("decode request body: %w", err)
	}
	return decodeBody(raw[HeaderLen:])
}

// decodeBody decodes a hessian2 request body. dubbo-go-hessian2 is not
// hardened against hostile input, so a panic in it becomes an error.
func decodeBody(body []byte) (r *RequestBody, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("decode request body: malformed hessian2: %v", p)
		}
	}()
	dec := hessian.NewDecoder(body)
	r = &RequestBody{}
	for _, field := range []struct {
		name string
		dst  *string
	}{
		{"dubbo version", &r.DubboVersion}, {"service", &r.Service}, {"version", &r.Version},
		{"method", &r.Method}, {"parameter types", &r.ParamTypes},
	} {
		v, err := dec.Decode()
		if err != nil {
			return nil, fmt.Errorf("decode request body: read %s: %w", field.name, err)
		}
		switch v := v.(type) {
		case string:
			*field.dst = v
		case nil:
		default:
			return nil, fmt.Errorf("decode request body: read %s: got %T, want a string", field.name, v)
		}
	}
	n, err := CountParamTypes(r.ParamTypes)
	if err != nil {
		return nil, fmt.Errorf("decode request body: %w", err)
	}
	r.Args = make([]any, n)
	for i := range r.Args {
		if r.Args[i], err = dec.Decode(); err != nil {
			return nil, fmt.Errorf("decode request body: read argument %d: %w", i, err)
		}
	}
	att, err := dec.Decode()
	if err != nil {
		return nil, fmt.Errorf("decode request body: read attachments: %w", err)
	}
	r.Attachments, err = stringMap(att)
	if err != nil {
		return nil, fmt.Errorf("decode request body: read attachments: %w", err)
	}
	return r, nil
}

// stringMap converts a decoded hessian2 map to string keys.
func stringMap(v any) (map[string]any, error) {
	switch m := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return m, nil
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			if s, ok := k.(string); ok {
				out[s] = v
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("got %T, want a map", v)
}

// CountParamTypes returns how many parameters a JVM descriptor names
// ("Ljava/lang/String;[IJ" is 3).
func CountParamTypes(desc string) (int, error) {
	n := 0
	for i := 0; i < len(desc); {
		for i < len(desc) && desc[i] == '[' {
			i++
		}
		if i == len(desc) {
			return 0, fmt.Errorf("parse parameter types %q: array without element type", desc)
		}
		switch desc[i] {
		case 'Z', 'B', 'C', 'D', 'F', 'I', 'J', 'S':
			i++
		case 'L':
			end := i + 1
			for end < len(desc) && desc[end] != ';' {
				end++
			}
			if end == len(desc) || end == i+1 {
				return 0, fmt.Errorf("parse parameter types %q: unterminated class name at %d", desc, i)
			}
			i = end + 1
		default:
			return 0, fmt.Errorf("parse parameter types %q: bad type %q at %d", desc, desc[i], i)
		}
		n++
	}
	return n, nil
}
