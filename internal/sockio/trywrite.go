package sockio

import (
	"errors"
	"net"
	"syscall"
	"unsafe"
)

// TryWriter writes to a socket without blocking. Its callback is built
// once, so a write allocates nothing. It is not safe for concurrent use:
// callers write from one goroutine at a time (as a connection's writers
// do anyway, to keep bytes in order).
type TryWriter struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	b    []byte
	n    int
	werr error
}

// New returns a TryWriter for c, or nil when c has no raw connection
// (it is not a socket, or wraps one it does not expose).
func New(c net.Conn) *TryWriter {
	rc := rawConn(c)
	if rc == nil {
		return nil
	}
	w := &TryWriter{rc: rc}
	w.fn = w.write
	return w
}

// rawConn returns c's raw connection, nil when it has none.
func rawConn(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// TryWrite writes what the socket takes at once and returns how much
// that was, possibly nothing, with a nil error unless the socket failed.
func (w *TryWriter) TryWrite(b []byte) (int, error) {
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
func (w *TryWriter) write(fd uintptr) bool {
	for w.n < len(w.b) {
		m, err := rawWrite(fd, w.b[w.n:])
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

// rawWrite is write(2) as a raw system call (see the package doc).
func rawWrite(fd uintptr, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// WriteAll writes b: first without blocking, then the rest with c's own
// (blocking) Write. w may be nil.
func WriteAll(w *TryWriter, c net.Conn, b []byte) (int, error) {
	n := 0
	if w != nil {
		var err error
		if n, err = w.TryWrite(b); err != nil || n == len(b) {
			return n, err
		}
	}
	m, err := c.Write(b[n:])
	return n + m, err
}
