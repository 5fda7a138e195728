package dubbo

import (
	"bytes"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/codectest"
)

// FuzzDecodeRequest checks the conformance invariants on arbitrary
// bytes and that the zero-allocation reader agrees with the full
// hessian2 decode whenever both read a request.
func FuzzDecodeRequest(f *testing.F) {
	s := suite(f)
	for _, smp := range s.Requests {
		f.Add(smp.Wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		codectest.CheckArbitrary(t, s, b)
		fr, _, err := NewServerCodec(Limits{}, codecs.Limits{}).Decode(b)
		if err != nil || fr.Kind == codecs.KindEvent || !fr.Kind.IsRequest() {
			return
		}
		rb, err := DecodeRequestBody(fr.Raw)
		if err != nil {
			return
		}
		h := ParseRequestHeader(fr.Raw[HeaderLen:])
		for _, c := range []struct {
			name string
			fast []byte
			slow string
		}{{"service", h.Service, rb.Service}, {"method", h.Method, rb.Method}, {"version", h.Version, rb.Version}} {
			// CESU-8 surrogates differ from the decoder's UTF-8.
			if c.fast != nil && !bytes.Contains(c.fast, []byte{0xed}) && string(c.fast) != c.slow {
				t.Errorf("%s: fast path %q, hessian2 %q", c.name, c.fast, c.slow)
			}
		}
	})
}

// FuzzDecodeResponse checks the conformance invariants on arbitrary
// bytes and the response attributes of every decoded response.
func FuzzDecodeResponse(f *testing.F) {
	s := suite(f)
	for _, smp := range s.Responses {
		f.Add(smp.Wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		codectest.CheckArbitrary(t, s, b)
		fr, _, err := NewClientCodec(Limits{}, codecs.Limits{}).Decode(b)
		if err != nil || fr.Kind.IsRequest() || fr.Kind == codecs.KindEvent {
			return
		}
		if fr.Attrs.Code != int32(fr.Raw[offStatus]) || fr.Attrs.Status == codecs.StatusUnset {
			t.Errorf("response %q: attributes %s", b, fr.Attrs.String())
		}
	})
}
