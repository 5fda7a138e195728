// Package session serves one downstream connection of a framed protocol.
//
// A Session reads the connection into reference-counted buffers, decodes
// requests with the protocol's ServerCodec and runs each one as a Stream
// on its own goroutine, through a synchronous Handler (the middleware
// chain of package filter, ending in the router). A single writer
// goroutine writes the answers back, batching everything that is ready
// into one write call, in the order the protocol needs: request order for
// pipelined and bound protocols (even when upstreams answer out of
// order), completion order for multiplexed ones.
//
// # Lifecycle
//
// Serve runs the session until the client closes, the idle timeout
// fires, Drain or Close is called, or the client sends bytes that can
// never decode. Drain stops reading, lets in-flight requests finish and
// their answers be written, then closes. A malformed frame gets a
// protocol error reply (where the protocol has one) after the answers
// already owed, then the connection closes. After a drain or a protocol
// error the session half-closes and briefly discards what the client
// still sends before closing, so a TCP reset cannot destroy the answers
// in flight. Close is immediate: it
// cancels in-flight handlers through their context. Every goroutine the
// session starts has ended when Serve returns.
//
// # Memory
//
// Config.BufferLimit (Envoy's per_connection_buffer_limit_bytes) is a
// watermark on read buffer bytes held by the connection's in-flight
// requests; past it the session stops reading until answers are written.
// Config.MaxInFlight bounds the number of requests in flight.
//
// # Buffer ownership
//
// Stream.Request aliases the session's read buffer and stays valid until
// the stream's answer is written, which is after Handler.Serve returns.
// A handler must not keep the Stream, the request frame or its bytes past
// Serve. Responses handed to a Stream (Forward, Respond, Push) become the
// session's, which releases them once written.
package session
