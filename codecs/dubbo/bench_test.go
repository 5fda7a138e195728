package dubbo

import (
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// BenchmarkRequestAttrs compares the hot path (Decode: header plus the
// leading strings) with a full hessian2 decode of the same request.
func BenchmarkRequestAttrs(b *testing.B) {
	wire := sayHi().frame(b, twoWay, 1)
	b.Run("fast-decode", func(b *testing.B) {
		sc := NewServerCodec(Limits{}, codecs.Limits{})
		b.SetBytes(int64(len(wire)))
		b.ReportAllocs()
		for b.Loop() {
			if f, _, err := sc.Decode(wire); err != nil || f.Attrs.Method == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full-hessian2", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		b.ReportAllocs()
		for b.Loop() {
			if rb, err := DecodeRequestBody(wire); err != nil || rb.Method == "" {
				b.Fatal(err)
			}
		}
	})
}
