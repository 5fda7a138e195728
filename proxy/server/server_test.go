package server

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

func snapshot(listeners []*config.Listener, upstreams ...*testpeer.Echo) *config.Snapshot {
	s := &config.Snapshot{Listeners: listeners}
	for i, u := range upstreams {
		s.Clusters = append(s.Clusters, &config.Cluster{
			Name: clusterName(i), Type: config.Static, ConnectTimeout: time.Second,
			LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{
				Endpoints: []config.Endpoint{{Address: config.Address{Host: "127.0.0.1", Port: uint32(u.Addr().Port)}, Weight: 1}},
			}}},
		})
	}
	return s
}

func clusterName(i int) string { return "c" + string(rune('0'+i)) }

func tcpListener(name string, port uint32, cluster string) *config.Listener {
	return &config.Listener{
		Name:    name,
		Address: config.Address{Host: "127.0.0.1", Port: port},
		FilterChains: []*config.FilterChain{{Filters: []config.NetworkFilter{
			&config.TCPProxy{StatPrefix: name, Cluster: cluster, MaxConnectAttempts: 1},
		}}},
	}
}

func newServer(t *testing.T) *Server {
	t.Helper()
	s := New(Options{Stats: telemetry.NewStore(), DrainTime: 5 * time.Second})
	t.Cleanup(s.Close)
	return s
}

func echo(t *testing.T, c net.Conn, msg string) error {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(c, buf)
	return err
}

func addrOf(t *testing.T, s *Server, name string) string {
	t.Helper()
	l := s.Listeners()[name]
	if l == nil {
		t.Fatalf("no listener %q", name)
	}
	return l.Addr().String()
}

func TestApplyBindFailureChangesNothing(t *testing.T) {
	leakcheck.Check(t)
	up := testpeer.StartEcho(t)
	s := newServer(t)
	if err := s.Apply(context.Background(), snapshot([]*config.Listener{tcpListener("a", 0, "c0")}, up)); err != nil {
		t.Fatal(err)
	}
	first := s.Snapshot()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := uint32(taken.Addr().(*net.TCPAddr).Port)
	bad := snapshot([]*config.Listener{tcpListener("a", 0, "c0"), tcpListener("b", port, "c0")}, up)
	if err := s.Apply(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "bind listener \"b\"") {
		t.Fatalf("apply with a taken port: %v, want a bind error naming listener b", err)
	}
	if s.Snapshot() != first || len(s.Listeners()) != 1 {
		t.Fatalf("a failed apply changed the running config")
	}
	c, err := net.Dial("tcp", addrOf(t, s, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := echo(t, c, "still"); err != nil {
		t.Fatalf("listener a after the failed apply: %v", err)
	}
}

func TestApplyAddressChangeDrainsOldSocket(t *testing.T) {
	leakcheck.Check(t)
	up := testpeer.StartEcho(t)
	s := newServer(t)
	if err := s.Apply(context.Background(), snapshot([]*config.Listener{tcpListener("a", 0, "c0")}, up)); err != nil {
		t.Fatal(err)
	}
	oldAddr := addrOf(t, s, "a")
	live, err := net.Dial("tcp", oldAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := echo(t, live, "one"); err != nil {
		t.Fatal(err)
	}
	// Same name, a new concrete address.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint32(free.Addr().(*net.TCPAddr).Port)
	free.Close()
	moved := tcpListener("a", port, "c0")
	if err := s.Apply(context.Background(), snapshot([]*config.Listener{moved}, up)); err != nil {
		t.Fatal(err)
	}
	newAddr := addrOf(t, s, "a")
	if newAddr == oldAddr {
		t.Fatalf("address change kept the old socket %s", oldAddr)
	}
	if err := echo(t, live, "two"); err != nil {
		t.Fatalf("connection on the draining listener: %v", err)
	}
	if c, err := net.DialTimeout("tcp", oldAddr, time.Second); err == nil {
		c.Close()
		t.Fatalf("old socket %s still accepts while draining", oldAddr)
	}
	c, err := net.Dial("tcp", newAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := echo(t, c, "new"); err != nil {
		t.Fatalf("new listener: %v", err)
	}
}

func TestApplyRemovesListener(t *testing.T) {
	leakcheck.Check(t)
	up := testpeer.StartEcho(t)
	s := newServer(t)
	if err := s.Apply(context.Background(), snapshot([]*config.Listener{tcpListener("a", 0, "c0"), tcpListener("b", 0, "c0")}, up)); err != nil {
		t.Fatal(err)
	}
	bAddr := addrOf(t, s, "b")
	if err := s.Apply(context.Background(), snapshot([]*config.Listener{tcpListener("a", 0, "c0")}, up)); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Listeners()["b"]; ok {
		t.Fatalf("removed listener still listed")
	}
	if c, err := net.DialTimeout("tcp", bAddr, time.Second); err == nil {
		c.Close()
		t.Fatalf("removed listener still accepts")
	}
	if got := s.Stats().Root().Sub("listener_manager").Counter("listener_removed").Value(); got != 1 {
		t.Fatalf("listener_removed = %d, want 1", got)
	}
}
