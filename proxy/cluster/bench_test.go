package cluster

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

func benchCluster(b testing.TB, policy config.LBPolicy, levels ...[]config.HealthStatus) *Cluster {
	e := newEnv(b, nil)
	e.update(b, &config.Cluster{Name: "bench", Type: config.EDS, LBPolicy: policy})
	if err := e.m.UpdateEndpoints("bench", assignment(levels...)); err != nil {
		b.Fatal(err)
	}
	return e.cluster(b, "bench")
}

func tenHealthy() []config.HealthStatus {
	hs := make([]config.HealthStatus, 10)
	for i := range hs {
		hs[i] = healthy
	}
	return hs
}

func TestPickDoesNotAllocate(t *testing.T) {
	half := tenHealthy()
	for i := range 5 {
		half[i] = unhealthy
	}
	for _, policy := range []config.LBPolicy{config.RoundRobin, config.LeastRequest, config.Random, config.RingHash, config.Maglev} {
		c := benchCluster(t, policy, half, tenHealthy())
		var k uint64
		allocs := testing.AllocsPerRun(1000, func() {
			k++
			if _, err := c.Pick(LBContext{Hash: k, HasHash: k%2 == 0}); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%v: Pick allocates %.1f times, want 0", policy, allocs)
		}
	}
	// The error path does not allocate either.
	e := newEnv(t, nil)
	e.update(t, &config.Cluster{Name: "empty", Type: config.EDS})
	c := e.cluster(t, "empty")
	if allocs := testing.AllocsPerRun(100, func() { c.Pick(LBContext{}) }); allocs != 0 {
		t.Errorf("failing Pick allocates %.1f times, want 0", allocs)
	}
}

func BenchmarkPick(b *testing.B) {
	half := tenHealthy()
	for i := range 5 {
		half[i] = unhealthy
	}
	for _, policy := range []config.LBPolicy{config.RoundRobin, config.LeastRequest, config.Random, config.RingHash, config.Maglev} {
		for _, prio := range []bool{false, true} {
			levels := [][]config.HealthStatus{tenHealthy()}
			if prio {
				levels = [][]config.HealthStatus{half, tenHealthy()}
			}
			c := benchCluster(b, policy, levels...)
			b.Run(fmt.Sprintf("%v/priorities=%v", policy, prio), func(b *testing.B) {
				b.ReportAllocs()
				var k uint64
				for b.Loop() {
					k += 0x9e3779b97f4a7c15
					if _, err := c.Pick(LBContext{Hash: k, HasHash: true}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkPickParallel(b *testing.B) {
	c := benchCluster(b, config.RoundRobin, tenHealthy())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Pick(LBContext{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkConnect measures a full upstream connect and close against a
// loopback listener that accepts and closes.
func BenchmarkConnect(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-done }()
	e := newEnv(b, nil)
	s := staticCluster("bench", config.RoundRobin, netipAddrPort(b, ln.Addr()))
	e.update(b, s)
	c := e.cluster(b, "bench")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		up, err := c.Connect(ctx, LBContext{})
		if err != nil {
			b.Fatal(err)
		}
		up.Conn.SetLinger(0) // reset: no TIME_WAIT to exhaust ephemeral ports
		up.Close()
	}
}

func netipAddrPort(_ testing.TB, a net.Addr) netip.AddrPort {
	return a.(*net.TCPAddr).AddrPort()
}
