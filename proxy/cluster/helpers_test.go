package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for len(clusterGoroutines()) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if g := clusterGoroutines(); len(g) > 0 {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", strings.Join(g, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// clusterGoroutines returns the stacks of goroutines running this
// package's non-test code.
func clusterGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sidewire/proxy/cluster.") && !strings.Contains(g, "_test.go") {
			out = append(out, g)
		}
	}
	return out
}

// checkNoLeaks fails unless every goroutine of this package's code ends
// soon.
func checkNoLeaks(t testing.TB) {
	t.Helper()
	eventually(t, 3*time.Second, "cluster goroutines to stop", func() error {
		if g := clusterGoroutines(); len(g) > 0 {
			return fmt.Errorf("%d running:\n%s", len(g), strings.Join(g, "\n\n"))
		}
		return nil
	})
}

// eventually polls f until it returns nil or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// env is a Manager with its own stats store.
type env struct {
	m     *Manager
	store *telemetry.Store
}

func newEnv(t testing.TB, resolver *net.Resolver) *env {
	t.Helper()
	store := telemetry.NewStore()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m := NewManager(Options{Stats: store.Root(), Logger: log, Resolver: resolver})
	t.Cleanup(func() {
		m.Close()
		checkNoLeaks(t)
	})
	return &env{m: m, store: store}
}

func (e *env) scope(cluster string) *telemetry.Scope {
	return e.store.Root().Sub("cluster").Tagged("envoy_cluster_name", cluster)
}

func (e *env) counter(cluster, name string) uint64 { return e.scope(cluster).Counter(name).Value() }
func (e *env) gauge(cluster, name string) int64    { return e.scope(cluster).Gauge(name).Value() }

func (e *env) update(t testing.TB, cs ...*config.Cluster) {
	t.Helper()
	if err := e.m.Update(cs); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func (e *env) cluster(t testing.TB, name string) *Cluster {
	t.Helper()
	c := e.m.Get(name)
	if c == nil {
		t.Fatalf("cluster %q not found", name)
	}
	return c
}

// server is a real TCP server on 127.0.0.1. handle runs per connection;
// nil closes connections at once.
type server struct {
	t      testing.TB
	addr   netip.AddrPort
	handle func(net.Conn)

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func startServer(t testing.TB, handle func(net.Conn)) *server {
	t.Helper()
	s := &server{t: t, handle: handle, conns: map[net.Conn]bool{}}
	s.listen("127.0.0.1:0")
	t.Cleanup(s.stop)
	return s
}

func (s *server) listen(addr string) {
	s.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("listen %s: %v", addr, err)
	}
	s.addr = netip.MustParseAddrPort(ln.Addr().String())
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go s.accept(ln)
}

func (s *server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if s.handle != nil {
				s.handle(c)
			}
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// stop closes the listener and every open connection and waits.
func (s *server) stop() {
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// restart listens again on the same address.
func (s *server) restart() { s.listen(s.addr.String()) }

// holdOpen keeps connections open until the peer or the server closes.
func holdOpen(c net.Conn) { io.Copy(io.Discard, c) }

// refusedAddr is a loopback address nothing listens on.
func refusedAddr(t testing.TB) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	return ap
}

func ep(ap netip.AddrPort) config.Endpoint {
	return config.Endpoint{Address: config.Address{Host: ap.Addr().String(), Port: uint32(ap.Port())}, Weight: 1}
}

// staticCluster is a STATIC cluster with the endpoints at priority 0.
func staticCluster(name string, policy config.LBPolicy, aps ...netip.AddrPort) *config.Cluster {
	loc := config.LocalityEndpoints{}
	for _, ap := range aps {
		loc.Endpoints = append(loc.Endpoints, ep(ap))
	}
	return &config.Cluster{
		Name:           name,
		Type:           config.Static,
		ConnectTimeout: time.Second,
		LBPolicy:       policy,
		LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{loc}},
	}
}

// fastHC is a TCP health check that runs every 20ms.
func fastHC(tcp *config.TCPHealthCheck) config.HealthCheck {
	return config.HealthCheck{
		Timeout:            200 * time.Millisecond,
		Interval:           20 * time.Millisecond,
		UnhealthyThreshold: 2,
		HealthyThreshold:   2,
		TCP:                tcp,
	}
}

func hostByAddr(c *Cluster, ap netip.AddrPort) *Host {
	for _, h := range c.Hosts() {
		if h.AddrPort() == ap {
			return h
		}
	}
	return nil
}

func wantFlags(h *Host, want string) func() error {
	return func() error {
		if got := h.HealthFlags(); got != want {
			return fmt.Errorf("host %s health_flags %q, want %q", h, got, want)
		}
		return nil
	}
}

func isErr(err, target error) bool { return errors.Is(err, target) }
