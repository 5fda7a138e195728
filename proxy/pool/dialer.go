package pool

import (
	"context"
	"net"
)

// Dialer opens a connection to one upstream endpoint. The cluster
// package adapts its hosts to it; tests dial loopback listeners.
type Dialer interface {
	Dial(ctx context.Context) (net.Conn, error)
}

// DialerFunc adapts a function to Dialer.
type DialerFunc func(ctx context.Context) (net.Conn, error)

// Dial implements Dialer.
func (f DialerFunc) Dial(ctx context.Context) (net.Conn, error) { return f(ctx) }

// TCPDialer dials a fixed TCP address.
type TCPDialer struct {
	Addr string
	net.Dialer
}

var _ Dialer = (*TCPDialer)(nil)

// Dial implements Dialer.
func (d *TCPDialer) Dial(ctx context.Context) (net.Conn, error) {
	return d.DialContext(ctx, "tcp", d.Addr)
}
