package codectest

import (
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// checkAllocs holds Decode to the suite's budget and the Append
// encoders to zero allocations when dst has room.
func checkAllocs(t testing.TB, s *Suite) {
	if raceEnabled {
		// The race detector's instrumentation changes allocation
		// counts; the non-race run of the same test enforces them.
		t.Logf("allocation budgets are enforced in non-race builds only")
		return
	}
	l := s.Limits.WithDefaults()
	sc, cc := s.Codec.NewServerCodec(l), s.Codec.NewClientCodec(l)
	for _, set := range s.sides() {
		dec := s.decoder(set.side)
		for _, smp := range set.samples {
			if a := testing.AllocsPerRun(50, func() { _, _, _ = dec(smp.Wire) }); a > s.DecodeAllocs {
				t.Errorf("%s: Decode allocates %.1f times, budget %.1f", smp.Name, a, s.DecodeAllocs)
			}
			f, _, err := dec(smp.Wire)
			if err != nil {
				continue
			}
			dst := make([]byte, 0, 2*len(smp.Wire)+64)
			var enc func()
			switch {
			case f.Kind.IsRequest():
				enc = func() { _, _ = cc.AppendRequest(dst, &f, f.ID) }
			case f.Kind == codecs.KindResponse:
				enc = func() { _ = sc.AppendResponse(dst, &f, f.ID) }
			default:
				continue
			}
			if a := testing.AllocsPerRun(50, enc); a > 0 {
				t.Errorf("%s: re-encoding into a large enough dst allocates %.1f times, want 0", smp.Name, a)
			}
		}
	}
}
