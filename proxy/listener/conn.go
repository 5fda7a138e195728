package listener

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// Conn is an accepted downstream connection and what the listener learned
// about it before choosing its filter chain. The ConnHandler it is given
// to owns it: it must close TCP (or Stream) when done.
type Conn struct {
	TCP *net.TCPConn
	// TLS is the server side of the TLS session when the chain terminates
	// TLS (the handshake is complete), else nil. Filters use Stream,
	// which is TLS or TCP.
	TLS *tls.Conn
	// ID is unique per process (Envoy's %CONNECTION_ID%).
	ID    uint64
	Start time.Time
	// Listener is the config the connection was accepted with; it does not
	// change when the listener is updated.
	Listener *config.Listener
	Chain    *config.FilterChain
	// ServerName and ALPN come from the TLS ClientHello when the TLS
	// inspector ran and found one.
	ServerName string
	ALPN       []string
	// TransportProtocol is "tls" or "raw_buffer" when the inspector ran,
	// else "".
	TransportProtocol string

	draining <-chan struct{}
}

// Draining is closed when the connection's listener starts draining
// (removed, replaced or the server is shutting down). Handlers that can end
// a connection gracefully (finish in-flight requests, then close) do so;
// byte-stream handlers may ignore it and are closed at the drain deadline.
func (c *Conn) Draining() <-chan struct{} { return c.draining }

// ConnHandler serves one downstream connection until it ends. It owns the
// connection and must close it before returning. ctx is cancelled when
// the listener is closed for good.
type ConnHandler interface {
	ServeConn(ctx context.Context, c *Conn)
}

// ConnHandlerFunc adapts a function to ConnHandler.
type ConnHandlerFunc func(ctx context.Context, c *Conn)

// ServeConn implements ConnHandler.
func (f ConnHandlerFunc) ServeConn(ctx context.Context, c *Conn) { f(ctx, c) }

// ConnMiddleware wraps a ConnHandler: a non-terminal network filter such
// as connection_limit or rbac.
type ConnMiddleware func(next ConnHandler) ConnHandler

// Chain is a filter chain ready to serve: its config and its handler.
type Chain struct {
	Config  *config.FilterChain
	Handler ConnHandler
	// TLS terminates TLS before Handler runs; nil for a plain chain.
	TLS *TLS
}

// Config is what a listener serves: its IR and its built chains. It is
// immutable once passed to New or Update.
type Config struct {
	Listener *config.Listener
	Chains   []Chain
	// Default serves connections no chain matches; may be nil.
	Default *Chain

	conns sync.WaitGroup // connections accepted with this config
}

// Wait blocks until every connection accepted with this config has ended,
// so the server can release the config's filters (access logs) after a
// listener update.
func (c *Config) Wait() { c.conns.Wait() }
