package redisproxy

import (
	"net"

	"github.com/sidewire/sidewire/internal/sockio"

	"github.com/sidewire/sidewire/proxy/session"
	"github.com/sidewire/sidewire/telemetry"
)

// countingConn is a downstream connection that counts its bytes into
// downstream_cx_rx_bytes_total and downstream_cx_tx_bytes_total. It keeps
// *net.TCPConn's other methods (CloseWrite for the session's lingering
// close).
type countingConn struct {
	*net.TCPConn
	raw    *sockio.TryWriter // for TryWrite; nil: none
	rd     *sockio.Reader    // for Read; nil: TCPConn.Read
	rx, tx *telemetry.Counter
	// onReadErr, if set, is told of every read error (the client left,
	// or Drain's deadline woke the read); it runs on the reading
	// goroutine.
	onReadErr func(error)
}

func newCountingConn(c *net.TCPConn, rx, tx *telemetry.Counter) *countingConn {
	cc := &countingConn{TCPConn: c, rx: rx, tx: tx}
	cc.raw, cc.rd = sockio.New(c), sockio.NewReader(c)
	return cc
}

var _ session.TryWriter = (*countingConn)(nil)

// TryWrite implements session.TryWriter.
func (c *countingConn) TryWrite(p []byte) (int, error) {
	if c.raw == nil {
		return 0, nil // the session's writer goroutine writes it all
	}
	n, err := c.raw.TryWrite(p)
	if n > 0 {
		c.tx.Add(uint64(n))
	}
	return n, err
}

// Read reads with raw system calls (see package sockio); the session is
// its one reader.
func (c *countingConn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.rd != nil {
		n, err = c.rd.Read(p)
	} else {
		n, err = c.TCPConn.Read(p)
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
	n, err := c.TCPConn.Write(p)
	if n > 0 {
		c.tx.Add(uint64(n))
	}
	return n, err
}
