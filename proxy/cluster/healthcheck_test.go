package cluster

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestHealthCheckClosedPortAndBack(t *testing.T) {
	e := newEnv(t, nil)
	s := startServer(t, nil)
	cfg := staticCluster("hc", config.RoundRobin, s.addr)
	cfg.HealthChecks = []config.HealthCheck{fastHC(nil)}
	e.update(t, cfg)
	c := e.cluster(t, "hc")
	h := c.Hosts()[0]
	if err := e.m.WaitWarm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !c.Warm() {
		t.Fatal("cluster not warm after WaitWarm")
	}
	// The first passing check makes the host healthy at once.
	if got := h.HealthFlags(); got != "healthy" {
		t.Fatalf("after warm-up health_flags %q, want healthy", got)
	}
	hc := e.scope("hc").Sub("health_check")
	if hc.Gauge("healthy").Value() != 1 {
		t.Errorf("health_check.healthy = %d, want 1", hc.Gauge("healthy").Value())
	}

	s.stop()
	eventually(t, 3*time.Second, "host marked unhealthy", wantFlags(h, "/failed_active_hc"))
	if _, err := c.Pick(LBContext{}); err != nil {
		// One host of one: the level is in panic and still serves it.
		t.Fatalf("Pick in panic: %v", err)
	}
	if got := e.counter("hc", "lb_healthy_panic"); got == 0 {
		t.Error("lb_healthy_panic not counted")
	}
	if hc.Counter("network_failure").Value() < 2 || hc.Counter("failure").Value() < 2 {
		t.Errorf("network_failure %d failure %d, want >= 2 each", hc.Counter("network_failure").Value(), hc.Counter("failure").Value())
	}
	if hc.Gauge("healthy").Value() != 0 || e.gauge("hc", "membership_healthy") != 0 {
		t.Errorf("health_check.healthy %d membership_healthy %d, want 0", hc.Gauge("healthy").Value(), e.gauge("hc", "membership_healthy"))
	}

	s.restart()
	eventually(t, 3*time.Second, "host healthy again", wantFlags(h, "healthy"))
	if hc.Counter("attempt").Value() < hc.Counter("success").Value()+hc.Counter("failure").Value() {
		t.Errorf("attempt %d < success %d + failure %d", hc.Counter("attempt").Value(), hc.Counter("success").Value(), hc.Counter("failure").Value())
	}
}

func TestHealthCheckStartsFailedUntilFirstPass(t *testing.T) {
	e := newEnv(t, nil)
	dead := refusedAddr(t)
	cfg := staticCluster("pending", config.RoundRobin, dead)
	hc := fastHC(nil)
	hc.Interval = time.Hour // one check only
	cfg.HealthChecks = []config.HealthCheck{hc}
	e.update(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := e.m.WaitWarm(ctx); err != nil {
		t.Fatal(err)
	}
	// The first check failed: still failed, no longer pending.
	if got := e.cluster(t, "pending").Hosts()[0].HealthFlags(); got != "/failed_active_hc" {
		t.Fatalf("health_flags %q, want /failed_active_hc", got)
	}
}

func TestHealthCheckPendingFlags(t *testing.T) {
	e := newEnv(t, nil)
	// A server that never answers keeps the first check in flight.
	s := startServer(t, holdOpen)
	cfg := staticCluster("slowhc", config.RoundRobin, s.addr)
	hc := fastHC(&config.TCPHealthCheck{Send: []byte("ping"), Receive: [][]byte{[]byte("pong")}})
	hc.Timeout = 5 * time.Second
	cfg.HealthChecks = []config.HealthCheck{hc}
	e.update(t, cfg)
	c := e.cluster(t, "slowhc")
	if got := c.Hosts()[0].HealthFlags(); got != "/failed_active_hc/pending_active_hc" {
		t.Fatalf("new host health_flags %q, want /failed_active_hc/pending_active_hc", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.m.WaitWarm(ctx); err == nil {
		t.Fatal("WaitWarm returned before the first check finished")
	}
}

// lineServer answers each line with reply(line), then closes if close.
func lineServer(reply func(string) string, closeAfter bool) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if _, err := c.Write([]byte(reply(line))); err != nil || closeAfter {
				return
			}
		}
	}
}

