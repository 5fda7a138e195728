package redisproxy

import (
	"net"

	"github.com/sidewire/sidewire/telemetry"
)

// countingConn is a downstream connection that counts its bytes into
// downstream_cx_rx_bytes_total and downstream_cx_tx_bytes_total. It keeps
// *net.TCPConn's other methods (CloseWrite for the session's lingering
// close).
type countingConn struct {
	*net.TCPConn
	rx, tx *telemetry.Counter
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	if n > 0 {
		c.rx.Add(uint64(n))
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
