package cluster

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"golang.org/x/sys/unix"
)

func TestConnectStaticRoundRobin(t *testing.T) {
	e := newEnv(t, nil)
	a, b := startServer(t, holdOpen), startServer(t, holdOpen)
	e.update(t, staticCluster("web", config.RoundRobin, a.addr, b.addr))
	if err := e.m.WaitWarm(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.cluster(t, "web")
	seen := map[netip.AddrPort]int{}
	var ups []*Upstream
	for range 4 {
		up, err := c.Connect(context.Background(), LBContext{})
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		if got := up.Conn.RemoteAddr().String(); got != up.Host.AddrPort().String() {
			t.Fatalf("connected to %s, host says %s", got, up.Host.AddrPort())
		}
		seen[up.Host.AddrPort()]++
		ups = append(ups, up)
	}
	if seen[a.addr] != 2 || seen[b.addr] != 2 {
		t.Fatalf("round robin spread %v, want 2 each", seen)
	}
	if got := e.counter("web", "upstream_cx_total"); got != 4 {
		t.Errorf("upstream_cx_total = %d, want 4", got)
	}
	if got := e.gauge("web", "upstream_cx_active"); got != 4 {
		t.Errorf("upstream_cx_active = %d, want 4", got)
	}
	if got := e.scope("web").Histogram("upstream_cx_connect_ms", 0).Count(); got != 4 {
		t.Errorf("upstream_cx_connect_ms count = %d, want 4", got)
	}
	if hs := hostByAddr(c, a.addr).Stats(); hs.CxTotal != 2 || hs.CxActive != 2 {
		t.Errorf("host stats %+v, want cx_total 2 cx_active 2", hs)
	}
	if got := c.Breaker().Counts().Connections; got != 4 {
		t.Errorf("breaker connections = %d, want 4", got)
	}

	ups[0].AddBytes(10, 20)
	ups[1].AddBytes(1, 0)
	if rx, tx := e.counter("web", "upstream_cx_rx_bytes_total"), e.counter("web", "upstream_cx_tx_bytes_total"); rx != 11 || tx != 20 {
		t.Errorf("rx/tx bytes = %d/%d, want 11/20", rx, tx)
	}
	for _, up := range ups {
		if err := up.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := up.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
	if got := e.gauge("web", "upstream_cx_active"); got != 0 {
		t.Errorf("upstream_cx_active after close = %d, want 0", got)
	}
	if got := e.counter("web", "upstream_cx_destroy"); got != 4 {
		t.Errorf("upstream_cx_destroy = %d, want 4 (Close is idempotent)", got)
	}
	if got := c.Breaker().Counts().Connections; got != 0 {
		t.Errorf("breaker connections after close = %d, want 0", got)
	}
	if hs := hostByAddr(c, a.addr).Stats(); hs.CxActive != 0 {
		t.Errorf("host cx_active after close = %d", hs.CxActive)
	}
}

func TestConnectSetsNoDelay(t *testing.T) {
	e := newEnv(t, nil)
	s := startServer(t, holdOpen)
	e.update(t, staticCluster("nd", config.Random, s.addr))
	up, err := e.cluster(t, "nd").Connect(context.Background(), LBContext{})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	rc, err := up.Conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	rc.Control(func(fd uintptr) { v, serr = unix.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY) })
	if serr != nil || v == 0 {
		t.Fatalf("TCP_NODELAY = %d (%v), want set", v, serr)
	}
}

func TestConnectFailures(t *testing.T) {
	e := newEnv(t, nil)
	dead := refusedAddr(t)
	e.update(t, staticCluster("dead", config.RoundRobin, dead))
	c := e.cluster(t, "dead")
	_, err := c.Connect(context.Background(), LBContext{})
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.Host.AddrPort() != dead || ce.Timeout {
		t.Fatalf("Connect error = %v, want a non-timeout *ConnectError for %s", err, dead)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %v does not wrap ECONNREFUSED", err)
	}
	if got := e.counter("dead", "upstream_cx_connect_fail"); got != 1 {
		t.Errorf("upstream_cx_connect_fail = %d, want 1", got)
	}
	if got := hostByAddr(c, dead).Stats().CxConnectFail; got != 1 {
		t.Errorf("host cx_connect_fail = %d, want 1", got)
	}
	if got := c.Breaker().Counts().Connections; got != 0 {
		t.Errorf("breaker connections after failure = %d, want 0", got)
	}

	// A cancelled caller is not the host's failure.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Connect(ctx, LBContext{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Connect with cancelled ctx = %v, want context.Canceled", err)
	}
	if got := e.counter("dead", "upstream_cx_connect_fail"); got != 1 {
		t.Errorf("upstream_cx_connect_fail after cancel = %d, want still 1", got)
	}
}

