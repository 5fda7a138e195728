package session

import (
	"errors"
	"net"
	"syscall"
)

// TryWriter is a connection that can write without blocking: TryWrite
// writes what the socket takes at once and returns how much that was,
// possibly nothing, with a nil error. Sessions use it to answer from the
// goroutine that completed a request instead of waking their writer.
// Connections that wrap a *net.TCPConn (to count bytes, say) implement
// it with TryWriteTCP.
type TryWriter interface {
	TryWrite(b []byte) (int, error)
}

// TryWriteTCP is a TryWrite for a TCP connection whose raw connection rc
// was obtained once with SyscallConn.
func TryWriteTCP(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, err := syscall.Write(int(fd), b[n:])
			switch {
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, syscall.EAGAIN):
				return true
			case err != nil:
				werr = err
				return true
			}
			n += m
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
}

// tryWriterOf returns conn's non-blocking write, or nil.
func tryWriterOf(conn net.Conn) func([]byte) (int, error) {
	switch c := conn.(type) {
	case TryWriter:
		return c.TryWrite
	case *net.TCPConn:
		rc, err := c.SyscallConn()
		if err != nil {
			return nil
		}
		return func(b []byte) (int, error) { return TryWriteTCP(rc, b) }
	}
	return nil
}
