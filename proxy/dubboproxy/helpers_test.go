package dubboproxy

import (
	"context"
	"github.com/sidewire/sidewire/internal/proxytest"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// proxy is a Filter serving a loopback listener, with its own cluster
// manager and stats store.
type proxy struct {
	t     testing.TB
	f     *Filter
	m     *cluster.Manager
	store *telemetry.Store
	// routes holds the discovered route tables of a filter configured
	// with a RouteConfigName.
	routes *RouteStore
	addr   string
}

// startProxy serves cfg in front of clusters. Everything stops at test
// cleanup, and the test fails if goroutines are left behind.
func startProxy(t testing.TB, cfg *config.DubboProxy, clusters ...*config.Cluster) *proxy {
	t.Helper()
	if _, ok := t.(*testing.T); ok {
		leakcheck.Check(t.(*testing.T))
	}
	if cfg.StatPrefix == "" {
		cfg.StatPrefix = "test"
	}
	p := &proxy{t: t, store: telemetry.NewStore(), routes: NewRouteStore()}
	p.m = cluster.NewManager(cluster.Options{Stats: p.store.Root()})
	if err := p.m.Update(clusters); err != nil {
		t.Fatalf("update clusters: %v", err)
	}
	p.f = newFilter(cfg, Deps{Clusters: p.m, Stats: p.store.Root(), Routes: p.routes}, 50*time.Millisecond)
	t.Cleanup(func() {
		p.f.Close()
		p.m.Close()
	})
	p.addr = proxytest.ServeConns(t, p.f).Addr().String()
	return p
}

// counter returns dubbo.<prefix>.<name>.
func (p *proxy) counter(name string) uint64 {
	return p.store.Root().Sub("dubbo").Tagged("envoy_dubbo_prefix", p.f.cfg.StatPrefix).Counter(name).Value()
}

// dial connects a client to the proxy, closed at cleanup.
func (p *proxy) dial() *testpeer.DubboClient {
	p.t.Helper()
	c, err := testpeer.DialDubbo(p.addr)
	if err != nil {
		p.t.Fatalf("dial proxy: %v", err)
	}
	p.t.Cleanup(func() { c.Close() })
	return c
}

// staticCluster is a STATIC cluster of the given providers.
func staticCluster(name string, providers ...*testpeer.Dubbo) *config.Cluster {
	var eps []config.Endpoint
	for _, d := range providers {
		eps = append(eps, endpoint(d, nil))
	}
	return clusterOf(name, eps...)
}

func clusterOf(name string, eps ...config.Endpoint) *config.Cluster {
	return &config.Cluster{
		Name: name, Type: config.Static, LBPolicy: config.RoundRobin, ConnectTimeout: time.Second,
		LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{Endpoints: eps}}},
	}
}

func endpoint(d *testpeer.Dubbo, md map[string]string) config.Endpoint {
	host, port, _ := net.SplitHostPort(d.Addr())
	n, _ := strconv.Atoi(port)
	return config.Endpoint{Address: config.Address{Host: host, Port: uint32(n)}, Weight: 1, Metadata: md}
}

// catchAll sends every request to cluster.
func catchAll(cluster string) *config.DubboProxy {
	return &config.DubboProxy{RouteConfigs: []config.DubboRouteConfig{{
		Interface: "*", Routes: []config.DubboRoute{{Cluster: cluster}},
	}}}
}

// call makes one call within 10 seconds and fails the test on error.
func call(t testing.TB, c *testpeer.DubboClient, dc testpeer.DubboCall) testpeer.DubboResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.Call(ctx, dc)
	if err != nil {
		t.Fatalf("call %s.%s: %v", dc.Service, dc.Method, err)
	}
	return r
}

const greeter = "org.example.Greeter"

func sayHi(arg string) testpeer.DubboCall {
	return testpeer.DubboCall{Service: greeter, Method: "sayHi", Args: []any{arg}}
}

// wantValue fails unless r is an OK response with value want.
func wantValue(t testing.TB, r testpeer.DubboResult, want string) {
	t.Helper()
	if r.Status != 20 || r.Exception || r.Value != want {
		t.Fatalf("response %+v, want OK with value %q", r, want)
	}
}
