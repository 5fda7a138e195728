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
// it with a RawTryWriter.
type TryWriter interface {
	TryWrite(b []byte) (int, error)
}

// RawTryWriter writes to a socket without blocking. Its callback is built
// once, so a write allocates nothing. It is not safe for concurrent use:
// a session calls it only from the one goroutine writing at a time.
type RawTryWriter struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	b    []byte
	n    int
	werr error
}

// NewRawTryWriter returns a RawTryWriter for c, or nil when c has no
// raw connection.
func NewRawTryWriter(c syscall.Conn) *RawTryWriter {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	w := &RawTryWriter{rc: rc}
	w.fn = w.write
	return w
}

var _ TryWriter = (*RawTryWriter)(nil)

// TryWrite implements TryWriter.
func (w *RawTryWriter) TryWrite(b []byte) (int, error) {
	w.b, w.n, w.werr = b, 0, nil
	err := w.rc.Write(w.fn)
	n := w.n
	if err == nil {
		err = w.werr
	}
	w.b, w.werr = nil, nil
	return n, err
}

// write runs under the socket's write lock: it writes until the socket
// would block, then tells the poller not to wait.
func (w *RawTryWriter) write(fd uintptr) bool {
	for w.n < len(w.b) {
		m, err := syscall.Write(int(fd), w.b[w.n:])
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return true
		case err != nil:
			w.werr = err
			return true
		}
		w.n += m
	}
	return true
}

// tryWriterOf returns conn's non-blocking write, or nil.
func tryWriterOf(conn net.Conn) func([]byte) (int, error) {
	switch c := conn.(type) {
	case TryWriter:
		return c.TryWrite
	case *net.TCPConn:
		if w := NewRawTryWriter(c); w != nil {
			return w.TryWrite
		}
	}
	return nil
}
