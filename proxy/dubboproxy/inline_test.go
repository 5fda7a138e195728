package dubboproxy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// The router runs on the connection's read goroutine: a delayed request
// (fault) or a slow provider must not hold up the connection's later
// requests, which are answered first.
func TestSlowRequestsDoNotBlockTheConnection(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p")
	cfg := catchAll("c")
	cfg.Faults = []config.DubboFault{{Methods: []string{"delayed"}, Delay: 500 * time.Millisecond, DelayFraction: 1}}
	p := startProxy(t, cfg, staticCluster("c", prov))
	c := p.dial()
	for _, slow := range []testpeer.DubboCall{
		{Service: greeter, Method: "delayed"},
		{Service: greeter, Method: "sleepy", Attachments: map[string]any{"sleep_ms": "500"}},
	} {
		done := make(chan testpeer.DubboResult, 1)
		go func() { done <- call(t, c, slow) }()
		time.Sleep(50 * time.Millisecond) // the slow request is in flight
		start := time.Now()
		wantValue(t, call(t, c, sayHi("quick")), testpeer.DubboEcho("p", greeter, "sayHi", []any{"quick"}))
		if el := time.Since(start); el > 300*time.Millisecond {
			t.Errorf("%s: a quick request behind it took %s", slow.Method, el)
		}
		select {
		case r := <-done:
			if r.Status != dubbo.StatusOK {
				t.Errorf("%s: %+v", slow.Method, r)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no answer", slow.Method)
		}
	}
}

// Attachments the zero-allocation scanner reads, and those it leaves to
// the full decode (a value too long for one hessian2 chunk), route the
// same; an integer timeout attachment is honoured.
func TestAttachmentForms(t *testing.T) {
	hdr, other := testpeer.StartDubbo(t, "hdr"), testpeer.StartDubbo(t, "other")
	cfg := &config.DubboProxy{RouteConfigs: []config.DubboRouteConfig{{
		Interface: greeter, Routes: []config.DubboRoute{
			{Headers: []config.HeaderMatch{{Name: "tenant", String: config.StringMatch{Kind: config.MatchPrefix, Value: "acme"}}}, Cluster: "hdr"},
			{Cluster: "other"},
		},
	}}}
	cfg.Router = config.DubboRouter{DefaultTimeout: 5 * time.Second, MaxTimeout: 10 * time.Second}
	p := startProxy(t, cfg, staticCluster("hdr", hdr), staticCluster("other", other))
	c := p.dial()
	for _, tc := range []struct {
		name string
		att  map[string]any
		want string
	}{
		{"short", map[string]any{"tenant": "acme-1"}, "hdr"},
		{"chunked", map[string]any{"tenant": "acme-" + strings.Repeat("x", 5000)}, "hdr"},
		{"chunked other", map[string]any{"tenant": strings.Repeat("x", 5000)}, "other"},
		{"not a string", map[string]any{"tenant": int32(7)}, "other"},
		{"other case", map[string]any{"TENANT": "acme"}, "hdr"},
	} {
		r := call(t, c, testpeer.DubboCall{Service: greeter, Method: "m", Attachments: tc.att})
		if r.Status != dubbo.StatusOK || !strings.HasPrefix(r.Value, tc.want+"|") {
			t.Errorf("%s: %+v, want an answer from %s", tc.name, r, tc.want)
		}
	}
	for _, timeout := range []any{int32(100), int64(100), "100"} {
		start := time.Now()
		r := call(t, c, testpeer.DubboCall{Service: greeter, Method: "m", Attachments: map[string]any{"timeout": timeout, "sleep_ms": "600"}})
		if r.Status != dubbo.StatusClientTimeout || time.Since(start) > 500*time.Millisecond {
			t.Errorf("timeout %T: %+v after %s, want CLIENT_TIMEOUT after 100ms", timeout, r, time.Since(start))
		}
	}
}

// A client that leaves with requests in flight: the proxy drops their
// answers and nothing is left behind (startProxy checks goroutines).
func TestClientLeavesMidFlight(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p")
	cfg := catchAll("c")
	cfg.Router = config.DubboRouter{DefaultTimeout: time.Second, MaxTimeout: time.Second}
	p := startProxy(t, cfg, staticCluster("c", prov))
	c := p.dial()
	for range 4 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, _ = c.Call(ctx, testpeer.DubboCall{Service: greeter, Method: "m", Attachments: map[string]any{"sleep_ms": "200"}})
		}()
	}
	eventually(t, func() bool { return prov.Requests() == 4 })
	c.Close()
	eventually(t, func() bool { return gauge(p, "request_active") == 0 })
	// The next client is served normally.
	wantValue(t, call(t, p.dial(), sayHi("after")), testpeer.DubboEcho("p", greeter, "sayHi", []any{"after"}))
}

func gauge(p *proxy, name string) int64 {
	return p.store.Root().Sub("dubbo").Tagged("envoy_dubbo_prefix", p.f.cfg.StatPrefix).Gauge(name).Value()
}
