// Package pool carries requests to one upstream endpoint over the
// connection discipline its protocol needs (see docs/architecture.md):
//
//   - Pipeline: a few connections shared by every downstream session;
//     requests are written in order, coalesced into as few write calls as
//     possible, and responses are matched first-in first-out. A request
//     may expect zero, one or several responses (ClientCodec.Responses).
//   - Multiplex: shared connections whose request ids are rewritten to
//     ids unique on the connection and restored on the way back, so
//     responses may arrive in any order. Requests time out individually
//     (the late response is dropped); one-way requests and heartbeats are
//     supported.
//   - Bound: one upstream connection per downstream session, either
//     framed (BoundConn, FIFO matching plus server pushes) or as raw
//     bytes both ways (Splice) for MySQL, transactions, pub/sub and TCP.
//
// Pipeline, Multiplex and BoundConn implement RoundTripper. Connections
// are dialed lazily through a Dialer and re-dialed after they fail; a
// failed dial makes requests fail fast for a backoff period.
//
// # Failure
//
// A connection that fails (read or write error, protocol error, missed
// heartbeat, Close) fails every request waiting on it at once with an
// *Error; nothing is left hanging. Error.Sent tells a retry policy
// whether the request's bytes may have reached the upstream.
//
// # Buffer ownership
//
// RoundTrip reads the request frame only while it runs: its bytes are
// copied into the connection's write batch before RoundTrip waits, so the
// caller may release them as soon as RoundTrip returns, even on timeout.
// Responses are zero-copy: Response.Frame aliases the connection's
// reference-counted read buffer, and stays valid until Response.Release.
// Every Response a caller receives must be released exactly once.
//
// # Goroutines
//
// Each connection runs one reader and one writer goroutine; dials run on
// their own goroutine. Close stops them all and waits for them.
package pool
