package codectest

import (
	"bytes"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// checkRoundTrip re-encodes decoded requests and responses and checks
// the expected response counts.
func checkRoundTrip(t testing.TB, s *Suite) {
	l := s.Limits.WithDefaults()
	sc, cc := s.Codec.NewServerCodec(l), s.Codec.NewClientCodec(l)
	for _, smp := range s.Requests {
		f, _, err, p := decodeSafe(sc.Decode, smp.Wire)
		if p != nil || err != nil || !f.Kind.IsRequest() {
			continue // reported by checkDecode; events are never forwarded
		}
		enc := func(dst []byte, f *codecs.Frame, id uint64) []byte {
			out, err := cc.AppendRequest(dst, f, id)
			if err != nil {
				t.Errorf("%s: AppendRequest: %v", smp.Name, err)
			}
			return out
		}
		roundTrip(t, s, smp, &f, enc, sc.Decode)
		checkResponses(t, s, smp, &f, cc.Responses(&f))
	}
	for _, smp := range s.Responses {
		f, _, err, p := decodeSafe(cc.Decode, smp.Wire)
		if p != nil || err != nil || f.Kind != codecs.KindResponse {
			continue
		}
		roundTrip(t, s, smp, &f, sc.AppendResponse, cc.Decode)
	}
}

type encodeFunc func(dst []byte, f *codecs.Frame, id uint64) []byte

// roundTrip checks that f re-encodes to its exact bytes, appending to a
// non-empty dst, and for multiplexed codecs that a rewritten id decodes
// (by the peer side, dec) and rewrites back.
func roundTrip(t testing.TB, s *Suite, smp Sample, f *codecs.Frame, enc encodeFunc, dec decodeFunc) {
	prefix := []byte("prefix")
	out := enc(bytes.Clone(prefix), f, f.ID)
	if !bytes.HasPrefix(out, prefix) || !bytes.Equal(out[len(prefix):], smp.Wire) {
		t.Errorf("%s: re-encoding with the same id gave %q, want %q after the existing dst bytes",
			smp.Name, out, append(prefix, smp.Wire...))
		return
	}
	if s.Codec.Mode() != codecs.Multiplex {
		return
	}
	id := s.rewriteID()
	out = enc(nil, f, id)
	g, n, err, p := decodeSafe(dec, out)
	if p != nil || err != nil || n != len(out) {
		t.Errorf("%s: decoding after id rewrite: n=%d err=%v panic=%v", smp.Name, n, err, p)
		return
	}
	if g.ID != id || g.Kind != f.Kind || !g.Attrs.Equal(&f.Attrs) {
		t.Errorf("%s: after rewriting the id to %#x decoded %s, want the same frame with that id", smp.Name, id, describe(&g))
	}
	if back := enc(nil, &g, f.ID); !bytes.Equal(back, smp.Wire) {
		t.Errorf("%s: rewriting the id back gave %q, want %q", smp.Name, back, smp.Wire)
	}
}

// checkResponses checks ClientCodec.Responses against the frame kind.
func checkResponses(t testing.TB, s *Suite, smp Sample, f *codecs.Frame, n int) {
	switch {
	case f.Kind == codecs.KindOneWay && n != 0:
		t.Errorf("%s: Responses = %d for a one-way request, want 0", smp.Name, n)
	case f.Kind == codecs.KindRequest && n < 1:
		t.Errorf("%s: Responses = %d for a request, want >= 1 (make it KindOneWay)", smp.Name, n)
	case s.Codec.Mode() == codecs.Multiplex && n > 1:
		t.Errorf("%s: Responses = %d for a multiplexed request, want 0 or 1", smp.Name, n)
	}
}
