package redisproxy

import (
	"errors"
	"net"

	"github.com/sidewire/sidewire/internal/sockio"

	"github.com/sidewire/sidewire/proxy/session"
	"github.com/sidewire/sidewire/telemetry"
)

// countingConn is a downstream connection that counts its bytes into
// downstream_cx_rx_bytes_total and downstream_cx_tx_bytes_total. It wraps
// the listener's stream: a *net.TCPConn (read and written with raw system
// calls) or a TLS connection (plain Read/Write; no TryWrite, so the
// session's writer goroutine writes answers).
type countingConn struct {
	net.Conn
	raw    *sockio.TryWriter // for TryWrite; nil: none
	rd     *sockio.Reader    // for Read; nil: TCPConn.Read
	rx, tx *telemetry.Counter
	// onReadErr, if set, is told of every read error (the client left,
	// or Drain's deadline woke the read); it runs on the reading
	// goroutine.
	onReadErr func(error)
}

func newCountingConn(c net.Conn, rx, tx *telemetry.Counter) *countingConn {
	cc := &countingConn{Conn: c, rx: rx, tx: tx}
	cc.raw, cc.rd = sockio.New(c), sockio.NewReader(c)
	return cc
}

// session returns the connection as the session should see it: with
// TryWrite for a socket, without for a TLS stream (whose answers the
// session's writer goroutine writes).
func (c *countingConn) session() net.Conn {
	if c.raw == nil {
		return c
	}
	return tryCountingConn{c}
}

// tryCountingConn is a countingConn on a socket, which can write without
// blocking.
type tryCountingConn struct{ *countingConn }

var _ session.TryWriter = tryCountingConn{}

// TryWrite implements session.TryWriter.
func (c tryCountingConn) TryWrite(p []byte) (int, error) {
	n, err := c.raw.TryWrite(p)
	if n > 0 {
		c.tx.Add(uint64(n))
	}
	return n, err
}

// CloseWrite half-closes the stream (a FIN, or a TLS close_notify) for
// the session's lingering close.
func (c *countingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// Read reads with raw system calls (see package sockio); the session is
// its one reader.
func (c *countingConn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.rd != nil {
		n, err = c.rd.Read(p)
	} else {
		n, err = c.Conn.Read(p)
	}
	if n > 0 {
		c.rx.Add(uint64(n))
	}
	if err != nil && c.onReadErr != nil {
		c.onReadErr(err)
	}
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.tx.Add(uint64(n))
	}
	return n, err
}
