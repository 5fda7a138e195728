package dubbo

import (
	"bytes"
	"errors"
	"slices"
	"strings"
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

// FuzzScanAttachments runs the attachment scanner on arbitrary bodies:
// it must never panic, and wherever dubbo-go-hessian2 decodes the body
// the scanner must read it too (or call it unsupported) and agree on
// every attachment.
func FuzzScanAttachments(f *testing.F) {
	for _, inv := range argumentSamples() {
		if body := inv.body(f); len(body) < 2048 { // big seeds slow the fuzzer down
			f.Add(body)
		}
	}
	f.Add(append(encodeValues(f, "2.0.2", greetings, "1.0.0", "m", "[I[B"),
		'U', 0x01, 'x', 0x91, 'Z', 'A', 0, 1, 9, 0x21, 9, 'H', 0x01, 'k', 0xd4, 0x01, 0x00, 'Z'))
	f.Add(append(encodeValues(f, "2.0.2", greetings, "1.0.0", "m", "Lx;"),
		'C', 0x01, 'P', 0x91, 0x01, 'a', 0x60, 'Q', 0x90, 'M', 0x01, 'm', 0x01, 'k', 0x01, 'v', 'Z'))
	out := make([]Attachment, 32)
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = ScanAttachments(body, scanKeys, out) // arbitrary bytes as a frame
		raw := frame(twoWay, 0, 1, body)
		err := ScanAttachments(raw, scanKeys, out)
		rb, derr := DecodeRequestBody(raw)
		if derr != nil {
			return
		}
		if err != nil {
			if !errors.Is(err, ErrUnsupportedBody) {
				t.Fatalf("hessian2 decodes the body, the scanner fails: %v", err)
			}
			return
		}
		keys := slices.Clone(scanKeys)
		for k := range rb.Attachments {
			if len(keys) < len(out) && !strings.ContainsFunc(k, func(r rune) bool { return r > 0xffff }) {
				keys = append(keys, k)
			}
		}
		if err := ScanAttachments(raw, keys, out); err != nil {
			t.Fatalf("second scan: %v", err)
		}
		checkAgainstDecoded(t, "fuzz", keys, out, rb.Attachments)
	})
}
