package httpproxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

func gauge(p *proxy, c, name string) int64 {
	return p.store.Root().Sub("cluster").Tagged("envoy_cluster_name", c).Gauge(name).Value()
}

// Upstream connections are reused, retired after
// max_requests_per_connection, closed when idle, and concurrent HTTP/2
// requests share one connection.
func TestUpstreamPools(t *testing.T) {
	be := startBackend(t, "be", nil)
	limited := staticCluster("limited", be)
	limited.ProtocolOptions = map[string]any{config.HTTPProtocolOptionsName: &config.HTTPProtocolOptions{MaxRequestsPerConnection: 2, IdleTimeout: time.Hour}}
	idle := staticCluster("idle", be)
	idle.ProtocolOptions = map[string]any{config.HTTPProtocolOptionsName: &config.HTTPProtocolOptions{IdleTimeout: 50 * time.Millisecond}}
	p := startProxy(t, hcm(anyHost(toCluster("/keep", "keep"), toCluster("/limited", "limited"), toCluster("/idle", "idle"), toCluster("/h2", "h2"))),
		staticCluster("keep", be), limited, idle, withHTTP2(staticCluster("h2", be)))
	c := h1Client(t)
	for range 5 {
		get(t, c, p.url("/keep"), nil)
		get(t, c, p.url("/limited"), nil)
	}
	if got := p.clusterStat("keep", "upstream_cx_total"); got != 1 {
		t.Errorf("keep-alive: %d connections for 5 sequential requests, want 1", got)
	}
	if got := p.clusterStat("limited", "upstream_cx_total"); got != 3 {
		t.Errorf("max 2 requests per connection: %d connections for 5 requests, want 3", got)
	}
	waitFor(t, "retired connections to close", func() bool { return gauge(p, "limited", "upstream_cx_active") == 1 })

	get(t, c, p.url("/idle"), nil)
	waitFor(t, "the idle connection to close", func() bool { return p.clusterStat("idle", "upstream_cx_destroy") == 1 })
	if got := gauge(p, "idle", "upstream_cx_active"); got != 0 {
		t.Errorf("idle cluster still has %d connections", got)
	}

	h2 := h2cClient(t)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if res, err := h2.Get(p.url("/h2")); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	if got := p.clusterStat("h2", "upstream_cx_total"); got != 1 {
		t.Errorf("HTTP/2: %d connections for 10 concurrent requests, want 1", got)
	}
	if got := p.clusterStat("h2", "upstream_rq_200"); got != 10 {
		t.Errorf("HTTP/2: %d responses, want 10", got)
	}
}

// A response without a body leaves the upstream connection idle before
// RoundTrip has handed it over: a connection retired by that request
// (max_requests_per_connection) closes only once the response was used,
// so no request fails, not even a POST, which is never sent twice.
func TestRetiredConnectionBodilessResponse(t *testing.T) {
	be := startBackend(t, "be", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	one := staticCluster("one", be)
	one.ProtocolOptions = map[string]any{config.HTTPProtocolOptionsName: &config.HTTPProtocolOptions{MaxRequestsPerConnection: 1}}
	p := startProxy(t, hcm(anyHost(toCluster("/", "one"))), one)
	c := h1Client(t)
	const n = 200
	for i := range n {
		if res, body := do(t, c, http.MethodPost, p.url("/"), nil, "x"); res.StatusCode != http.StatusNoContent {
			t.Fatalf("POST %d: status %d, body %q", i, res.StatusCode, body)
		}
	}
	if got := p.clusterStat("one", "upstream_cx_total"); got != n {
		t.Errorf("%d connections for %d requests, one each, want %d", got, n, n)
	}
	waitFor(t, "every retired connection to close", func() bool { return gauge(p, "one", "upstream_cx_active") == 0 })
}

// A pooled connection the upstream dropped while idle (here: closed
// when the next request arrives) fails an idempotent request before
// anything was answered: it is sent again on a new connection. A POST
// is not.
func TestStaleConnectionRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Go(func() { serveOnce(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	port := uint32(ln.Addr().(*net.TCPAddr).Port)
	p := startProxy(t, hcm(anyHost(toCluster("/", "once"))), clusterOf("once", config.Endpoint{Address: config.Address{Host: "127.0.0.1", Port: port}, Weight: 1}))
	c := h1Client(t)
	for i := range 3 {
		if res, body := get(t, c, p.url("/"), nil); res.StatusCode != 200 || body != "ok" {
			t.Fatalf("GET %d: %d %q", i, res.StatusCode, body)
		}
	}
	if got := conns.Load(); got != 3 {
		t.Errorf("%d upstream connections, want 3", got)
	}
	res, body := do(t, c, http.MethodPost, p.url("/"), nil, "x")
	if res.StatusCode != 503 || p.clusterStat("once", "upstream_rq_rx_reset") != 1 {
		t.Errorf("POST on a stale connection: %d %q, rx_reset %d; want 503", res.StatusCode, body, p.clusterStat("once", "upstream_rq_rx_reset"))
	}
}

// serveOnce answers the first HTTP/1.1 request of a connection with a
// keep-alive 200 and closes the connection when the next one arrives.
func serveOnce(c net.Conn) {
	defer c.Close()
	rd := bufio.NewReader(c)
	req, err := http.ReadRequest(rd)
	if err != nil {
		return
	}
	io.Copy(io.Discard, req.Body)
	c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	rd.Peek(1) // the next request: drop the connection unanswered
}
