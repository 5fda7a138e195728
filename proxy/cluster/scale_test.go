package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// TestUpdateSameConfigIsSkipped checks that a config given again as the
// same value leaves its cluster alone (no membership work), while a new
// invalid config next to it still fails the whole update.
func TestUpdateSameConfigIsSkipped(t *testing.T) {
	e := newEnv(t, nil)
	a := &config.Cluster{Name: "a", Type: config.EDS, LoadAssignment: assignment([]config.HealthStatus{healthy, healthy})}
	e.update(t, a)
	c := e.cluster(t, "a")
	attempts := e.counter("a", "update_attempt")
	e.update(t, a)
	if e.m.Get("a") != c || e.counter("a", "update_attempt") != attempts {
		t.Errorf("same config again: same cluster %v, update_attempt %d -> %d; want the cluster untouched",
			e.m.Get("a") == c, attempts, e.counter("a", "update_attempt"))
	}
	bad := &config.Cluster{Name: "b", Type: config.Static}
	if err := e.m.Update([]*config.Cluster{a, bad}); err == nil {
		t.Fatal("update with an invalid new cluster succeeded")
	}
	if e.m.Get("b") != nil || e.m.Get("a") != c {
		t.Error("a failed update changed the clusters")
	}
	// An equal config in a new value is compared, and kept as well.
	cp := *a
	e.update(t, &cp)
	if e.m.Get("a") != c || len(c.Hosts()) != 2 {
		t.Errorf("equal config: same cluster %v, %d hosts; want true, 2", e.m.Get("a") == c, len(c.Hosts()))
	}
}

// TestUpdateAfterUpdateEndpointsReapplies checks that once UpdateEndpoints
// changed a cluster's endpoints, the config last given to Update is no
// longer taken as applied: giving it again restores its assignment.
func TestUpdateAfterUpdateEndpointsReapplies(t *testing.T) {
	e := newEnv(t, nil)
	a := &config.Cluster{Name: "a", Type: config.EDS, LoadAssignment: assignment([]config.HealthStatus{healthy, healthy})}
	e.update(t, a)
	if err := e.m.UpdateEndpoints("a", assignment([]config.HealthStatus{healthy})); err != nil {
		t.Fatal(err)
	}
	c := e.cluster(t, "a")
	if n := len(c.Hosts()); n != 1 {
		t.Fatalf("after UpdateEndpoints: %d hosts, want 1", n)
	}
	e.update(t, a)
	if n := len(c.Hosts()); n != 2 || c.Config().LoadAssignment != a.LoadAssignment {
		t.Errorf("config given again: %d hosts, want its 2", n)
	}
}

// statNames returns the /stats lines naming cluster.
func (e *env) statNames(t *testing.T, cluster string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	e.store.EnvoyTextHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/stats", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/stats: %d", rec.Code)
	}
	var out []string
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "cluster."+cluster+".") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestStatsOfConfiguredFeaturesOnly checks that, as in Envoy, a cluster
// has health_check.* and outlier_detection.* stats only when it is
// configured with health checks or outlier detection, and that modifying
// a cluster to drop them zeroes their gauges.
func TestStatsOfConfiguredFeaturesOnly(t *testing.T) {
	e := newEnv(t, nil)
	ap := netip.MustParseAddrPort("127.0.0.1:1")
	plain := staticCluster("plain", config.RoundRobin, ap)
	both := staticCluster("both", config.RoundRobin, ap)
	both.HealthChecks = []config.HealthCheck{fastHC(nil)}
	both.OutlierDetection = fastOD(5)
	e.update(t, plain, both)
	for _, tc := range []struct {
		cluster string
		want    bool
	}{{"plain", false}, {"both", true}} {
		got := e.statNames(t, tc.cluster)
		if !strings.Contains(got, "upstream_cx_total") {
			t.Fatalf("cluster %s: no upstream_cx_total in /stats:\n%s", tc.cluster, got)
		}
		for _, sub := range []string{".health_check.", ".outlier_detection."} {
			if strings.Contains(got, sub) != tc.want {
				t.Errorf("cluster %s: stats with %q present = %v, want %v", tc.cluster, sub, !tc.want, tc.want)
			}
		}
	}
	od := e.scope("both").Sub("outlier_detection").Gauge("ejections_active")
	od.Set(3) // as if a host were ejected
	modified := staticCluster("both", config.Random, ap)
	e.update(t, plain, modified)
	if got := od.Value(); got != 0 {
		t.Errorf("ejections_active of a cluster modified without outlier detection = %d, want 0", got)
	}
}

