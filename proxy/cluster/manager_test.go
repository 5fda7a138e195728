package cluster

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestManagerUpdateKeepsChangesRemoves(t *testing.T) {
	e := newEnv(t, nil)
	a, b := startServer(t, holdOpen), startServer(t, holdOpen)
	e.update(t, staticCluster("a", config.RoundRobin, a.addr), staticCluster("b", config.RoundRobin, b.addr))
	ca, cb := e.cluster(t, "a"), e.cluster(t, "b")

	// a identical (a new but equal config), b changed, c added.
	changed := staticCluster("b", config.Random, b.addr)
	e.update(t, staticCluster("c", config.RoundRobin, a.addr), staticCluster("a", config.RoundRobin, a.addr), changed)
	if e.m.Get("a") != ca {
		t.Error("identical config replaced the running cluster")
	}
	if nb := e.m.Get("b"); nb == cb || nb.Config() != changed {
		t.Error("changed config kept the old cluster")
	}
	var names []string
	for _, c := range e.m.All() {
		names = append(names, c.Name())
	}
	if !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Errorf("All = %v, want sorted a b c", names)
	}
	mgr := e.store.Root().Sub("cluster_manager")
	check := func(name string, want uint64) {
		t.Helper()
		if got := mgr.Counter(name).Value(); got != want {
			t.Errorf("cluster_manager.%s = %d, want %d", name, got, want)
		}
	}
	check("cluster_added", 3)
	check("cluster_modified", 1)
	check("cluster_removed", 0)
	if got := mgr.Gauge("active_clusters").Value(); got != 3 {
		t.Errorf("active_clusters = %d, want 3", got)
	}

	e.update(t, staticCluster("c", config.RoundRobin, a.addr))
	if e.m.Get("a") != nil || e.m.Get("b") != nil {
		t.Error("removed clusters still returned by Get")
	}
	check("cluster_removed", 2)
	if got := mgr.Gauge("active_clusters").Value(); got != 1 {
		t.Errorf("active_clusters = %d, want 1", got)
	}
	if got := e.gauge("a", "membership_total"); got != 0 {
		t.Errorf("removed cluster's membership_total = %d, want 0", got)
	}
	if got := e.gauge("c", "membership_total"); got != 1 {
		t.Errorf("membership_total = %d, want 1", got)
	}
}

func TestManagerUpdateValidation(t *testing.T) {
	good := staticCluster("good", config.RoundRobin, refusedAddr(t))
	mod := func(f func(c *config.Cluster)) *config.Cluster {
		c := staticCluster("bad", config.RoundRobin, refusedAddr(t))
		f(c)
		return c
	}
	tests := []struct {
		name string
		cs   []*config.Cluster
	}{
		{"nil", []*config.Cluster{nil}},
		{"empty name", []*config.Cluster{mod(func(c *config.Cluster) { c.Name = "" })}},
		{"duplicate", []*config.Cluster{good, good}},
		{"static hostname", []*config.Cluster{mod(func(c *config.Cluster) { c.LoadAssignment.Localities[0].Endpoints[0].Address.Host = "example.com" })}},
		{"port 0", []*config.Cluster{mod(func(c *config.Cluster) { c.LoadAssignment.Localities[0].Endpoints[0].Address.Port = 0 })}},
		{"no load assignment", []*config.Cluster{mod(func(c *config.Cluster) { c.LoadAssignment = nil })}},
		{"maglev size not prime", []*config.Cluster{mod(func(c *config.Cluster) { c.LBPolicy = config.Maglev; c.MaglevTableSize = 1000 })}},
		{"lookup family", []*config.Cluster{mod(func(c *config.Cluster) { c.Type = config.StrictDNS; c.DNSLookupFamily = "v5" })}},
		{"logical dns two endpoints", []*config.Cluster{mod(func(c *config.Cluster) {
			c.Type = config.LogicalDNS
			c.LoadAssignment.Localities[0].Endpoints = append(c.LoadAssignment.Localities[0].Endpoints, c.LoadAssignment.Localities[0].Endpoints[0])
		})}},
		{"health check interval", []*config.Cluster{mod(func(c *config.Cluster) { c.HealthChecks = []config.HealthCheck{{Timeout: time.Second}} })}},
		{"priority gap", []*config.Cluster{mod(func(c *config.Cluster) { c.LoadAssignment.Localities[0].Priority = 1 })}},
		{"huge priority", []*config.Cluster{mod(func(c *config.Cluster) { c.LoadAssignment.Localities[0].Priority = 1 << 31 })}},
		{"outlier percent", []*config.Cluster{mod(func(c *config.Cluster) { c.OutlierDetection = &config.OutlierDetection{MaxEjectionPercent: 101} })}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.update(t, good)
			err := e.m.Update(tc.cs)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Update = %v, want ErrInvalidConfig", err)
			}
			if e.m.Get("good") == nil || len(e.m.All()) != 1 {
				t.Fatal("a rejected update changed the running clusters")
			}
		})
	}
}

