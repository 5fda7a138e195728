package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// connectN opens n sequential connections through addr, each echoing one
// byte, so every one reaches an upstream.
func connectN(t *testing.T, addr string, n int) {
	t.Helper()
	for i := range n {
		got, err := roundTrip(addr, []byte{byte(i)})
		if err != nil || len(got) != 1 {
			t.Fatalf("connection %d: %q, %v", i, got, err)
		}
	}
}

func within(got, want int64, tol float64) bool {
	return math.Abs(float64(got)-float64(want)) <= tol*float64(want)
}

func TestWeightedClusters(t *testing.T) {
	a, b := testpeer.StartEcho(t), testpeer.StartEcho(t)
	p := startSidewire(t, bootstrapYAML(
		tcpListenerYAML("split", `weighted_clusters:
            clusters:
            - {name: a, weight: 1}
            - {name: b, weight: 3}`),
		clusterYAML("a", "ROUND_ROBIN", "", a.Addr().String())+clusterYAML("b", "ROUND_ROBIN", "", b.Addr().String())))
	const n = 800
	connectN(t, p.listener("split"), n)
	if !within(a.Served(), n/4, 0.25) || !within(b.Served(), 3*n/4, 0.1) {
		t.Fatalf("weighted 1:3 over %d connections: a=%d b=%d", n, a.Served(), b.Served())
	}
}

func TestLoadBalancingPolicies(t *testing.T) {
	cases := []struct {
		policy string
		hash   bool
		check  func(counts []int64, n int64) error
	}{
		{"ROUND_ROBIN", false, func(c []int64, n int64) error {
			for i, v := range c {
				if v != n/3 {
					return fmt.Errorf("host %d got %d, want exactly %d", i, v, n/3)
				}
			}
			return nil
		}},
		{"RANDOM", false, spread},
		{"LEAST_REQUEST", false, spread},
		// One client IP: consistent hashing sends every connection to one host.
		{"RING_HASH", true, oneHost},
		{"MAGLEV", true, oneHost},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			echos := []*testpeer.Echo{testpeer.StartEcho(t), testpeer.StartEcho(t), testpeer.StartEcho(t)}
			route := "cluster: up"
			if c.hash {
				route += "\n          hash_policy: [{source_ip: {}}]"
			}
			p := startSidewire(t, bootstrapYAML(tcpListenerYAML("lb", route),
				clusterYAML("up", c.policy, "", echos[0].Addr().String(), echos[1].Addr().String(), echos[2].Addr().String())))
			const n = 300
			connectN(t, p.listener("lb"), n)
			counts := []int64{echos[0].Served(), echos[1].Served(), echos[2].Served()}
			if err := c.check(counts, n); err != nil {
				t.Fatalf("%s: %v (counts %v)", c.policy, err, counts)
			}
		})
	}
}

func spread(c []int64, n int64) error {
	for i, v := range c {
		if !within(v, n/3, 0.4) {
			return fmt.Errorf("host %d got %d of %d, want about a third", i, v, n)
		}
	}
	return nil
}

func oneHost(c []int64, n int64) error {
	hit := 0
	for _, v := range c {
		if v == n {
			hit++
		} else if v != 0 {
			return fmt.Errorf("a host got %d of %d: hashing is not consistent", v, n)
		}
	}
	if hit != 1 {
		return fmt.Errorf("no host got all %d connections", n)
	}
	return nil
}

func TestHealthCheckEjectsDeadEndpoint(t *testing.T) {
	live, doomed := testpeer.StartEcho(t), testpeer.StartEcho(t)
	hc := `
    health_checks:
    - timeout: 0.2s
      interval: 0.1s
      unhealthy_threshold: 1
      healthy_threshold: 1
      tcp_health_check: {}`
	p := startSidewire(t, bootstrapYAML(tcpListenerYAML("hc", "cluster: up"),
		clusterYAML("up", "ROUND_ROBIN", hc, live.Addr().String(), doomed.Addr().String())))
	addr := p.listener("hc")
	connectN(t, addr, 10)
	if doomed.Served() == 0 {
		t.Fatalf("both hosts healthy, but the second got no connections")
	}
	doomed.Close()
	eventually(t, 5*time.Second, "dead host marked failed_active_hc", func() error {
		_, body := p.get("/clusters")
		line := "up::" + doomed.Addr().String() + "::health_flags::/failed_active_hc"
		if !strings.Contains(body, line) {
			return fmt.Errorf("no %q in /clusters:\n%s", line, body)
		}
		return nil
	})
	before := live.Served()
	connectN(t, addr, 20) // fails the test if any connection lands on the dead host
	if got := live.Served() - before; got != 20 {
		t.Fatalf("live host got %d of 20 connections after the other died", got)
	}
	if got := p.stat("cluster.up.health_check.failure"); got < 1 {
		t.Fatalf("cluster.up.health_check.failure = %d, want >= 1", got)
	}
}
