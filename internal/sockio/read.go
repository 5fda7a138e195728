package sockio

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// Reader reads from a socket with raw system calls, waiting for
// readability in the netpoller as net.Conn's Read does (deadlines
// apply), but without the scheduler's system-call bookkeeping, which
// costs more than a short read itself. It is not safe for concurrent
// use: a connection has one reader.
type Reader struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	b    []byte
	n    int
	rerr error
}

// NewReader returns a Reader for c, or nil when c has no raw connection.
func NewReader(c net.Conn) *Reader {
	rc := rawConn(c)
	if rc == nil {
		return nil
	}
	r := &Reader{rc: rc}
	r.fn = r.read
	return r
}

// Read reads into b like net.Conn's Read: at least one byte, io.EOF at
// the end of the stream, or the error (a deadline's os.ErrDeadlineExceeded
// among them).
func (r *Reader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r.b, r.n, r.rerr = b, 0, nil
	err := r.rc.Read(r.fn)
	n := r.n
	if err == nil {
		err = r.rerr
	}
	r.b, r.rerr = nil, nil
	return n, err
}

// read runs under the socket's read lock; returning false waits for
// readability and calls it again.
func (r *Reader) read(fd uintptr) bool {
	for {
		n, errno := ReadFD(fd, r.b)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN:
			return false
		case errno != 0:
			r.rerr = errno
		case n == 0:
			r.rerr = io.EOF
		default:
			r.n = n
		}
		return true
	}
}

// ReadFD is read(2) on fd as a raw system call, for callers already
// inside a RawConn.Read callback. It returns the errno, 0 on success.
func ReadFD(fd uintptr, b []byte) (int, syscall.Errno) {
	if len(b) == 0 {
		return 0, 0
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), errno
}
