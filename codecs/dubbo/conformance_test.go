package dubbo

import (
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/codectest"
)

const (
	unicodeService = "org.例子.问候Service😀"
)

func longName() string { return "org.example." + strings.Repeat("x", 5000) }

func suite(t testing.TB) codectest.Suite {
	hi := sayHi()
	nullVersion := sayHi()
	nullVersion.version = nil
	uni := sayHi()
	uni.service = unicodeService
	chunked := sayHi()
	chunked.service = longName() // dubbo-go-hessian2 chunks strings at 4096 characters
	noArgs := sayHi()
	noArgs.method, noArgs.types, noArgs.args = "ping", "", nil
	status := func(s ResponseStatus, msg string) []byte { return AppendErrorResponse(nil, 40+uint64(s), s, msg) }

	requests := []codectest.Sample{
		{Name: "sayHi", Wire: hi.frame(t, twoWay, 1), Kind: codecs.KindRequest, ID: 1,
			Attrs: reqAttrs(greetings, "sayHi", "1.0.0")},
		{Name: "oneway", Wire: hi.frame(t, oneWay, 2), Kind: codecs.KindOneWay, ID: 2,
			Attrs: reqAttrs(greetings, "sayHi", "1.0.0")},
		{Name: "null version", Wire: nullVersion.frame(t, twoWay, 3), Kind: codecs.KindRequest, ID: 3,
			Attrs: reqAttrs(greetings, "sayHi", "")},
		{Name: "unicode interface", Wire: uni.frame(t, twoWay, 1<<40), Kind: codecs.KindRequest, ID: 1 << 40,
			Attrs: reqAttrs(string(cesu8(unicodeService)), "sayHi", "1.0.0")},
		{Name: "chunked interface", Wire: chunked.frame(t, twoWay, 5), Kind: codecs.KindRequest, ID: 5,
			Attrs: reqAttrs("", "sayHi", "1.0.0")},
		{Name: "no args", Wire: noArgs.frame(t, twoWay, 6), Kind: codecs.KindRequest, ID: 6,
			Attrs: reqAttrs(greetings, "ping", "1.0.0")},
		{Name: "heartbeat", Wire: AppendHeartbeat(nil, 7), Kind: codecs.KindEvent, ID: 7,
			Attrs: codecs.Attributes{Protocol: Name}},
		{Name: "other serialization", Wire: frame(FlagRequest|FlagTwoWay|6, 0, 8, []byte(`"2.0.2"`+"\n")),
			Kind: codecs.KindRequest, ID: 8, Attrs: codecs.Attributes{Protocol: Name}},
		{Name: "empty body", Wire: frame(twoWay, 0, 9, nil), Kind: codecs.KindRequest, ID: 9,
			Attrs: codecs.Attributes{Protocol: Name}},
	}
	ok := respAttrs(codecs.StatusOK, StatusOK)
	failed := respAttrs(codecs.StatusError, StatusOK)
	responses := []codectest.Sample{
		{Name: "value", Wire: response(t, 1, ResponseValue, "hi world"), Kind: codecs.KindResponse, ID: 1, Attrs: ok},
		{Name: "null value", Wire: response(t, 2, ResponseNullValue), Kind: codecs.KindResponse, ID: 2, Attrs: ok},
		{Name: "value with attachments", Wire: response(t, 3, ResponseValueWithAttachments, "hi",
			map[string]any{"dubbo": "2.0.2"}), Kind: codecs.KindResponse, ID: 3, Attrs: ok},
		{Name: "null value with attachments", Wire: response(t, 4, ResponseNullValueWithAttachments,
			map[string]any{"dubbo": "2.0.2"}), Kind: codecs.KindResponse, ID: 4, Attrs: ok},
		{Name: "exception", Wire: response(t, 5, ResponseWithException, exception("boom")),
			Kind: codecs.KindResponse, ID: 5, Attrs: failed},
		{Name: "exception with attachments", Wire: response(t, 6, ResponseWithExceptionWithAttachments,
			exception("boom"), map[string]any{"dubbo": "2.0.2"}), Kind: codecs.KindResponse, ID: 6, Attrs: failed},
		{Name: "local exception", Wire: AppendErrorResponse(nil, 7, StatusOK, "denied"),
			Kind: codecs.KindResponse, ID: 7, Attrs: failed},
		{Name: "heartbeat reply", Wire: AppendHeartbeatResponse(nil, 8), Kind: codecs.KindEventReply, ID: 8, Attrs: ok},
		{Name: "provider heartbeat", Wire: AppendHeartbeat(nil, 9), Kind: codecs.KindEvent, ID: 9,
			Attrs: codecs.Attributes{Protocol: Name}},
	}
	for _, st := range statusCases {
		if st.status == StatusOK {
			continue
		}
		responses = append(responses, codectest.Sample{
			Name: "status " + st.name, Wire: status(st.status, "failed: "+st.name),
			Kind: codecs.KindResponse, ID: 40 + uint64(st.status), Attrs: respAttrs(st.neutral, st.status),
		})
	}
	return codectest.Suite{
		Codec:     New(Limits{}),
		Requests:  requests,
		Responses: responses,
		Sniff: []codectest.SniffCase{
			{Name: "magic", Bytes: []byte{0xda, 0xbb}, Want: codecs.Match},
			{Name: "header", Bytes: AppendHeartbeat(nil, 1), Want: codecs.Match},
			{Name: "half magic", Bytes: []byte{0xda}, Want: codecs.NeedMore},
			{Name: "empty", Bytes: nil, Want: codecs.NeedMore},
			{Name: "wrong second byte", Bytes: []byte{0xda, 0xbc}, Want: codecs.NoMatch},
			{Name: "http", Bytes: []byte("GET / HTTP/1.1\r\n"), Want: codecs.NoMatch},
			{Name: "redis", Bytes: []byte("*1\r\n$4\r\nPING\r\n"), Want: codecs.NoMatch},
		},
		Invalid: []codectest.Invalid{
			{Name: "bad magic", Wire: []byte("GET / HTTP/1.1\r\n\r\n"), Side: codectest.Server},
			{Name: "bad second magic byte", Wire: append([]byte{0xda, 0xbc}, make([]byte, 14)...), Side: codectest.Client},
			{Name: "negative length", Wire: []byte{0xda, 0xbb, twoWay, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0, 0, 0}, Side: codectest.Server},
			{Name: "response negative length", Wire: []byte{0xda, 0xbb, 2, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}, Side: codectest.Client},
		},
	}
}

