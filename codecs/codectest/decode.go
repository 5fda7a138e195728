package codectest

import (
	"bytes"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

func (s *Suite) sides() []struct {
	side    Side
	name    string
	samples []Sample
} {
	return []struct {
		side    Side
		name    string
		samples []Sample
	}{{Server, "requests", s.Requests}, {Client, "responses", s.Responses}}
}

// checkDecode decodes each sample alone and followed by more bytes.
func checkDecode(t testing.TB, s *Suite) {
	for _, set := range s.sides() {
		dec := s.decoder(set.side)
		for i, smp := range set.samples {
			checkSample(t, dec, smp)
			next := set.samples[(i+1)%len(set.samples)].Wire
			in := append(bytes.Clone(smp.Wire), next...)
			if _, n, err, p := decodeSafe(dec, in); p != nil || err != nil || n != len(smp.Wire) {
				t.Errorf("%s followed by more bytes: n=%d err=%v panic=%v; want n=%d, nil",
					smp.Name, n, err, p, len(smp.Wire))
			}
		}
	}
}

// checkSample decodes one sample and compares everything.
func checkSample(t testing.TB, dec decodeFunc, smp Sample) {
	in := bytes.Clone(smp.Wire)
	f, n, err, p := decodeSafe(dec, in)
	switch {
	case p != nil:
		t.Errorf("%s: %v", smp.Name, p)
		return
	case err != nil:
		t.Errorf("%s: Decode error %v, want a frame", smp.Name, err)
		return
	case n != len(in):
		t.Errorf("%s: Decode consumed %d bytes, want %d", smp.Name, n, len(in))
	case len(f.Raw) != n || !sameMemory(f.Raw, in):
		t.Errorf("%s: Frame.Raw is not the input's first n bytes (copied or resized)", smp.Name)
	}
	if f.Kind != smp.Kind || f.ID != smp.ID || !f.Attrs.Equal(&smp.Attrs) {
		want := codecs.Frame{Raw: smp.Wire, Kind: smp.Kind, ID: smp.ID, Attrs: smp.Attrs}
		t.Errorf("%s: decoded %s\nwant %s", smp.Name, describe(&f), describe(&want))
	}
	if !bytes.Equal(in, smp.Wire) {
		t.Errorf("%s: Decode modified its input", smp.Name)
	}
}