func TestHealthCheckPayload(t *testing.T) {
	tests := []struct {
		name        string
		handle      func(net.Conn)
		receive     [][]byte
		wantHealthy bool
		wantNetwork bool
	}{
		{"contiguous match", lineServer(func(string) string { return "+PONG\r\n" }, false), [][]byte{[]byte("+PONG")}, true, false},
		{"chunks in order, apart", lineServer(func(string) string { return "+PO..NG\r\n" }, false), [][]byte{[]byte("+PO"), []byte("NG")}, true, false},
		{"split across writes", func(c net.Conn) {
			bufio.NewReader(c).ReadString('\n')
			c.Write([]byte("+PO"))
			time.Sleep(10 * time.Millisecond)
			c.Write([]byte("NG\r\n"))
			holdOpen(c)
		}, [][]byte{[]byte("+PONG")}, true, false},
		{"chunks out of order", lineServer(func(string) string { return "NG+PO\r\n" }, true), [][]byte{[]byte("+PO"), []byte("NG")}, false, false},
		{"wrong answer then close", lineServer(func(string) string { return "-ERR\r\n" }, true), [][]byte{[]byte("+PONG")}, false, false},
		{"close without answer", func(c net.Conn) {}, [][]byte{[]byte("+PONG")}, false, true},
		{"no answer within timeout", holdOpen, [][]byte{[]byte("+PONG")}, false, true},
		{"send only", holdOpen, nil, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.handle)
			hc := config.HealthCheck{Timeout: 100 * time.Millisecond, Interval: time.Second,
				TCP: &config.TCPHealthCheck{Send: []byte("PING\r\n"), Receive: tc.receive}}
			ok, network := tcpCheck(context.Background(), s.addr, hc, nil)
			if ok != tc.wantHealthy || network != tc.wantNetwork {
				t.Fatalf("tcpCheck = ok %v network %v, want %v %v", ok, network, tc.wantHealthy, tc.wantNetwork)
			}
		})
	}
}

func TestHealthCheckThresholds(t *testing.T) {
	e := newEnv(t, nil)
	inject := make(chan string, 100) // answers for the next checks
	var failing atomic.Bool          // answer every check wrongly
	s := startServer(t, lineServer(func(string) string {
		select {
		case a := <-inject:
			return a
		default:
		}
		if failing.Load() {
			return "-ERR\r\n"
		}
		return "+PONG\r\n"
	}, true))
	cfg := staticCluster("thr", config.RoundRobin, s.addr)
	hc := fastHC(&config.TCPHealthCheck{Send: []byte("PING\r\n"), Receive: [][]byte{[]byte("+PONG")}})
	hc.UnhealthyThreshold = 3
	cfg.HealthChecks = []config.HealthCheck{hc}
	e.update(t, cfg)
	if err := e.m.WaitWarm(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := e.cluster(t, "thr").Hosts()[0]
	eventually(t, 2*time.Second, "healthy", wantFlags(h, "healthy"))
	hcs := e.scope("thr").Sub("health_check")
	failures := func() uint64 { return hcs.Counter("failure").Value() }
	successes := func() uint64 { return hcs.Counter("success").Value() }

	// Two bad answers in a row stay below the unhealthy threshold of 3.
	base := failures()
	inject <- "-ERR\r\n"
	inject <- "-ERR\r\n"
	eventually(t, 2*time.Second, "two failures and a success after them", func() error {
		if got := failures() - base; got < 2 || len(inject) > 0 {
			return fmt.Errorf("%d failures", got)
		}
		return nil
	})
	after := successes()
	eventually(t, 2*time.Second, "a success after the failures", func() error {
		if successes() == after {
			return fmt.Errorf("no success yet")
		}
		return nil
	})
	if got := h.HealthFlags(); got != "healthy" {
		t.Fatalf("after 2 failures health_flags %q, want healthy (threshold 3)", got)
	}

	failing.Store(true)
	base = failures()
	eventually(t, 2*time.Second, "unhealthy after consecutive failures", wantFlags(h, "/failed_active_hc"))
	if got := failures() - base; got < 3 {
		t.Fatalf("unhealthy after %d failures, want >= 3", got)
	}
	failing.Store(false)
	eventually(t, 2*time.Second, "healthy after 2 consecutive successes", wantFlags(h, "healthy"))
}

func TestMatchChunks(t *testing.T) {
	tests := []struct {
		buf    string
		chunks []string
		want   bool
	}{
		{"", nil, true},
		{"abc", []string{"abc"}, true},
		{"xxabcxx", []string{"b"}, true},
		{"a..b..c", []string{"a", "b", "c"}, true},
		{"c..b..a", []string{"a", "b", "c"}, false},
		{"aa", []string{"a", "a"}, true},
		{"a", []string{"a", "a"}, false},
		{"ab", []string{"abc"}, false},
	}
	for _, tc := range tests {
		var cs [][]byte
		for _, c := range tc.chunks {
			cs = append(cs, []byte(c))
		}
		if got := matchChunks([]byte(tc.buf), cs); got != tc.want {
			t.Errorf("matchChunks(%q, %q) = %v, want %v", tc.buf, tc.chunks, got, tc.want)
		}
	}
}
