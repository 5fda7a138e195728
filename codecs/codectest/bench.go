package codectest

import (
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// Benchmark reports decode and re-encode cost per sample, with
// allocations and throughput: sub-benchmarks decode/<sample> and
// encode/<sample>.
func Benchmark(b *testing.B, s Suite) {
	if err := s.validate(); err != nil {
		b.Fatalf("invalid suite: %v", err)
	}
	l := s.Limits.WithDefaults()
	sc, cc := s.Codec.NewServerCodec(l), s.Codec.NewClientCodec(l)
	for _, set := range s.sides() {
		dec := s.decoder(set.side)
		for _, smp := range set.samples {
			b.Run("decode/"+smp.Name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(smp.Wire)))
				for b.Loop() {
					if _, _, err := dec(smp.Wire); err != nil {
						b.Fatalf("decode %s: %v", smp.Name, err)
					}
				}
			})
			f, _, err := dec(smp.Wire)
			if err != nil || !(f.Kind.IsRequest() || f.Kind == codecs.KindResponse) {
				continue
			}
			b.Run("encode/"+smp.Name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(smp.Wire)))
				dst := make([]byte, 0, 2*len(smp.Wire)+64)
				for b.Loop() {
					if f.Kind == codecs.KindResponse {
						dst = sc.AppendResponse(dst[:0], &f, f.ID)
					} else {
						dst, _ = cc.AppendRequest(dst[:0], &f, f.ID)
					}
				}
			})
		}
	}
}
