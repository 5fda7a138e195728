package tcpproxy

import (
	"net"
	"sync"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/listener"
	"golang.org/x/sys/unix"
)

// chunk is how many bytes one splice loop moves before the byte counters
// are updated, so long-lived connections show up in stats as they go.
const chunk = 1 << 20

// pipe moves bytes both ways until both directions have ended, one side
// fails, the idle timeout fires or the listener drains past its deadline
// (the listener closes the downstream socket). It returns the bytes
// received from and sent to downstream, and why the connection ended.
func (f *Filter) pipe(c *listener.Conn, up *cluster.Upstream) (rx, tx uint64, why string) {
	down := c.TCP
	var idle *idleTimer
	if f.cfg.IdleTimeout > 0 {
		idle = startIdleTimer(down, f.cfg.IdleTimeout, func() {
			f.stats.idleTimeout.Inc()
			down.Close()
			up.Conn.Close()
		})
		defer idle.stop()
	}
	toUp := func() (uint64, error) { return copyHalf(up.Conn, down, f.stats.rxBytes, up, true) }
	toDown := func() (uint64, error) { return copyHalf(down, up.Conn, f.stats.txBytes, up, false) }
	if c.TLS != nil || up.TLS != nil {
		// The plaintext of at least one side lives in user space: no
		// splice.
		dn, us := c.Stream(), up.Stream()
		toUp = func() (uint64, error) { return copyStream(us, dn, f.stats.rxBytes, up, true) }
		toDown = func() (uint64, error) { return copyStream(dn, us, f.stats.txBytes, up, false) }
	}
	var wg sync.WaitGroup
	var upErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		rx, upErr = toUp()
		if upErr != nil {
			up.Conn.Close()
			down.Close()
		}
	}()
	tx, downErr := toDown()
	if downErr != nil {
		up.Conn.Close()
		down.Close()
	}
	wg.Wait()
	switch {
	case idle != nil && idle.fired():
		why = "idle_timeout"
	case upErr != nil || downErr != nil:
		why = "connection_error"
	}
	return rx, tx, why
}

// idleTimer closes a connection when neither direction has moved a byte for
// a whole timeout. It samples the downstream socket's TCP_INFO counters
// (bytes received from and acknowledged by the peer), so the data path
// stays a plain splice loop.
type idleTimer struct {
	t       *time.Timer
	mu      sync.Mutex
	last    [2]uint64
	stopped bool
	didFire bool
}

func startIdleTimer(c *net.TCPConn, d time.Duration, onIdle func()) *idleTimer {
	it := &idleTimer{}
	it.last = tcpBytes(c)
	it.t = time.AfterFunc(d, func() {
		it.mu.Lock()
		defer it.mu.Unlock()
		if it.stopped {
			return
		}
		if now := tcpBytes(c); now != it.last {
			it.last = now
			it.t.Reset(d)
			return
		}
		it.didFire = true
		onIdle()
	})
	return it
}

func (it *idleTimer) stop() {
	it.mu.Lock()
	defer it.mu.Unlock()
	it.stopped = true
	it.t.Stop()
}

func (it *idleTimer) fired() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.didFire
}

// tcpBytes returns the socket's received and acknowledged byte counts.
// On error it returns zeros, which a later sample will differ from only if
// the socket is alive.
func tcpBytes(c *net.TCPConn) [2]uint64 {
	rc, err := c.SyscallConn()
	if err != nil {
		return [2]uint64{}
	}
	var out [2]uint64
	rc.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			out = [2]uint64{info.Bytes_received, info.Bytes_acked}
		}
	})
	return out
}
