package listener

import (
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// peekFunc inspects the bytes peeked so far. It returns done=true when it
// has seen enough; otherwise the peeker waits for more bytes.
type peekFunc func(b []byte) (done bool)

// peek reads from c's receive queue with MSG_PEEK, leaving the bytes in the
// kernel, until fn is satisfied, buf is full, the peer closes, or the
// deadline passes. It returns the number of bytes visible at the end.
func peek(c *net.TCPConn, buf []byte, deadline time.Time, fn peekFunc) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	if err := c.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	defer c.SetReadDeadline(time.Time{})
	var n int
	var perr error
	err = rc.Read(func(fd uintptr) bool {
		m, _, e := unix.Recvfrom(int(fd), buf, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		switch {
		case errors.Is(e, syscall.EAGAIN):
			return false
		case e != nil:
			perr = e
			return true
		case m == 0:
			perr = io.EOF
			return true
		}
		n = m
		// Not enough yet: wait for the next readiness edge, which new
		// bytes (or a close) will bring.
		return fn(buf[:n]) || n == len(buf)
	})
	if err == nil {
		err = perr
	}
	return n, err
}
