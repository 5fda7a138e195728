package dubboproxy

import (
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
)

// Attachment keys every request is scanned for, at these indexes of
// routeTable.keys; route header names follow.
const (
	keyTimeout = iota
	keyGroup
	keyVersion
	fixedKeys
)

// request is what routing reads from one request: the attributes Decode
// filled (service, method, version; no allocation), on first need the
// attachments routing looks at, read by dubbo.ScanAttachments without
// decoding the arguments (no allocation either), and only for argument
// matching or a body the scanner does not follow, the whole body decoded
// with dubbo-go-hessian2. Its slices alias the request frame: it lives
// until the request is answered.
type request struct {
	frame   *codecs.Frame
	service []byte
	method  []byte
	version []byte

	keys    []string           // attachment keys to scan for
	atts    []dubbo.Attachment // their values, once scanned
	scanned bool
	scanOK  bool

	decoded bool
	body    *dubbo.RequestBody
	bodyErr error
}

// reset prepares r for frame f, scanning for keys later; atts is reused
// storage.
func (r *request) reset(f *codecs.Frame, keys []string) {
	atts := r.atts
	if cap(atts) < len(keys) {
		atts = make([]dubbo.Attachment, len(keys))
	}
	*r = request{frame: f, service: f.Attrs.Service, method: f.Attrs.Method, keys: keys, atts: atts[:len(keys)]}
	r.version, _ = f.Attrs.Extra(dubbo.ExtraVersion)
}

// decode decodes the body once; later calls return the same result.
func (r *request) decode() (*dubbo.RequestBody, error) {
	if !r.decoded {
		r.decoded = true
		r.body, r.bodyErr = dubbo.DecodeRequestBody(r.frame.Raw)
	}
	return r.body, r.bodyErr
}

// attachment returns the attachment keys[i]: its string value (found),
// or, for a number, its value as n (isInt). With exact it must match the
// key's case; otherwise a key equal ignoring ASCII case is taken when no
// exact one exists. A body the scanner does not follow, or a string too
// long for one hessian2 chunk, is decoded instead.
func (r *request) attachment(i int, exact bool) (v []byte, n int64, isInt, found bool) {
	if !r.scanned {
		r.scanned = true
		r.scanOK = dubbo.ScanAttachments(r.frame.Raw, r.keys, r.atts) == nil
	}
	if !r.scanOK {
		return r.decodedAttachment(r.keys[i], exact)
	}
	a := &r.atts[i]
	if exact && !a.Exact {
		return nil, 0, false, false
	}
	switch a.Kind {
	case dubbo.AttachmentString:
		return a.Value, 0, false, true
	case dubbo.AttachmentInt:
		return nil, a.Int, true, false
	case dubbo.AttachmentChunked:
		return r.decodedAttachment(r.keys[i], exact)
	}
	return nil, 0, false, false
}

// decodedAttachment is attachment from the decoded body; it allocates.
func (r *request) decodedAttachment(key string, exact bool) (v []byte, n int64, isInt, found bool) {
	b, err := r.decode()
	if err != nil {
		return nil, 0, false, false
	}
	if s, ok := b.Attachments[key].(string); ok {
		return []byte(s), 0, false, true
	}
	if n, ok := intValue(b.Attachments[key]); ok {
		return nil, n, true, false
	}
	if !exact {
		if s, ok := foldedAttachment(b.Attachments, key); ok {
			return []byte(s), 0, false, true
		}
	}
	return nil, 0, false, false
}

func intValue(v any) (int64, bool) {
	switch v := v.(type) {
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	}
	return 0, false
}

// group returns the "group" attachment (nil without one).
func (r *request) group() []byte {
	v, _, _, _ := r.attachment(keyGroup, true)
	return v
}

// serviceVersion returns the service version: the body's version field,
// else the "version" attachment.
func (r *request) serviceVersion() []byte {
	if len(r.version) > 0 {
		return r.version
	}
	v, _, _, _ := r.attachment(keyVersion, true)
	return v
}

// timeout returns the request's timeout: the "timeout" attachment in
// milliseconds (a string or an integer), capped at max; def when it is
// missing, not a positive number or the body is unreadable.
func (r *request) timeout(def, max time.Duration) time.Duration {
	d := def
	v, n, isInt, found := r.attachment(keyTimeout, true)
	if found {
		n, isInt = parseInt(v)
	}
	if isInt && n > 0 && n <= int64(time.Duration(1<<62)/time.Millisecond) {
		d = time.Duration(n) * time.Millisecond
	}
	return min(d, max)
}

// parseInt parses a base-10 int64 with an optional sign, as
// strconv.ParseInt(s, 10, 64) does, without allocating.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' || n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > 1<<63 {
			return 0, false
		}
	}
	if neg {
		return -int64(n), true // -(1<<63) wraps to itself, the minimum
	}
	if n == 1<<63 {
		return 0, false
	}
	return int64(n), true
}
