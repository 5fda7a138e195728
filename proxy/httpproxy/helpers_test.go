package httpproxy

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/telemetry"
)

// proxy is a Filter served by a real listener.Listener on a loopback
// port, with its own cluster manager and stats store.
type proxy struct {
	t      testing.TB
	f      *Filter
	m      *cluster.Manager
	store  *telemetry.Store
	routes *RouteStore
	ln     *listener.Listener
	addr   string
}

// proxyOpts tune startProxy.
type proxyOpts struct {
	tls *config.DownstreamTLS
}

// startProxy serves cfg in front of clusters until the test ends, then
// checks that no goroutine is left behind.
func startProxy(t testing.TB, cfg *config.HTTPConnectionManager, clusters ...*config.Cluster) *proxy {
	return startProxyOpts(t, cfg, proxyOpts{}, clusters...)
}

func startProxyOpts(t testing.TB, cfg *config.HTTPConnectionManager, o proxyOpts, clusters ...*config.Cluster) *proxy {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		leakcheck.Check(tt)
	}
	if cfg.StatPrefix == "" {
		cfg.StatPrefix = "test"
	}
	p := &proxy{t: t, store: telemetry.NewStore(), routes: NewRouteStore()}
	p.m = cluster.NewManager(cluster.Options{Stats: p.store.Root()})
	if err := p.m.Update(clusters); err != nil {
		t.Fatalf("update clusters: %v", err)
	}
	f, err := New(cfg, Deps{Clusters: p.m, Stats: p.store.Root(), Routes: p.routes})
	if err != nil {
		t.Fatalf("new filter: %v", err)
	}
	p.f = f
	fc := &config.FilterChain{Filters: []config.NetworkFilter{cfg}, TLS: o.tls}
	chain := listener.Chain{Config: fc, Handler: f}
	if o.tls != nil {
		if chain.TLS, err = listener.NewTLS(o.tls, nil); err != nil {
			t.Fatalf("listener tls: %v", err)
		}
	}
	p.ln, err = listener.New(&listener.Config{
		Listener: &config.Listener{Name: "http", Address: config.Address{Host: "127.0.0.1"}},
		Chains:   []listener.Chain{chain},
	}, listener.Options{Stats: p.store.Root()})
	if err != nil {
		t.Fatalf("listener: %v", err)
	}
	go p.ln.Serve()
	p.addr = p.ln.Addr().String()
	t.Cleanup(func() {
		p.ln.Close()
		p.ln.Config().Wait()
		p.f.Close()
		p.m.Close()
		if err := p.store.Lint(); err != nil {
			t.Errorf("stats lint: %v", err)
		}
	})
	return p
}

// url returns the proxy's URL for path.
func (p *proxy) url(path string) string { return "http://" + p.addr + path }

// httpStat returns the value of http.<prefix>.<name>.
func (p *proxy) httpStat(name string) uint64 {
	return p.store.Root().Sub("http").Tagged("envoy_http_conn_manager_prefix", p.f.cfg.StatPrefix).Counter(name).Value()
}

// clusterStat returns the value of cluster.<c>.<name>.
func (p *proxy) clusterStat(c, name string) uint64 {
	return p.store.Root().Sub("cluster").Tagged("envoy_cluster_name", c).Counter(name).Value()
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// backend is a real net/http server on a loopback port that speaks
// HTTP/1.1 and HTTP/2 with prior knowledge.
type backend struct {
	name string
	addr *net.TCPAddr
	srv  *http.Server
	hits atomic.Int64
}

// startBackend serves h (echoHandler when nil) until the test ends.
func startBackend(t testing.TB, name string, h http.Handler) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	b := &backend{name: name, addr: ln.Addr().(*net.TCPAddr)}
	if h == nil {
		h = echoHandler(name)
	}
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	b.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		h.ServeHTTP(w, r)
	}), Protocols: &protos}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		b.srv.Close()
		<-done
	})
	return b
}

