// Package codectest is the conformance suite every codec passes.
//
// A codec package describes itself with a Suite (sample frames as they
// appear on the wire, with the kind, id and attributes decoding must
// yield; sniff cases; invalid inputs) and calls, from its tests:
//
//	func TestConformance(t *testing.T) { codectest.Run(t, suite()) }
//	func FuzzDecode(f *testing.F)      { codectest.Fuzz(f, suite()) }
//	func BenchmarkCodec(b *testing.B)  { codectest.Benchmark(b, suite()) }
//
// Run checks decoding (exact frame, zero copy, input untouched, trailing
// bytes ignored, allocation budget), round trips (re-encoding a decoded
// frame yields its exact bytes; multiplexed codecs also round trip a
// rewritten id), every truncated prefix of every sample (ErrNeedMore with
// a sane size hint, never a frame, an error or a panic), back-to-back
// streams, the frame size limit, sniffing (including that no prefix of a
// match is rejected) and invalid inputs (*codecs.ProtocolError).
//
// Fuzz seeds the fuzzer with the samples and checks the invariants that
// hold for any input: no panic; success consumes 0 < n <= len(b) bytes
// whose frame decodes again identically and re-encodes to the same bytes;
// ErrNeedMore hints past the input; anything else is a ProtocolError.
package codectest
