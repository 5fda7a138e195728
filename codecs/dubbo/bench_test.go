package dubbo

import (
	"strings"
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

// BenchmarkScanAttachments reads the timeout, group, version and
// interface attachments of a typical request, and of one whose
// arguments are Java objects, lists and maps.
func BenchmarkScanAttachments(b *testing.B) {
	keys := []string{AttachmentTimeout, AttachmentGroup, AttachmentVersion, AttachmentInterface}
	out := make([]Attachment, len(keys))
	samples := argumentSamples()
	for _, name := range []string{"sayHi", "objects", "lists", "maps"} {
		wire := samples[name].frame(b, twoWay, 1)
		b.Run(strings.ReplaceAll(name, " ", "-"), func(b *testing.B) {
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ScanAttachments(wire, keys, out); err != nil || out[0].Kind != AttachmentString {
					b.Fatal(err)
				}
			}
		})
	}
}
