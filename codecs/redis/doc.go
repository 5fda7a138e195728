// Package redis is Sidewire's codec for the Redis serialization
// protocol, RESP2 and RESP3 (see README.md for the wire format, the
// attributes frames carry, the limits and buffer ownership).
//
// A ServerCodec decodes what clients send: multibulk requests (arrays
// of bulk strings) and inline commands, quoted the way redis-server
// splits them. A ClientCodec decodes what servers send: one complete
// reply of any RESP2 or RESP3 type per frame, with any attributes in
// front of it. Decode never copies and allocates nothing for common
// traffic; a partial frame yields codecs.ErrNeedMore, malformed bytes a
// *codecs.ProtocolError whose text is what Redis itself replies
// ("Protocol error: invalid bulk length").
//
// Streamed RESP3 aggregates and strings ("*?", "$?") are rejected with
// a protocol error: Redis 7 never sends them and proxies must buffer a
// whole frame anyway.
//
// The command table (Lookup, Commands) describes every Redis 7.0
// command: arity, flags, legacy key positions, key specs and cluster
// tips, and locates the keys of a request the way Redis does. Args
// iterates over a request's arguments and the Append functions encode
// requests and replies, for proxies that split or answer commands.
//
// The package imports only the standard library and codecs.
package redis
