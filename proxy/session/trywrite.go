package session

import (
	"io"
	"net"

	"github.com/sidewire/sidewire/internal/sockio"
	"github.com/sidewire/sidewire/proxy/pool"
)

// TryWriter is a connection that can write without blocking: TryWrite
// writes what the socket takes at once and returns how much that was,
// possibly nothing, with a nil error. Sessions use it to answer from the
// goroutine that completed a request instead of waking their writer.
// Connections that wrap a *net.TCPConn (to count bytes, say) implement
// it with a sockio.TryWriter.
type TryWriter = pool.TryWriter

// tryWriterOf returns conn's non-blocking write, or nil.
func tryWriterOf(conn net.Conn) func([]byte) (int, error) {
	if c, ok := conn.(TryWriter); ok {
		return c.TryWrite
	}
	if _, ok := conn.(*net.TCPConn); ok {
		if w := sockio.New(conn); w != nil {
			return w.TryWrite
		}
	}
	return nil
}

// readerOf returns what the session reads conn with: a raw socket
// reader for a plain TCP connection (see package sockio), else conn.
func readerOf(conn net.Conn) io.Reader {
	if _, ok := conn.(*net.TCPConn); ok {
		if r := sockio.NewReader(conn); r != nil {
			return r
		}
	}
	return conn
}
