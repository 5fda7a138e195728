package httpproxy

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

func retryRoute(cluster string, rp *config.HTTPRetryPolicy) config.HTTPRoute {
	r := toCluster("/", cluster)
	r.Route.RetryPolicy = rp
	return r
}

// A 503 is retried (the body sent again) and the retry's 200 answers;
// a backend that keeps failing exhausts the retries and its last 503 is
// forwarded, flagged URX.
func TestRetryOn5xx(t *testing.T) {
	var n atomic.Int64
	flaky := startBackend(t, "flaky", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if n.Add(1) == 1 || r.URL.Path == "/always" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write(body)
	}))
	rp := &config.HTTPRetryPolicy{RetryOn: []string{"5xx"}, NumRetries: 2, BaseInterval: time.Millisecond}
	p := startProxy(t, hcm(anyHost(retryRoute("flaky", rp))), staticCluster("flaky", flaky))
	for _, c := range []*http.Client{h1Client(t), h2cClient(t)} {
		n.Store(0)
		res, body := do(t, c, http.MethodPost, p.url("/once"), nil, "payload")
		if res.StatusCode != 200 || body != "payload" {
			t.Fatalf("retried request: %d %q", res.StatusCode, body)
		}
	}
	res, _ := get(t, h1Client(t), p.url("/always"), nil)
	if res.StatusCode != 503 {
		t.Errorf("always failing: %d, want the upstream's 503", res.StatusCode)
	}
	for stat, want := range map[string]uint64{
		"upstream_rq_retry": 4, "upstream_rq_retry_success": 2, "upstream_rq_retry_limit_exceeded": 1,
		"upstream_rq_503": 5, "upstream_rq_200": 2, "upstream_rq_completed": 7,
	} {
		if got := p.clusterStat("flaky", stat); got != want {
			t.Errorf("%s = %d, want %d", stat, got, want)
		}
	}
}

// A connect failure is retried on the cluster's other host; without a
// retry policy it answers 503 UF with Envoy's body.
func TestRetryConnectFailure(t *testing.T) {
	live := startBackend(t, "live", nil)
	dead := config.Endpoint{Address: config.Address{Host: "127.0.0.1", Port: deadPort(t)}, Weight: 1}
	rp := &config.HTTPRetryPolicy{RetryOn: []string{"connect-failure"}, NumRetries: 1, BaseInterval: time.Millisecond}
	cfg := hcm(anyHost(
		config.HTTPRoute{Match: config.HTTPRouteMatch{Path: "/noretry"}, Route: &config.HTTPRouteAction{Cluster: "deadonly"}},
		retryRoute("mixed", rp)))
	p := startProxy(t, cfg, clusterOf("mixed", dead, endpoint(live)), clusterOf("deadonly", dead))
	c := h1Client(t)
	for i := range 4 {
		if res, _ := get(t, c, p.url("/x"), nil); res.StatusCode != 200 || res.Header.Get("X-Backend") != "live" {
			t.Fatalf("request %d: %d from %q", i, res.StatusCode, res.Header.Get("X-Backend"))
		}
	}
	if got := p.clusterStat("mixed", "upstream_cx_connect_fail"); got < 1 {
		t.Errorf("upstream_cx_connect_fail = %d, want >= 1", got)
	}
	if got := p.clusterStat("mixed", "upstream_rq_retry"); got != p.clusterStat("mixed", "upstream_cx_connect_fail") {
		t.Errorf("retries %d != connect failures %d", got, p.clusterStat("mixed", "upstream_cx_connect_fail"))
	}
	res, body := get(t, c, p.url("/noretry"), nil)
	want := "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
	if res.StatusCode != 503 || body != want {
		t.Errorf("dead cluster: %d %q, want 503 %q", res.StatusCode, body, want)
	}
}

