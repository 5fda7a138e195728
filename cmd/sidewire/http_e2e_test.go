package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// httpBackend is a real net/http server on a loopback port that answers
// every request with its name, the path it saw and the protocol, and
// counts requests.
type httpBackend struct {
	name   string
	addr   string
	served atomic.Int64
}

// startHTTPBackend serves HTTP/1.1 and, with prior knowledge, HTTP/2.
func startHTTPBackend(t *testing.T, name string) *httpBackend {
	t.Helper()
	b := &httpBackend{name: name}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.addr = ln.Addr().String()
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	srv := &http.Server{Protocols: &protos, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.served.Add(1)
		w.Header().Set("x-backend", name)
		fmt.Fprintf(w, "%s %s %s host=%s", name, r.URL.RequestURI(), r.Proto, r.Host)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return b
}

// startGRPCHealth serves grpc-go's health service (h2c) with service
// "app" SERVING.
func startGRPCHealth(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("app", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	go gs.Serve(ln)
	t.Cleanup(gs.Stop)
	return ln.Addr().String()
}

// hcmListenerYAML is a listener with an http_connection_manager whose
// route part (route_config: ... or rds: ...) is given, indented to sit
// under typed_config.
func hcmListenerYAML(name, routes string) string {
	return fmt.Sprintf(`
  - name: %s
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: %s
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
%s`, name, name, routes)
}

// h2ClusterOptions makes a cluster speak HTTP/2 (h2c) to its hosts.
const h2ClusterOptions = `
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: {http2_protocol_options: {}}`

// httpGet fetches url with c and returns status and body.
func httpGet(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// h2cClient speaks HTTP/2 with prior knowledge.
func h2cClient() *http.Client {
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &protos}, Timeout: 10 * time.Second}
}

// TestHTTPConnectionManagerE2E runs the binary with an HTTP connection
// manager in a static bootstrap: requests are routed by path to HTTP/1.1
// and HTTP/2 clusters, HTTP/1.1 and h2c clients are both served, a
// grpc-go client reaches a grpc-go server through it, unknown paths get
// Envoy's 404, and the stats and Prometheus families count it all.
func TestHTTPConnectionManagerE2E(t *testing.T) {
	a, b := startHTTPBackend(t, "a"), startHTTPBackend(t, "b")
	grpcAddr := startGRPCHealth(t)
	routes := `          route_config:
            name: local
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: /grpc.health.v1.Health/}
                route: {cluster: grpc}
              - match: {prefix: /b/}
                route: {cluster: b, prefix_rewrite: /}
              - match: {path: /direct}
                direct_response: {status: 200, body: {inline_string: direct}}
              - match: {prefix: /a/}
                route: {cluster: a}
`
	boot := bootstrapYAML(hcmListenerYAML("ingress", routes),
		clusterYAML("a", "ROUND_ROBIN", "", a.addr)+
			clusterYAML("b", "ROUND_ROBIN", h2ClusterOptions, b.addr)+
			clusterYAML("grpc", "ROUND_ROBIN", h2ClusterOptions, grpcAddr))
	p := startSidewire(t, boot)
	base := "http://" + p.listener("ingress")

	h1 := &http.Client{Timeout: 10 * time.Second}
	cases := []struct {
		client *http.Client
		path   string
		code   int
		body   string
	}{
		{h1, "/a/x?q=1", 200, "a /a/x?q=1 HTTP/1.1"},
		{h1, "/b/y", 200, "b /y HTTP/2.0"},
		{h2cClient(), "/a/z", 200, "a /a/z HTTP/1.1"},
		{h2cClient(), "/b/w", 200, "b /w HTTP/2.0"},
		{h1, "/direct", 200, "direct"},
		{h1, "/nowhere", 404, ""},
	}
	for _, c := range cases {
		code, body, err := httpGet(c.client, base+c.path)
		if err != nil {
			t.Fatalf("GET %s: %v", c.path, err)
		}
		if code != c.code || !strings.HasPrefix(body, c.body) {
			t.Errorf("GET %s = %d %q, want %d %q...", c.path, code, body, c.code, c.body)
		}
	}

	conn, err := grpc.NewClient(p.listener("ingress"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc := healthpb.NewHealthClient(conn)
	if r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "app"}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health check through the proxy = %v, %v", r, err)
	}
	// The server's own gRPC status comes back unchanged.
	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "unknown"}); status.Code(err) != codes.NotFound {
		t.Errorf("health check of an unknown service: %v, want NotFound", err)
	}

	for name, want := range map[string]int64{
		"http.ingress.downstream_rq_2xx":  7,
		"http.ingress.downstream_rq_4xx":  1,
		"http.ingress.no_route":           1,
		"http.ingress.rq_direct_response": 1,
		"cluster.a.upstream_rq_200":       2,
		"cluster.b.upstream_rq_200":       2,
	} {
		if got := p.stat(name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if code, body := p.get("/stats/prometheus"); code != 200 || !strings.Contains(body, "sidewire_http_requests_total{") {
		t.Errorf("/stats/prometheus: %d, want a sidewire_http_requests_total family", code)
	}
}

// hcmRDSListenerYAML is an LDS listener whose HTTP connection manager
// takes route configuration "routes" over ADS.
const hcmRDSListenerYAML = `resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: web
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: web
        rds: {route_config_name: routes, config_source: {ads: {}, resource_api_version: V3}}
        http_filters:
        - name: envoy.filters.http.router
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
`

// cpHTTPClustersYAML are two static clusters, one per backend.
func cpHTTPClustersYAML(a, b string) string {
	cl := func(name, addr string) string {
		host, port, _ := net.SplitHostPort(addr)
		return fmt.Sprintf(`- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: %s
  type: STATIC
  connect_timeout: 1s
  load_assignment:
    cluster_name: %s
    endpoints:
    - lb_endpoints:
      - endpoint: {address: {socket_address: {address: %s, port_value: %s}}}
`, name, name, host, port)
	}
	return "resources:\n" + cl("a", a) + cl("b", b)
}

// cpRoutesYAML routes everything to cluster.
func cpRoutesYAML(cluster string) string {
	return fmt.Sprintf(`resources:
- "@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
  name: routes
  virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
    - match: {prefix: /}
      route: {cluster: %s}
`, cluster)
}

// TestControlPlaneHTTPRoutes runs `sidewire control-plane` and `sidewire
// run` with an HTTP listener whose routes come by RDS, state of the world
// and delta: the listener serves once its route configuration arrives,
// rewriting the route file moves the traffic of open keep-alive
// connections to the other cluster without a failed request, and the
// listener is not rebuilt for it.
func TestControlPlaneHTTPRoutes(t *testing.T) {
	for _, api := range []string{"GRPC", "DELTA_GRPC"} {
		t.Run(api, func(t *testing.T) { testControlPlaneHTTPRoutes(t, api) })
	}
}

func testControlPlaneHTTPRoutes(t *testing.T, apiType string) {
	a, b := startHTTPBackend(t, "a"), startHTTPBackend(t, "b")
	dir := t.TempDir()
	writeAtomic(t, filepath.Join(dir, "listeners.yaml"), hcmRDSListenerYAML)
	writeAtomic(t, filepath.Join(dir, "clusters.yaml"), cpHTTPClustersYAML(a.addr, b.addr))
	writeAtomic(t, filepath.Join(dir, "routes.yaml"), cpRoutesYAML("a"))
	cp, cpAddr := startControlPlane(t, dir)
	p := startSidewire(t, adsBootstrapAPI(cpAddr, apiType))

	var addr string
	eventually(t, 30*time.Second, "listener web from the control plane", func() error {
		if addr = p.listenerAddr("web"); addr == "" {
			return fmt.Errorf("not in /listeners")
		}
		return nil
	})
	url := "http://" + addr + "/x"
	client := &http.Client{Timeout: 10 * time.Second}
	if code, body, err := httpGet(client, url); err != nil || code != 200 || !strings.HasPrefix(body, "a ") {
		t.Fatalf("GET before the change = %d %q, %v", code, body, err)
	}

	// Keep-alive clients run while the route changes.
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, _, err := httpGet(c, url); err != nil || code != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %v", code, err))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	changed := time.Now()
	writeAtomic(t, filepath.Join(dir, "routes.yaml"), cpRoutesYAML("b"))
	for b.served.Load() == 0 && time.Since(changed) < 10*time.Second {
		time.Sleep(5 * time.Millisecond)
	}
	moved := time.Since(changed)
	time.Sleep(200 * time.Millisecond)
	settled := a.served.Load()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("traffic moved to b %v after the route file changed (applied %s); %d requests, %d failed",
		moved.Round(time.Millisecond), logTimeSince(p, changed, "applied ads update"), ok.Load(), failed.Load())
	if b.served.Load() == 0 {
		t.Fatalf("b served nothing within 10s of the change\ncontrol plane:\n%s", cp.logText())
	}
	if failed.Load() != 0 || ok.Load() < 20 {
		t.Errorf("clients during the change: %d ok, %d failed (first: %v), want no failures and at least 20", ok.Load(), failed.Load(), firstErr.Load())
	}
	if n := a.served.Load(); n != settled {
		t.Errorf("a still received requests after the move (%d -> %d)", settled, n)
	}
	if n := p.stat("http.web.rds.routes.update_success"); n < 2 {
		t.Errorf("http.web.rds.routes.update_success = %d, want >= 2", n)
	}
	// The route change did not rebuild the listener.
	if n := p.stat("listener_manager.listener_modified"); n != 0 {
		t.Errorf("listener_manager.listener_modified = %d, want 0", n)
	}
}
