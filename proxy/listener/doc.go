// Package listener owns bound sockets: the accept loop, listener filters
// (the TLS ClientHello inspector), filter chain selection and per-listener
// connection accounting. A selected filter chain is a ConnHandler built by
// the server from the chain's network filters; the listener hands it each
// accepted connection on its own goroutine.
//
// The TLS inspector peeks with MSG_PEEK, so the ClientHello stays in the
// kernel's receive queue and a terminal filter such as tcp_proxy can still
// move bytes with splice(2).
//
// A chain with a TLS transport socket (Chain.TLS) terminates TLS after it
// is selected (so SNI and ALPN from the peeked ClientHello choose the
// chain) and before its handler runs: the handler reads and writes
// Conn.Stream, the *tls.Conn. Certificates are static or come from SDS
// secrets in a SecretStore; each handshake takes the tls.Config built from
// the secrets' current values, so a rotated secret applies to new
// connections while established ones keep their session. Stats:
// listener.<address>.ssl.handshake and ssl.connection_error.
package listener