func TestConnectTimeout(t *testing.T) {
	// A listener whose accept queue is full leaves further SYNs unanswered,
	// so the connect times out.
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	// Fill the backlog.
	var fill []net.Conn
	defer func() {
		for _, c := range fill {
			c.Close()
		}
	}()
	for range 4 {
		c, err := net.DialTimeout("tcp", ap.String(), 100*time.Millisecond)
		if err != nil {
			break
		}
		fill = append(fill, c)
	}

	e := newEnv(t, nil)
	cfg := staticCluster("slow", config.RoundRobin, ap)
	cfg.ConnectTimeout = 50 * time.Millisecond
	e.update(t, cfg)
	_, err = e.cluster(t, "slow").Connect(context.Background(), LBContext{})
	var ce *ConnectError
	if !errors.As(err, &ce) || !ce.Timeout {
		t.Fatalf("Connect = %v, want a timeout *ConnectError", err)
	}
	if got := e.counter("slow", "upstream_cx_connect_timeout"); got != 1 {
		t.Errorf("upstream_cx_connect_timeout = %d, want 1", got)
	}
	if got := e.counter("slow", "upstream_cx_connect_fail"); got != 1 {
		t.Errorf("upstream_cx_connect_fail = %d, want 1", got)
	}
}

func TestNoHealthyUpstream(t *testing.T) {
	e := newEnv(t, nil)
	e.update(t, &config.Cluster{Name: "eds", Type: config.EDS})
	c := e.cluster(t, "eds")
	if _, err := c.Pick(LBContext{}); !errors.Is(err, ErrNoHealthyUpstream) {
		t.Fatalf("Pick = %v, want ErrNoHealthyUpstream", err)
	}
	if _, err := c.Connect(context.Background(), LBContext{}); !errors.Is(err, ErrNoHealthyUpstream) {
		t.Fatalf("Connect = %v, want ErrNoHealthyUpstream", err)
	}
	if got := e.counter("eds", "upstream_cx_none_healthy"); got != 1 {
		t.Errorf("upstream_cx_none_healthy = %d, want 1", got)
	}
}

func TestConnectCircuitBreaker(t *testing.T) {
	e := newEnv(t, nil)
	s := startServer(t, holdOpen)
	cfg := staticCluster("cb", config.RoundRobin, s.addr)
	cfg.CircuitBreakers = config.CircuitBreakers{MaxConnections: 2, MaxPendingRequests: 1, MaxRequests: 1, MaxRetries: 1}
	e.update(t, cfg)
	c := e.cluster(t, "cb")
	a, err := c.Connect(context.Background(), LBContext{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Connect(context.Background(), LBContext{})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.gauge("cb", "circuit_breakers.default.cx_open"); got != 1 {
		t.Errorf("cx_open = %d at the limit, want 1", got)
	}
	if _, err := c.Connect(context.Background(), LBContext{}); !errors.Is(err, ErrOverflow) {
		t.Fatalf("third Connect = %v, want ErrOverflow", err)
	}
	if got := e.counter("cb", "upstream_cx_overflow"); got != 1 {
		t.Errorf("upstream_cx_overflow = %d, want 1", got)
	}
	a.Close()
	if got := e.gauge("cb", "circuit_breakers.default.cx_open"); got != 0 {
		t.Errorf("cx_open = %d below the limit, want 0", got)
	}
	d, err := c.Connect(context.Background(), LBContext{})
	if err != nil {
		t.Fatalf("Connect after a close: %v", err)
	}
	b.Close()
	d.Close()
}