// statusCases is every Dubbo status and its neutral meaning.
var statusCases = []struct {
	name    string
	status  ResponseStatus
	neutral codecs.Status
}{
	{"ok", StatusOK, codecs.StatusOK},
	{"client_timeout", StatusClientTimeout, codecs.StatusTimeout},
	{"server_timeout", StatusServerTimeout, codecs.StatusTimeout},
	{"bad_request", StatusBadRequest, codecs.StatusBadRequest},
	{"bad_response", StatusBadResponse, codecs.StatusInternal},
	{"service_not_found", StatusServiceNotFound, codecs.StatusNotFound},
	{"service_error", StatusServiceError, codecs.StatusError},
	{"server_error", StatusServerError, codecs.StatusInternal},
	{"client_error", StatusClientError, codecs.StatusInternal},
	{"threadpool_exhausted", StatusServerThreadpoolExhaustedError, codecs.StatusRateLimited},
	{"unknown", ResponseStatus(77), codecs.StatusError},
}

// cesu8 encodes s as Java's hessian2 does: supplementary characters as
// two 3-byte surrogates.
func cesu8(s string) []byte {
	enc := appendString(nil, s)
	v, _, r := readString(enc, 0)
	if r != strPlain {
		panic("cesu8: " + s)
	}
	return v
}

func TestConformance(t *testing.T) { codectest.Run(t, suite(t)) }

func BenchmarkCodec(b *testing.B) { codectest.Benchmark(b, suite(b)) }