// echoHandler answers with what it received: the request line, host and
// protocol in X-Echo-* headers, the request headers as X-Req-<name>, and
// the request body as the response body. Request headers steer it:
// x-test-status (answer with this status), x-test-delay (wait first).
func echoHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, err := time.ParseDuration(r.Header.Get("X-Test-Delay")); err == nil {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		h := w.Header()
		h.Set("X-Backend", name)
		h.Set("X-Echo-Path", r.RequestURI)
		h.Set("X-Echo-Host", r.Host)
		h.Set("X-Echo-Proto", r.Proto)
		h.Set("X-Echo-Method", r.Method)
		for k, vs := range r.Header {
			h["X-Req-"+k] = vs
		}
		status := http.StatusOK
		if s, err := strconv.Atoi(r.Header.Get("X-Test-Status")); err == nil {
			status = s
		}
		w.WriteHeader(status)
		io.Copy(w, r.Body)
	})
}

// endpoint returns the config endpoint of a backend.
func endpoint(b *backend) config.Endpoint {
	return config.Endpoint{Address: config.Address{Host: "127.0.0.1", Port: uint32(b.addr.Port)}, Weight: 1}
}

// staticCluster is a round-robin STATIC cluster of the backends.
func staticCluster(name string, bs ...*backend) *config.Cluster {
	var eps []config.Endpoint
	for _, b := range bs {
		eps = append(eps, endpoint(b))
	}
	return clusterOf(name, eps...)
}

func clusterOf(name string, eps ...config.Endpoint) *config.Cluster {
	return &config.Cluster{
		Name: name, Type: config.Static, LBPolicy: config.RoundRobin, ConnectTimeout: time.Second,
		LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{Endpoints: eps}}},
	}
}

// withHTTP2 makes the cluster speak HTTP/2 to its hosts.
func withHTTP2(c *config.Cluster) *config.Cluster {
	c.ProtocolOptions = map[string]any{config.HTTPProtocolOptionsName: &config.HTTPProtocolOptions{HTTP2: true, IdleTimeout: time.Hour}}
	return c
}

// deadPort returns a loopback port nothing listens on.
func deadPort(t testing.TB) uint32 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return uint32(port)
}

// hcm returns a connection manager config routing with the inline table
// of the given virtual hosts.
func hcm(vhs ...config.HTTPVirtualHost) *config.HTTPConnectionManager {
	return &config.HTTPConnectionManager{
		StatPrefix:          "test",
		RouteConfig:         &config.HTTPRouteConfig{Name: "local", VirtualHosts: vhs},
		MaxRequestHeadersKB: config.DefaultHTTPMaxRequestHeadersKB,
		StreamIdleTimeout:   config.DefaultHTTPStreamIdleTimeout,
		IdleTimeout:         config.DefaultHTTPIdleTimeout,
		ServerName:          config.DefaultHTTPServerName,
	}
}

// anyHost is a virtual host for every domain with the routes.
func anyHost(routes ...config.HTTPRoute) config.HTTPVirtualHost {
	return config.HTTPVirtualHost{Name: "any", Domains: []string{"*"}, Routes: routes}
}

// toCluster is a prefix route to a cluster with Envoy's default timeout.
func toCluster(prefix, cluster string) config.HTTPRoute {
	return config.HTTPRoute{Match: config.HTTPRouteMatch{Path: prefix},
		Route: &config.HTTPRouteAction{Cluster: cluster, Timeout: config.DefaultHTTPRouteTimeout}}
}

// clients: HTTP/1.1, HTTP/2 prior knowledge, and over TLS.

func h1Client(t testing.TB) *http.Client {
	var p http.Protocols
	p.SetHTTP1(true)
	return newClient(t, &http.Transport{Protocols: &p, DisableCompression: true})
}

func h2cClient(t testing.TB) *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return newClient(t, &http.Transport{Protocols: &p, DisableCompression: true})
}

func tlsClient(t testing.TB, cfg *tls.Config, h2 bool) *http.Client {
	var p http.Protocols
	p.SetHTTP1(!h2)
	p.SetHTTP2(h2)
	return newClient(t, &http.Transport{Protocols: &p, TLSClientConfig: cfg, DisableCompression: true})
}

func newClient(t testing.TB, tr *http.Transport) *http.Client {
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and returns the response with its body read.
func do(t testing.TB, c *http.Client, method, url string, hdr map[string]string, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return res, string(b)
}

// get is do for a GET without body.
func get(t testing.TB, c *http.Client, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	return do(t, c, http.MethodGet, url, hdr, "")
}

func netDial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) }

func readAll(c net.Conn) ([]byte, error) { return io.ReadAll(c) }
