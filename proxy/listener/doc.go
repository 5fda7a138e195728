// Package listener owns bound sockets: the accept loop, listener filters
// (the TLS ClientHello inspector), filter chain selection and per-listener
// connection accounting. A selected filter chain is a ConnHandler built by
// the server from the chain's network filters; the listener hands it each
// accepted connection on its own goroutine.
//
// The TLS inspector peeks with MSG_PEEK, so the ClientHello stays in the
// kernel's receive queue and a terminal filter such as tcp_proxy can still
// move bytes with splice(2).
package listener
