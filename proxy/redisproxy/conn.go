package redisproxy

import (
	"net"

	"github.com/sidewire/sidewire/proxy/session"
	"github.com/sidewire/sidewire/telemetry"
)

// countingConn is a downstream connection that counts its bytes into
// downstream_cx_rx_bytes_total and downstream_cx_tx_bytes_total. It keeps
// *net.TCPConn's other methods (CloseWrite for the session's lingering
// close).
type countingConn struct {
	*net.TCPConn
	raw    *session.RawTryWriter // for TryWrite; nil: none
	rx, tx *telemetry.Counter
	// onReadErr, if set, is told of every read error (the client left,
	// or Drain's deadline woke the read); it runs on the reading
	// goroutine.
	onReadErr func(error)
}

func newCountingConn(c *net.TCPConn, rx, tx *telemetry.Counter) *countingConn {
	cc := &countingConn{TCPConn: c, rx: rx, tx: tx}
	cc.raw = session.NewRawTryWriter(c)
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

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
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