func TestUpdateCarriesHealthState(t *testing.T) {
	var answer atomic.Bool
	answer.Store(true)
	s := startServer(t, lineServer(func(string) string {
		if answer.Load() {
			return "+PONG\r\n"
		}
		time.Sleep(time.Second)
		return ""
	}, true))
	dead := refusedAddr(t)
	e := newEnv(t, nil)
	cfg := staticCluster("carry", config.RoundRobin, s.addr, dead)
	hc := fastHC(&config.TCPHealthCheck{Send: []byte("PING\r\n"), Receive: [][]byte{[]byte("+PONG")}})
	hc.Timeout = 2 * time.Second
	cfg.HealthChecks = []config.HealthCheck{hc}
	od := fastOD(1)
	od.BaseEjectionTime = time.Hour
	cfg.OutlierDetection = od
	e.update(t, cfg)
	v1 := e.cluster(t, "carry")
	live := hostByAddr(v1, s.addr)
	eventually(t, 3*time.Second, "live host healthy", wantFlags(live, "healthy"))
	eventually(t, 3*time.Second, "dead host checked", wantFlags(hostByAddr(v1, dead), "/failed_active_hc"))
	hostByAddr(v1, dead).ReportFailure(true)
	if got := hostByAddr(v1, dead).HealthFlags(); got != "/failed_active_hc/failed_outlier_check" {
		t.Fatalf("dead host %q, want failed by both", got)
	}

	// v2's first checks will hang; the carried state must hold meanwhile.
	answer.Store(false)
	cfg2 := *cfg
	cfg2.ConnectTimeout = 2 * time.Second
	e.update(t, &cfg2)
	v2 := e.cluster(t, "carry")
	if v2 == v1 {
		t.Fatal("changed config kept the cluster")
	}
	if got := hostByAddr(v2, s.addr).HealthFlags(); got != "healthy" {
		t.Errorf("carried live host %q, want healthy", got)
	}
	// Its first v2 check (refused at once) may or may not have finished.
	if got := strings.TrimSuffix(hostByAddr(v2, dead).HealthFlags(), "/pending_active_hc"); got != "/failed_active_hc/failed_outlier_check" {
		t.Errorf("carried dead host %q, want still ejected and failing", got)
	}
	if got := e.scope("carry").Sub("outlier_detection").Gauge("ejections_active").Value(); got != 1 {
		t.Errorf("ejections_active after update = %d, want 1", got)
	}
	if h, err := v2.Pick(LBContext{}); err != nil || h.AddrPort() != s.addr {
		t.Errorf("Pick = %v, %v; want the carried healthy host", h, err)
	}
}

