package dubbo

import (
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/apache/dubbo-go-hessian2/java_exception"
	"github.com/sidewire/sidewire/codecs"
)

const (
	greetings = "org.apache.dubbo.samples.GreetingsService"
	twoWay    = FlagRequest | FlagTwoWay | SerializationHessian2
	oneWay    = FlagRequest | SerializationHessian2
)

// encodeValues hessian2-encodes vs one after another, as a Dubbo
// ObjectOutput does.
func encodeValues(t testing.TB, vs ...any) []byte {
	t.Helper()
	enc := hessian.NewEncoder()
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			t.Fatalf("hessian2 encode %T: %v", v, err)
		}
	}
	return enc.Buffer()
}

// frame wraps body in a header.
func frame(flag byte, status ResponseStatus, id uint64, body []byte) []byte {
	return append(appendHeader(nil, flag, status, id, len(body)), body...)
}

// invocation is a request body as DubboCodec.encodeRequestData writes it.
type invocation struct {
	service, version, method, types any
	args                            []any
	att                             map[string]any
}

func sayHi() invocation {
	return invocation{
		service: greetings, version: "1.0.0", method: "sayHi", types: "Ljava/lang/String;",
		args: []any{"world"},
		att: map[string]any{
			"path": greetings, "interface": greetings, "version": "1.0.0",
			"group": "g1", "timeout": "3000", "trace-id": "abc",
		},
	}
}

func (inv invocation) body(t testing.TB) []byte {
	vs := append([]any{"2.0.2", inv.service, inv.version, inv.method, inv.types}, inv.args...)
	return encodeValues(t, append(vs, inv.att)...)
}

func (inv invocation) frame(t testing.TB, flag byte, id uint64) []byte {
	return frame(flag, 0, id, inv.body(t))
}

func reqAttrs(service, method, version string) codecs.Attributes {
	a := codecs.Attributes{Protocol: Name}
	if service != "" {
		a.Service = []byte(service)
	}
	if method != "" {
		a.Method = []byte(method)
	}
	if version != "" {
		a.SetExtra(ExtraVersion, []byte(version))
	}
	return a
}

func respAttrs(st codecs.Status, code ResponseStatus) codecs.Attributes {
	return codecs.Attributes{Protocol: Name, Status: st, Code: int32(code)}
}

// response encodes an OK response whose body starts with result kind.
func response(t testing.TB, id uint64, kind int32, vs ...any) []byte {
	return frame(SerializationHessian2, StatusOK, id, encodeValues(t, append([]any{kind}, vs...)...))
}

func exception(msg string) any { return java_exception.NewRuntimeException(msg) }

func decodeHessianString(b []byte) (string, error) {
	v, err := hessian.NewDecoder(b).Decode()
	if err != nil {
		return "", err
	}
	s, _ := v.(string)
	return s, nil
}
