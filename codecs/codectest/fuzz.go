package codectest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// Fuzz seeds f with the suite's samples, invalid inputs, sniff cases and
// sample pairs, then checks CheckArbitrary on every input.
func Fuzz(f *testing.F, s Suite) {
	if err := s.validate(); err != nil {
		f.Fatalf("invalid suite: %v", err)
	}
	all := append(append([]Sample(nil), s.Requests...), s.Responses...)
	for i, smp := range all {
		f.Add(smp.Wire)
		f.Add(append(bytes.Clone(smp.Wire), all[(i+1)%len(all)].Wire...))
	}
	for _, in := range s.Invalid {
		f.Add(in.Wire)
	}
	for _, sc := range s.Sniff {
		f.Add(sc.Bytes)
	}
	f.Fuzz(func(t *testing.T, b []byte) { CheckArbitrary(t, s, b) })
}

// CheckArbitrary checks the invariants that hold for any input b, on both
// sides of the codec.
func CheckArbitrary(t testing.TB, s Suite, b []byte) {
	l := s.Limits.WithDefaults()
	sc, cc := s.Codec.NewServerCodec(l), s.Codec.NewClientCodec(l)
	checkArbitrary(t, l, sc.Decode, b, func(f *codecs.Frame) []byte {
		if !f.Kind.IsRequest() {
			return nil
		}
		out, _ := cc.AppendRequest(nil, f, f.ID)
		return out
	})
	checkArbitrary(t, l, cc.Decode, b, func(f *codecs.Frame) []byte {
		if f.Kind != codecs.KindResponse {
			return nil
		}
		return sc.AppendResponse(nil, f, f.ID)
	})
	if _, p := sniffSafe(s.Codec, b); p != nil {
		t.Errorf("%v on %q", p, b)
	}
}

// checkArbitrary decodes b with dec; reencode returns the frame's bytes
// re-encoded with its own id, or nil when the kind is never re-encoded.
func checkArbitrary(t testing.TB, l codecs.Limits, dec decodeFunc, b []byte, reencode func(*codecs.Frame) []byte) {
	in := bytes.Clone(b)
	f, n, err, p := decodeSafe(dec, in)
	var pe *codecs.ProtocolError
	switch {
	case p != nil:
		t.Errorf("%v on %q", p, b)
	case err == codecs.ErrNeedMore:
		if n != 0 && (n <= len(b) || n > l.MaxFrameSize) {
			t.Errorf("ErrNeedMore with size hint %d for %d bytes (max frame %d) on %q", n, len(b), l.MaxFrameSize, b)
		}
	case err != nil:
		if !errors.As(err, &pe) || n != 0 {
			t.Errorf("error %v (%T) with n=%d, want a *codecs.ProtocolError and n=0, on %q", err, err, n, b)
		}
	default:
		checkDecoded(t, l, dec, in, &f, n, reencode)
	}
	if !bytes.Equal(in, b) {
		t.Errorf("Decode modified its input %q", b)
	}
}

func checkDecoded(t testing.TB, l codecs.Limits, dec decodeFunc, in []byte, f *codecs.Frame, n int, reencode func(*codecs.Frame) []byte) {
	if n <= 0 || n > len(in) || n > l.MaxFrameSize {
		t.Errorf("decoded a frame consuming %d of %d bytes (max frame %d) from %q", n, len(in), l.MaxFrameSize, in)
		return
	}
	if len(f.Raw) != n || !sameMemory(f.Raw, in) {
		t.Errorf("Frame.Raw is not the input's first %d bytes for %q", n, in)
	}
	if f.Kind < codecs.KindRequest || f.Kind > codecs.KindEventReply {
		t.Errorf("decoded invalid kind %d from %q", f.Kind, in)
	}
	alone := bytes.Clone(in[:n])
	g, n2, err, p := decodeSafe(dec, alone)
	if p != nil || err != nil || n2 != n || g.Kind != f.Kind || g.ID != f.ID || !g.Attrs.Equal(&f.Attrs) {
		t.Errorf("frame %q decodes differently on its own: %s err=%v panic=%v, first %s", in[:n], describe(&g), err, p, describe(f))
	}
	if out := reencode(f); out != nil && !bytes.Equal(out, in[:n]) {
		t.Errorf("frame %q re-encodes as %q", in[:n], out)
	}
}
