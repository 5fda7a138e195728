// Package lenframe is a length-prefixed test protocol for exercising the
// codec framework, sessions and pools. It is test-only: no binary
// registers it and no configuration can select it.
//
// It has two flavours sharing one layout. The pipelined flavour ("LP")
// has an 8-byte header and no request id; the multiplexed flavour ("LM")
// has a 16-byte header with a 64-bit id:
//
//	offset  size  pipelined ("LP")        multiplexed ("LM")
//	0       2     magic "LP"              magic "LM"
//	2       1     kind (codecs.Kind)      kind
//	3       1     aux                     aux
//	4       8     -                       request id, big endian
//	4 / 12  4     payload length, big endian
//
// aux is, by kind: for requests the number of responses expected (>= 1;
// 0 for one-way requests); for responses a codecs.Status; for events 1
// when the event is a heartbeat that wants a reply and 0 for a push.
//
// A request payload is method length (1 byte), method, key length (1
// byte), key, then an opaque body. Other payloads are opaque.
package lenframe
