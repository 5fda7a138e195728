package dubboproxy

import (
	"strconv"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
)

// request is what routing reads from one request: the attributes Decode
// filled (service, method, version; no allocation) and, on first need,
// the whole body decoded with dubbo-go-hessian2 (arguments and
// attachments). It lives for one Serve call.
type request struct {
	frame   *codecs.Frame
	service []byte
	method  []byte
	version []byte

	decoded bool
	body    *dubbo.RequestBody
	bodyErr error
}

func newRequest(f *codecs.Frame) request {
	r := request{frame: f, service: f.Attrs.Service, method: f.Attrs.Method}
	r.version, _ = f.Attrs.Extra(dubbo.ExtraVersion)
	return r
}

// decode decodes the body once; later calls return the same result.
func (r *request) decode() (*dubbo.RequestBody, error) {
	if !r.decoded {
		r.decoded = true
		r.body, r.bodyErr = dubbo.DecodeRequestBody(r.frame.Raw)
	}
	return r.body, r.bodyErr
}

// group returns the "group" attachment ("" without one or when the body
// does not decode).
func (r *request) group() string {
	b, err := r.decode()
	if err != nil {
		return ""
	}
	return b.Group()
}

// serviceVersion returns the service version: the body's version field,
// else the "version" attachment.
func (r *request) serviceVersion() []byte {
	if len(r.version) > 0 {
		return r.version
	}
	b, err := r.decode()
	if err != nil {
		return nil
	}
	if v := b.Attachment(dubbo.AttachmentVersion); v != "" {
		return []byte(v)
	}
	return nil
}

// timeout returns the request's timeout: the "timeout" attachment in
// milliseconds (a string or an integer), capped at max; def when it is
// missing, not a positive number or the body does not decode.
func (r *request) timeout(def, max time.Duration) time.Duration {
	d := def
	if b, err := r.decode(); err == nil {
		if ms, ok := timeoutMillis(b.Attachments[dubbo.AttachmentTimeout]); ok {
			d = time.Duration(ms) * time.Millisecond
		}
	}
	return min(d, max)
}

// timeoutMillis reads a timeout attachment: Java sends a string, some
// clients an integer.
func timeoutMillis(v any) (int64, bool) {
	var ms int64
	switch v := v.(type) {
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		ms = n
	case int32:
		ms = int64(v)
	case int64:
		ms = v
	case int:
		ms = int64(v)
	default:
		return 0, false
	}
	if ms <= 0 || ms > int64(time.Duration(1<<62)/time.Millisecond) {
		return 0, false
	}
	return ms, true
}