// The route timeout answers 504 before response headers and resets the
// stream after them; per-try timeouts are retried.
func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	be := startBackend(t, "be", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall-body" {
			w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		echoHandler("be").ServeHTTP(w, r)
	}))
	defer close(release)
	route := toCluster("/", "be")
	route.Route.Timeout = 200 * time.Millisecond
	perTry := toCluster("/pertry", "be")
	perTry.Route.Timeout = 5 * time.Second
	perTry.Route.RetryPolicy = &config.HTTPRetryPolicy{RetryOn: []string{"5xx"}, NumRetries: 1, PerTryTimeout: 100 * time.Millisecond, BaseInterval: time.Millisecond}
	idle := toCluster("/idle", "be")
	idle.Route.Timeout, idle.Route.IdleTimeout = 0, 150*time.Millisecond
	p := startProxy(t, hcm(anyHost(perTry, idle, route)), staticCluster("be", be))
	c := h1Client(t)

	start := time.Now()
	res, body := get(t, c, p.url("/slow"), map[string]string{"X-Test-Delay": "3s"})
	if res.StatusCode != 504 || body != "upstream request timeout" {
		t.Errorf("route timeout: %d %q", res.StatusCode, body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("route timeout answered after %v", d)
	}
	res, body = get(t, c, p.url("/pertry"), map[string]string{"X-Test-Delay": "3s"})
	if res.StatusCode != 504 || body != "upstream request timeout" {
		t.Errorf("per-try timeout: %d %q", res.StatusCode, body)
	}
	res, body = get(t, c, p.url("/idle"), map[string]string{"X-Test-Delay": "3s"})
	if res.StatusCode != 408 || body != "stream timeout" {
		t.Errorf("idle timeout: %d %q", res.StatusCode, body)
	}
	// After the headers, the route timeout resets the stream: the client
	// sees a truncated response fail, not a short one succeed.
	for _, cl := range []*http.Client{h1Client(t), h2cClient(t)} {
		r, err := cl.Get(p.url("/stall-body"))
		if err != nil {
			t.Fatalf("stall-body: %v", err)
		}
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err == nil || !strings.HasPrefix(string(b), "partial") {
			t.Errorf("stalled body: read %q, err %v; want an error after %q", b, err, "partial")
		}
	}
	for stat, want := range map[string]uint64{"upstream_rq_timeout": 3, "upstream_rq_per_try_timeout": 2, "upstream_rq_retry": 1, "upstream_rq_504": 3} {
		if got := p.clusterStat("be", stat); got != want {
			t.Errorf("%s = %d, want %d", stat, got, want)
		}
	}
	if got := p.httpStat("downstream_rq_idle_timeout"); got != 1 {
		t.Errorf("downstream_rq_idle_timeout = %d, want 1", got)
	}
	if got := p.httpStat("downstream_rq_tx_reset"); got != 2 {
		t.Errorf("downstream_rq_tx_reset = %d, want 2", got)
	}
}

// Weighted clusters split requests in proportion to their weights.
func TestWeightedClusters(t *testing.T) {
	a, b := startBackend(t, "a", nil), startBackend(t, "b", nil)
	route := config.HTTPRoute{Match: config.HTTPRouteMatch{Path: "/"}, Route: &config.HTTPRouteAction{
		WeightedClusters: []config.WeightedCluster{{Name: "a", Weight: 30}, {Name: "b", Weight: 70}}}}
	p := startProxy(t, hcm(anyHost(route)), staticCluster("a", a), staticCluster("b", b))
	c := h2cClient(t)
	const total, workers = 2000, 8
	var next atomic.Int64
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for next.Add(1) <= total {
				res, err := c.Get(p.url("/"))
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := a.hits.Load() + b.hits.Load(); got != total {
		t.Fatalf("%d requests reached the backends, want %d", got, total)
	}
	// 30% of 2000 has a standard deviation of about 1%: 5% is 5 sigma.
	if frac := float64(a.hits.Load()) / total; frac < 0.25 || frac > 0.35 {
		t.Errorf("cluster a got %.3f of the requests, want 0.30 +- 0.05", frac)
	}
}
