package tcpproxy

import (
	"io"
	"net"
	"sync"
	"syscall"

	"github.com/sidewire/sidewire/internal/sockio"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/telemetry"
)

// copyBufSize is the user-space copy buffer. A read that fills it marks the
// direction as bulk, and the rest of it moves with splice(2).
const copyBufSize = 16 << 10

// copyBufs holds copy buffers. A direction takes one only once its source
// is readable and returns it before waiting again, so idle connections
// hold no buffer at all.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, copyBufSize)
	return &b
}}

// direction is one half of a proxied connection.
type direction struct {
	dst, src *net.TCPConn
	tw       *sockio.TryWriter // dst's non-blocking writer, nil if none
	ctr      *telemetry.Counter
	up       *cluster.Upstream
	toUp     bool
	total    uint64
}

func (d *direction) count(n int) {
	if n <= 0 {
		return
	}
	d.total += uint64(n)
	d.ctr.Add(uint64(n))
	if d.toUp {
		d.up.AddBytes(0, uint64(n))
	} else {
		d.up.AddBytes(uint64(n), 0)
	}
}

// copyHalf moves src to dst until src reaches EOF, then half-closes dst.
// Small messages (request/response protocols) are cheapest with one read
// and one write through a buffer; a stream that fills the buffer switches
// to splice, which keeps bulk payload in the kernel.
func copyHalf(dst, src *net.TCPConn, ctr *telemetry.Counter, up *cluster.Upstream, toUpstream bool) (uint64, error) {
	d := &direction{dst: dst, src: src, ctr: ctr, up: up, toUp: toUpstream, tw: sockio.New(dst)}
	rc, err := src.SyscallConn()
	if err != nil {
		return 0, err
	}
	for {
		bulk, eof, err := d.copyOnce(rc)
		switch {
		case err != nil:
			return d.total, err
		case eof:
			return d.total, dst.CloseWrite()
		case bulk:
			return d.splice()
		}
	}
}

// copyOnce waits until src is readable, then reads once into a pooled
// buffer and writes what it got. Both are raw system calls where they
// cannot block (see package sockio); a write the socket cannot take at
// once finishes with a normal Write.
func (d *direction) copyOnce(rc syscall.RawConn) (bulk, eof bool, err error) {
	var bp *[]byte
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		bp = copyBufs.Get().(*[]byte)
		var errno syscall.Errno
		for n, errno = sockio.ReadFD(fd, *bp); errno == syscall.EINTR; n, errno = sockio.ReadFD(fd, *bp) {
		}
		if errno == syscall.EAGAIN {
			copyBufs.Put(bp)
			bp = nil
			return false
		}
		if errno != 0 {
			rerr = errno
		}
		return true
	})
	if bp != nil {
		defer copyBufs.Put(bp)
	}
	if err != nil {
		return false, false, err
	}
	if rerr != nil {
		return false, false, rerr
	}
	if n == 0 {
		return false, true, nil
	}
	if _, err := sockio.WriteAll(d.tw, d.dst, (*bp)[:n]); err != nil {
		return false, false, err
	}
	d.count(n)
	return n == copyBufSize, false, nil
}

// splice moves the rest of the stream in the kernel, chunk by chunk so the
// byte counters stay current.
func (d *direction) splice() (uint64, error) {
	lr := &io.LimitedReader{R: d.src}
	for {
		lr.N = chunk
		n, err := d.dst.ReadFrom(lr)
		d.count(int(n))
		if err != nil {
			return d.total, err
		}
		if lr.N > 0 { // src reached EOF before the chunk was full
			return d.total, d.dst.CloseWrite()
		}
	}
}