// BenchmarkUpdateUnchanged10k measures an Update of 10,000 EDS clusters
// with one assignment changed, the rest given as the same values (what
// the xDS client passes).
func BenchmarkUpdateUnchanged10k(b *testing.B) {
	e := newEnv(b, nil)
	cs := make([]*config.Cluster, 10000)
	for i := range cs {
		cs[i] = &config.Cluster{Name: fmt.Sprintf("c%05d", i), Type: config.EDS, LoadAssignment: assignment([]config.HealthStatus{healthy, healthy})}
	}
	e.update(b, cs...)
	alt := []*config.Cluster{cs[0], {Name: cs[0].Name, Type: config.EDS, LoadAssignment: assignment([]config.HealthStatus{healthy})}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		cs[0] = alt[i%2]
		i++
		if err := e.m.Update(cs); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAssignmentSharesEqualMeta checks that endpoints with equal
// attributes share one meta and that a differing one gets its own.
func TestAssignmentSharesEqualMeta(t *testing.T) {
	la := assignment([]config.HealthStatus{healthy, healthy, healthy, healthy})
	eps := la.Localities[0].Endpoints
	eps[2].Weight = 5
	specs, err := assignmentSpecs(la)
	if err != nil {
		t.Fatal(err)
	}
	if specs[0].meta != specs[1].meta {
		t.Error("equal endpoints 0 and 1 do not share their meta")
	}
	if specs[2].meta == specs[1].meta || specs[2].meta.weight != 5 {
		t.Errorf("endpoint 2 (weight 5): shared meta %v, weight %d", specs[2].meta == specs[1].meta, specs[2].meta.weight)
	}
	if specs[3].meta.weight != max(eps[3].Weight, 1) || specs[3].meta == specs[2].meta {
		t.Errorf("endpoint 3 after a differing one: weight %d, shares endpoint 2's meta %v", specs[3].meta.weight, specs[3].meta == specs[2].meta)
	}
	// An endpoint with nothing set shares one meta across clusters;
	// endpointMeta, whose callers may change what it returns (DNS hosts
	// take their hostname), never hands that one out.
	plain := config.LocalityEndpoints{}
	if m := sharedEndpointMeta(plain, config.Endpoint{}); m != defaultMeta {
		t.Error("a default endpoint does not share the default meta")
	}
	if m := endpointMeta(plain, config.Endpoint{}); m == defaultMeta || !metaEqual(m, defaultMeta) {
		t.Errorf("endpointMeta of a default endpoint: shared %v, %+v; want a new copy of the default", m == defaultMeta, *m)
	}
}

// TestDeferredTrafficStats checks Envoy's deferred creation of a
// cluster's traffic stats: a cluster that carried no traffic has its
// config, membership and circuit breaker stats but no upstream_cx_* or
// upstream_rq_*; its first connection creates them, and a new version
// of the cluster finds their values.
func TestDeferredTrafficStats(t *testing.T) {
	store := telemetry.NewStore()
	m := NewManager(Options{Stats: store.Root(), Logger: slog.New(slog.DiscardHandler), DeferTrafficStats: true})
	t.Cleanup(func() {
		m.Close()
		checkNoLeaks(t)
	})
	e := &env{m: m, store: store}
	srv := startServer(t, holdOpen)
	used, idle := staticCluster("used", config.RoundRobin, srv.addr), staticCluster("idle", config.RoundRobin, srv.addr)
	e.update(t, used, idle)
	for _, name := range []string{"used", "idle"} {
		got := e.statNames(t, name)
		for _, want := range []string{"update_success: 1", "membership_total: 1", "circuit_breakers.default.cx_open: 0", "lb_healthy_panic: 0"} {
			if !strings.Contains(got, want) {
				t.Errorf("cluster %s: no %q in /stats:\n%s", name, want, got)
			}
		}
		if strings.Contains(got, "upstream_") {
			t.Errorf("cluster %s carried no traffic but has traffic stats:\n%s", name, got)
		}
	}
	up, err := e.cluster(t, "used").Connect(context.Background(), LBContext{})
	if err != nil {
		t.Fatal(err)
	}
	up.Close()
	got := e.statNames(t, "used")
	for _, want := range []string{"upstream_cx_total: 1", "upstream_cx_destroy: 1", "upstream_cx_active: 0", "upstream_rq_total: 0", "upstream_cx_connect_ms: P0"} {
		if !strings.Contains(got, want) {
			t.Errorf("after a connection: no %q in /stats:\n%s", want, got)
		}
	}
	if strings.Contains(e.statNames(t, "idle"), "upstream_") {
		t.Error("another cluster's connection created idle's traffic stats")
	}
	modified := staticCluster("used", config.Random, srv.addr)
	e.update(t, modified, idle)
	if got := e.statNames(t, "used"); !strings.Contains(got, "upstream_cx_total: 1") {
		t.Errorf("modified cluster lost its traffic stats:\n%s", got)
	}
}
