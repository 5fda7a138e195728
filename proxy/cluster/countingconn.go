package cluster

import (
	"net"

	"github.com/sidewire/sidewire/internal/sockio"
)

// CountingConn is an Upstream as a net.Conn for a connection pool: it
// counts bytes into the cluster's upstream_cx_rx/tx_bytes_total, writes
// without blocking when asked (TryWrite, for the pool's batched writes,
// plaintext connections only), and closing it releases the Upstream. It
// reads and writes the Upstream's Stream: TLS for a TLS cluster.
type CountingConn struct {
	net.Conn
	up *Upstream
	tw *sockio.TryWriter // nil over TLS
	rd *sockio.Reader    // nil over TLS
}

// CountingConn returns u as a CountingConn.
func (u *Upstream) CountingConn() *CountingConn {
	if u.TLS != nil {
		return &CountingConn{Conn: u.TLS, up: u}
	}
	return &CountingConn{Conn: u.Conn, up: u, tw: sockio.New(u.Conn), rd: sockio.NewReader(u.Conn)}
}

// Read reads with raw system calls (see package sockio) over plaintext.
// It is not safe for concurrent use: a pooled connection has one reader.
func (c *CountingConn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.rd != nil {
		n, err = c.rd.Read(p)
	} else {
		n, err = c.Conn.Read(p)
	}
	c.up.AddBytes(uint64(n), 0)
	return n, err
}

func (c *CountingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.up.AddBytes(0, uint64(n))
	return n, err
}

// TryWrite writes what the socket takes without blocking (see package
// sockio); the caller writes the rest with Write. Over TLS it writes
// nothing.
func (c *CountingConn) TryWrite(p []byte) (int, error) {
	if c.tw == nil {
		return 0, nil
	}
	n, err := c.tw.TryWrite(p)
	c.up.AddBytes(0, uint64(n))
	return n, err
}

// CloseWrite half-closes the connection (a TLS close_notify over TLS).
func (c *CountingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection and records its end in the cluster.
func (c *CountingConn) Close() error { return c.up.Close() }
