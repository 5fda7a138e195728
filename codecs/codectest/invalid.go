package codectest

import (
	"errors"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// checkInvalid requires a ProtocolError naming the codec for each
// invalid input, and no panic on any of its prefixes.
func checkInvalid(t testing.TB, s *Suite) {
	for _, in := range s.Invalid {
		dec := s.decoder(in.Side)
		f, n, err, p := decodeSafe(dec, in.Wire)
		var pe *codecs.ProtocolError
		switch {
		case p != nil:
			t.Errorf("invalid %s: %v", in.Name, p)
		case err == nil:
			t.Errorf("invalid %s: decoded a frame (%s), want a ProtocolError", in.Name, describe(&f))
		case !errors.As(err, &pe):
			t.Errorf("invalid %s: error %v (%T), want a *codecs.ProtocolError", in.Name, err, err)
		case pe.Protocol != s.Codec.Name():
			t.Errorf("invalid %s: ProtocolError.Protocol = %q, want %q", in.Name, pe.Protocol, s.Codec.Name())
		case n != 0:
			t.Errorf("invalid %s: n = %d with an error, want 0", in.Name, n)
		}
		for i := range in.Wire {
			if _, _, _, p := decodeSafe(dec, in.Wire[:i:i]); p != nil {
				t.Errorf("invalid %s[:%d]: %v", in.Name, i, p)
			}
		}
	}
}
