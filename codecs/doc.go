// Package codecs defines how Sidewire speaks a protocol: the Codec,
// ServerCodec and ClientCodec interfaces, the Frame and Attributes they
// produce, typed protocol errors, and a Registry that sniffs a protocol
// from a connection's first bytes.
//
// A codec only frames bytes and names the few attributes routing and
// metrics need; pools, sessions and filters are written once, against
// these types, in package proxy. Codec packages (codecs/redis,
// codecs/dubbo, ...) import the standard library, this package and their
// wire library, nothing from proxy/. They register nothing at init time:
// the binary builds a Registry explicitly.
//
// # Buffer ownership
//
// Decode never copies and never keeps its input. The Frame it returns
// aliases the input slice b: Frame.Raw is b[:n], and the byte slices in
// Frame.Attrs point into Raw (or at constant data owned by the codec).
// The caller owns b and therefore the frame; it must keep b unchanged for
// as long as it uses the frame and must not reuse the memory until then.
// Encoders (the Append methods) read their frame arguments only during the
// call and append to dst, reusing its capacity, so the caller controls
// every allocation. See README.md for the full contract and for how
// proxy/session and proxy/pool honour it with reference-counted read
// buffers.
//
// # Partial input
//
// Decode returns the sentinel ErrNeedMore, unwrapped, when b holds only a
// prefix of a frame. With it, n is either 0 or a lower bound, larger than
// len(b), on the total bytes the frame needs, so the caller can size its
// buffer once. Any other error is a *ProtocolError: the bytes can never
// become a valid frame and the connection must be closed (after a
// protocol error reply where the protocol has one).
package codecs
