package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/internal/testpeer"
)

// TestDubboProxy drives the real binary's dubbo_proxy with Dubbo
// consumers: routing by group to two provider clusters, a heartbeat,
// a timeout, no route, and the Envoy stats and Prometheus families.
func TestDubboProxy(t *testing.T) {
	blue, other := testpeer.StartDubbo(t, "blue"), testpeer.StartDubbo(t, "other")
	listener := `
  - name: dubbo
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.dubbo_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
          stat_prefix: e2e
          multiple_route_config:
            route_config:
            - interface: org.example.Greeter
              group: blue
              routes:
              - match: {method: {name: {exact: sayHi}}}
                route: {cluster: blue}
            - interface: "org.example.*"
              routes:
              - match: {method: {name: {prefix: say}}}
                route: {cluster: other}
          dubbo_filters:
          - name: envoy.filters.dubbo.router
            config:
              "@type": type.googleapis.com/xds.type.v3.TypedStruct
              type_url: sidewire.io/sidewire.filters.dubbo.v1.Router
              value: {max_timeout: 2s, upstream_connections: 2}
`
	p := startSidewire(t, bootstrapYAML(listener,
		clusterYAML("blue", "ROUND_ROBIN", "", blue.Addr())+clusterYAML("other", "ROUND_ROBIN", "", other.Addr())))
	addr := p.listener("dubbo")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := testpeer.DialDubbo(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	do := func(dc testpeer.DubboCall) testpeer.DubboResult {
		t.Helper()
		r, err := c.Call(ctx, dc)
		if err != nil {
			t.Fatalf("call %+v: %v", dc, err)
		}
		return r
	}
	const svc = "org.example.Greeter"
	if r := do(testpeer.DubboCall{Service: svc, Group: "blue", Method: "sayHi", Args: []any{"a"}}); r.Value != testpeer.DubboEcho("blue", svc, "sayHi", []any{"a"}) {
		t.Errorf("group blue: %+v", r)
	}
	// Without the group the blue route config must not match.
	if r := do(testpeer.DubboCall{Service: svc, Method: "sayHi", Args: []any{"b"}}); r.Value != testpeer.DubboEcho("other", svc, "sayHi", []any{"b"}) {
		t.Errorf("no group: %+v", r)
	}
	if r := do(testpeer.DubboCall{Service: "net.Health", Method: "check"}); r.Status != dubbo.StatusServiceNotFound {
		t.Errorf("no route: %+v", r)
	}
	slow := testpeer.DubboCall{Service: svc, Method: "sayLater", Attachments: map[string]any{"timeout": "60000", "sleep_ms": "3000"}}
	if r := do(slow); r.Status != dubbo.StatusClientTimeout {
		t.Errorf("slow call past max_timeout: %+v", r)
	}
	if r, err := c.Heartbeat(ctx); err != nil || !r.Heartbeat {
		t.Errorf("heartbeat: %+v, %v", r, err)
	}
	for name, want := range map[string]int64{
		"dubbo.e2e.request": 4, "dubbo.e2e.request_twoway": 4, "dubbo.e2e.request_event": 1,
		"dubbo.e2e.response_success": 2, "dubbo.e2e.local_response_error": 2,
	} {
		if got := p.stat(name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	_, prom := p.get("/stats/prometheus")
	for _, want := range []string{
		fmt.Sprintf(`sidewire_dubbo_requests_total{method="sayHi",service="%s",status="ok"} 2`, svc),
		`envoy_dubbo_request{envoy_dubbo_prefix="e2e"} 4`,
	} {
		if !strings.Contains(prom, want) {
			t.Errorf("/stats/prometheus lacks %s", want)
		}
	}
}
