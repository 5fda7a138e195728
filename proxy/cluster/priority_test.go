package cluster

import (
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestComputeLoads(t *testing.T) {
	type lc = levelCounts
	tests := []struct {
		name             string
		levels           []lc
		factor           uint32
		healthy, degrade []uint32
		panic            []bool
	}{
		{"all healthy", []lc{{4, 4, 0}}, 140, []uint32{100}, []uint32{0}, []bool{false}},
		{"p0 half healthy spills 30%", []lc{{4, 2, 0}, {4, 4, 0}}, 140, []uint32{70, 30}, []uint32{0, 0}, []bool{false, false}},
		{"p0 down", []lc{{4, 0, 0}, {4, 4, 0}}, 140, []uint32{0, 100}, []uint32{0, 0}, []bool{false, false}},
		{"p0 75% at factor 100", []lc{{4, 3, 0}, {4, 4, 0}}, 100, []uint32{75, 25}, []uint32{0, 0}, []bool{false, false}},
		{"three levels capped", []lc{{3, 1, 0}, {3, 1, 0}, {3, 1, 0}}, 140, []uint32{46, 46, 8}, []uint32{0, 0, 0}, []bool{false, false, false}},
		{"scaled to availability, remainder to first", []lc{{2, 1, 0}, {3, 1, 0}}, 100, []uint32{61, 39}, []uint32{0, 0}, []bool{false, true}},
		{"empty p0 in panic, p1 takes all", []lc{{2, 0, 0}, {2, 1, 0}}, 140, []uint32{0, 100}, []uint32{0, 0}, []bool{true, false}},
		{"total panic by host count", []lc{{10, 1, 0}, {30, 3, 0}}, 140, []uint32{25, 75}, []uint32{0, 0}, []bool{true, true}},
		{"degraded take the rest", []lc{{4, 1, 2}}, 140, []uint32{35}, []uint32{65}, []bool{false}},
		{"only degraded", []lc{{2, 0, 2}}, 140, []uint32{0}, []uint32{100}, []bool{false}},
		{"no hosts", []lc{{0, 0, 0}}, 140, []uint32{100}, []uint32{0}, []bool{true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := computeLoads(tc.levels, tc.factor)
			if !reflect.DeepEqual(l.healthy, tc.healthy) || !reflect.DeepEqual(l.degraded, tc.degrade) || !reflect.DeepEqual(l.panic, tc.panic) {
				t.Fatalf("computeLoads = healthy %v degraded %v panic %v, want %v %v %v",
					l.healthy, l.degraded, l.panic, tc.healthy, tc.degrade, tc.panic)
			}
			var sum uint32
			for i := range l.healthy {
				sum += l.healthy[i] + l.degraded[i]
			}
			if sum != 100 {
				t.Fatalf("loads sum to %d, want 100", sum)
			}
		})
	}
}

func TestChoosePriority(t *testing.T) {
	l := loads{healthy: []uint32{70, 20}, degraded: []uint32{0, 10}, panic: []bool{false, false}}
	counts := map[string]int{}
	for r := range uint64(100) {
		p, d := l.choose(r)
		counts[fmt.Sprint(p, d)]++
	}
	if counts["0 false"] != 70 || counts["1 false"] != 20 || counts["1 true"] != 10 {
		t.Fatalf("choose over 0..99 = %v, want 70/20/10", counts)
	}
}

// edsEndpoint is an endpoint at 10.0.<priority>.<i>:80 with a health.
func edsEndpoint(prio, i int, health config.HealthStatus) config.Endpoint {
	return config.Endpoint{Address: config.Address{Host: fmt.Sprintf("10.0.%d.%d", prio, i), Port: 80}, Weight: 1, Health: health}
}

// assignment builds one locality per priority from per-priority health
// lists.
func assignment(levels ...[]config.HealthStatus) *config.LoadAssignment {
	la := &config.LoadAssignment{}
	for p, hs := range levels {
		loc := config.LocalityEndpoints{Priority: uint32(p)}
		for i, h := range hs {
			loc.Endpoints = append(loc.Endpoints, edsEndpoint(p, i+1, h))
		}
		la.Localities = append(la.Localities, loc)
	}
	return la
}

// pickShares picks n times and returns the share of picks per host.
func pickShares(t *testing.T, c *Cluster, n int) map[string]float64 {
	t.Helper()
	counts := map[string]int{}
	for range n {
		h, err := c.Pick(LBContext{})
		if err != nil {
			t.Fatalf("Pick: %v", err)
		}
		counts[h.String()]++
	}
	out := map[string]float64{}
	for k, v := range counts {
		out[k] = float64(v) / float64(n)
	}
	return out
}

func expectShare(t *testing.T, shares map[string]float64, host string, want, tol float64) {
	t.Helper()
	if got := shares[host]; math.Abs(got-want) > tol {
		t.Errorf("host %s share %.3f, want %.3f ± %.2f (all %v)", host, got, want, tol, shares)
	}
}

const (
	healthy   = config.HealthHealthy
	unhealthy = config.HealthUnhealthy
	degraded  = config.HealthDegraded
)

func TestPriorityLevelsAndPanic(t *testing.T) {
	e := newEnv(t, nil)
	e.update(t, &config.Cluster{Name: "prio", Type: config.EDS, LBPolicy: config.RoundRobin})
	c := e.cluster(t, "prio")
	set := func(la *config.LoadAssignment) {
		t.Helper()
		if err := e.m.UpdateEndpoints("prio", la); err != nil {
			t.Fatal(err)
		}
	}

	set(assignment([]config.HealthStatus{healthy, healthy}, []config.HealthStatus{healthy, healthy}))
	s := pickShares(t, c, 1000)
	expectShare(t, s, "10.0.0.1:80", 0.5, 0.01)
	expectShare(t, s, "10.0.0.2:80", 0.5, 0.01)

	// P0 half healthy: availability 70%, 30% spills to P1.
	set(assignment([]config.HealthStatus{healthy, unhealthy}, []config.HealthStatus{healthy, healthy}))
	s = pickShares(t, c, 40_000)
	expectShare(t, s, "10.0.0.1:80", 0.70, 0.02)
	expectShare(t, s, "10.0.0.2:80", 0, 0)
	expectShare(t, s, "10.0.1.1:80", 0.15, 0.02)
	expectShare(t, s, "10.0.1.2:80", 0.15, 0.02)
	if got := e.gauge("prio", "membership_healthy"); got != 3 {
		t.Errorf("membership_healthy = %d, want 3", got)
	}
	if got := e.gauge("prio", "membership_total"); got != 4 {
		t.Errorf("membership_total = %d, want 4", got)
	}

	// A single level with 1 of 4 hosts healthy is in panic: all 4 serve.
	before := e.counter("prio", "lb_healthy_panic")
	set(assignment([]config.HealthStatus{healthy, unhealthy, unhealthy, unhealthy}))
	s = pickShares(t, c, 40_000)
	for i := 1; i <= 4; i++ {
		expectShare(t, s, fmt.Sprintf("10.0.0.%d:80", i), 0.25, 0.02)
	}
	if got := e.counter("prio", "lb_healthy_panic") - before; got != 40_000 {
		t.Errorf("lb_healthy_panic counted %d, want 40000", got)
	}

	// Degraded hosts serve only what healthy ones cannot: 35% / 65%.
	set(assignment([]config.HealthStatus{healthy, degraded, degraded, unhealthy}))
	s = pickShares(t, c, 40_000)
	expectShare(t, s, "10.0.0.1:80", 0.35, 0.02)
	expectShare(t, s, "10.0.0.2:80", 0.325, 0.02)
	expectShare(t, s, "10.0.0.3:80", 0.325, 0.02)
	if got := e.gauge("prio", "membership_degraded"); got != 2 {
		t.Errorf("membership_degraded = %d, want 2", got)
	}
	for _, h := range c.Hosts() {
		want := map[string]string{"10.0.0.1:80": "healthy", "10.0.0.2:80": "/degraded_eds_health",
			"10.0.0.3:80": "/degraded_eds_health", "10.0.0.4:80": "/failed_eds_health"}[h.String()]
		if got := h.HealthFlags(); got != want {
			t.Errorf("host %s health_flags %q, want %q", h, got, want)
		}
	}
}

func TestHashPolicyIsConsistentAcrossPriorities(t *testing.T) {
	for _, policy := range []config.LBPolicy{config.RingHash, config.Maglev} {
		t.Run(policy.String(), func(t *testing.T) {
			e := newEnv(t, nil)
			e.update(t, &config.Cluster{Name: "hash", Type: config.EDS, LBPolicy: policy})
			la := assignment([]config.HealthStatus{healthy, unhealthy, healthy}, []config.HealthStatus{healthy, healthy})
			if err := e.m.UpdateEndpoints("hash", la); err != nil {
				t.Fatal(err)
			}
			c := e.cluster(t, "hash")
			spread := map[*Host]bool{}
			for k := range uint64(200) {
				ctx := LBContext{Hash: k * 0x9e3779b97f4a7c15, HasHash: true}
				first, err := c.Pick(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for range 5 {
					if h, _ := c.Pick(ctx); h != first {
						t.Fatalf("hash %x picked %s then %s", ctx.Hash, first, h)
					}
				}
				spread[first] = true
			}
			if len(spread) != 4 {
				t.Fatalf("200 hashes reached %d hosts, want the 4 healthy ones", len(spread))
			}
		})
	}
}

func TestOverprovisioningFactorFromAssignment(t *testing.T) {
	e := newEnv(t, nil)
	e.update(t, &config.Cluster{Name: "op", Type: config.EDS})
	la := assignment([]config.HealthStatus{healthy, healthy, healthy, unhealthy}, []config.HealthStatus{healthy})
	la.OverprovisioningFactor = 100
	if err := e.m.UpdateEndpoints("op", la); err != nil {
		t.Fatal(err)
	}
	s := pickShares(t, e.cluster(t, "op"), 40_000)
	expectShare(t, s, netip.MustParseAddrPort("10.0.1.1:80").String(), 0.25, 0.02)
}