func TestEDSUpdateEndpoints(t *testing.T) {
	e := newEnv(t, nil)
	e.update(t, &config.Cluster{Name: "eds", Type: config.EDS, HealthChecks: nil})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.m.WaitWarm(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitWarm before any assignment = %v, want deadline exceeded", err)
	}
	la := assignment([]config.HealthStatus{healthy, healthy})
	if err := e.m.UpdateEndpoints("eds", la); err != nil {
		t.Fatal(err)
	}
	if err := e.m.WaitWarm(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.cluster(t, "eds")
	h1 := c.Hosts()[0]
	la2 := assignment([]config.HealthStatus{healthy, healthy, healthy})
	la2.Localities[0].Endpoints[0].Weight = 7
	if err := e.m.UpdateEndpoints("eds", la2); err != nil {
		t.Fatal(err)
	}
	if got := c.Hosts(); len(got) != 3 || got[0] != h1 || h1.Weight() != 7 {
		t.Fatalf("after reweighting: %d hosts, same first host %v, weight %d; want 3, true, 7", len(got), got[0] == h1, h1.Weight())
	}
	if got := e.gauge("eds", "max_host_weight"); got != 7 {
		t.Errorf("max_host_weight = %d, want 7", got)
	}
	if c.Config().LoadAssignment != la2 {
		t.Error("Config().LoadAssignment is not the last assignment")
	}

	// An equal cluster config from CDS keeps the cluster and applies its
	// assignment, if it carries one.
	la3 := assignment([]config.HealthStatus{healthy})
	e.update(t, &config.Cluster{Name: "eds", Type: config.EDS, LoadAssignment: la3})
	if e.m.Get("eds") != c || len(c.Hosts()) != 1 {
		t.Fatalf("CDS update with an assignment: same cluster %v, %d hosts; want true, 1", e.m.Get("eds") == c, len(c.Hosts()))
	}
	// A changed config inherits the last assignment.
	e.update(t, &config.Cluster{Name: "eds", Type: config.EDS, LBPolicy: config.Random})
	if nc := e.m.Get("eds"); nc == c || len(nc.Hosts()) != 1 {
		t.Fatalf("changed EDS cluster: new %v, %d hosts; want true, 1", nc != c, len(nc.Hosts()))
	}
}

func TestUpdateEndpointsErrors(t *testing.T) {
	e := newEnv(t, nil)
	e.update(t, &config.Cluster{Name: "eds", Type: config.EDS}, staticCluster("static", config.RoundRobin, refusedAddr(t)))
	bad := assignment([]config.HealthStatus{healthy})
	bad.Localities[0].Endpoints[0].Address.Host = "not-an-ip"
	tests := []struct {
		name, cluster string
		la            *config.LoadAssignment
		want          error
	}{
		{"unknown", "nope", assignment(), ErrUnknownCluster},
		{"not eds", "static", assignment(), ErrInvalidConfig},
		{"hostname", "eds", bad, ErrInvalidConfig},
		{"nil", "eds", nil, ErrInvalidConfig},
	}
	for _, tc := range tests {
		if err := e.m.UpdateEndpoints(tc.cluster, tc.la); !errors.Is(err, tc.want) {
			t.Errorf("%s: UpdateEndpoints = %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := len(e.cluster(t, "eds").Hosts()); n != 0 {
		t.Fatalf("rejected updates left %d hosts", n)
	}
}

func TestRemovedClusterStopsGoroutines(t *testing.T) {
	dns := startDNS(t)
	s := startServer(t, nil)
	dns.set(dnsName, "127.0.0.1")
	e := newEnv(t, dns.resolver())
	sd := dnsCluster("busy", config.StrictDNS, dnsName, s.addr.Port())
	sd.HealthChecks = []config.HealthCheck{fastHC(nil), fastHC(nil)}
	sd.OutlierDetection = fastOD(3)
	e.update(t, sd)
	if err := e.m.WaitWarm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(clusterGoroutines()); n < 4 {
		t.Fatalf("%d cluster goroutines running, want DNS + 2 health checks + outlier sweep", n)
	}
	e.update(t)
	checkNoLeaks(t)
}

func TestClosedManager(t *testing.T) {
	e := newEnv(t, nil)
	e.update(t, &config.Cluster{Name: "eds", Type: config.EDS})
	e.m.Close()
	e.m.Close() // idempotent
	if err := e.m.Update(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	if err := e.m.UpdateEndpoints("eds", assignment()); !errors.Is(err, ErrClosed) {
		t.Errorf("UpdateEndpoints after Close = %v, want ErrClosed", err)
	}
	if e.m.Get("eds") != nil {
		t.Error("Get after Close returned a cluster")
	}
}

func TestStatNamesLint(t *testing.T) {
	dns := startDNS(t)
	dns.set(dnsName, "127.0.0.1")
	e := newEnv(t, dns.resolver())
	full := staticCluster("full", config.Maglev, refusedAddr(t))
	full.HealthChecks = []config.HealthCheck{fastHC(nil)}
	full.OutlierDetection = fastOD(1)
	e.update(t, full, dnsCluster("dns", config.StrictDNS, dnsName, 80), &config.Cluster{Name: "eds.with.dots", Type: config.EDS})
	if err := e.store.Lint(); err != nil {
		t.Fatalf("stat names: %v", err)
	}
}

func TestNilOptions(t *testing.T) {
	m := NewManager(Options{})
	defer m.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := m.Update([]*config.Cluster{staticCluster("x", config.LeastRequest, refusedAddr(t))}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get("x").Pick(LBContext{}); err != nil {
		t.Fatal(err)
	}
}

// TestUpdateRemoveThenReadd checks the bookkeeping of what was applied:
// a config given again after its cluster was removed starts a new
// cluster, and an unsorted list with a repeated name is refused.
func TestUpdateRemoveThenReadd(t *testing.T) {
	e := newEnv(t, nil)
	ap := netip.MustParseAddrPort("127.0.0.1:1")
	a, b := staticCluster("a", config.RoundRobin, ap), staticCluster("b", config.RoundRobin, ap)
	e.update(t, a, b)
	first := e.cluster(t, "a")
	e.update(t, b)
	if e.m.Get("a") != nil {
		t.Fatal("cluster a still running after an update without it")
	}
	e.update(t, a, b)
	if c := e.cluster(t, "a"); c == first || len(c.Hosts()) != 1 {
		t.Errorf("re-added cluster a: same object as before %v, %d hosts; want a new cluster with 1 host", c == first, len(c.Hosts()))
	}
	cp := *a
	if err := e.m.Update([]*config.Cluster{b, a, &cp}); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("Update with a repeated name = %v, want a duplicate cluster name error", err)
	}
	if got := len(e.m.All()); got != 2 {
		t.Errorf("%d clusters after the refused update, want 2", got)
	}
}
