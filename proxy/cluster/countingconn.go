package cluster

import (
	"net"

	"github.com/sidewire/sidewire/internal/sockio"
)

// CountingConn is an Upstream as a net.Conn for a connection pool: it
// counts bytes into the cluster's upstream_cx_rx/tx_bytes_total, writes
// without blocking when asked (TryWrite, for the pool's batched writes),
// and closing it releases the Upstream.
type CountingConn struct {
	*net.TCPConn
	up *Upstream
	tw *sockio.TryWriter
	rd *sockio.Reader
}

// CountingConn returns u as a CountingConn.
func (u *Upstream) CountingConn() *CountingConn {
	return &CountingConn{TCPConn: u.Conn, up: u, tw: sockio.New(u.Conn), rd: sockio.NewReader(u.Conn)}
}

// Read reads with raw system calls (see package sockio). It is not safe
// for concurrent use: a pooled connection has one reader.
func (c *CountingConn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.rd != nil {
		n, err = c.rd.Read(p)
	} else {
		n, err = c.TCPConn.Read(p)
	}
	c.up.AddBytes(uint64(n), 0)
	return n, err
}

func (c *CountingConn) Write(p []byte) (int, error) {
	n, err := c.TCPConn.Write(p)
	c.up.AddBytes(0, uint64(n))
	return n, err
}

// TryWrite writes what the socket takes without blocking (see package
// sockio); the caller writes the rest with Write.
func (c *CountingConn) TryWrite(p []byte) (int, error) {
	if c.tw == nil {
		return 0, nil
	}
	n, err := c.tw.TryWrite(p)
	c.up.AddBytes(0, uint64(n))
	return n, err
}

// Close closes the connection and records its end in the cluster.
func (c *CountingConn) Close() error { return c.up.Close() }
