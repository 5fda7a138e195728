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

func TestForwardAndStats(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p1")
	p := startProxy(t, catchAll("c"), staticCluster("c", prov))
	c := p.dial()
	wantValue(t, call(t, c, sayHi("world")), testpeer.DubboEcho("p1", greeter, "sayHi", []any{"world"}))
	r := call(t, c, testpeer.DubboCall{Service: greeter, Method: "throw"})
	if r.Status != dubbo.StatusOK || !r.Exception || !strings.Contains(r.Message, "thrown by p1") {
		t.Fatalf("throw: %+v", r)
	}
	r = call(t, c, testpeer.DubboCall{Service: greeter, Method: "fail"})
	if r.Status != dubbo.StatusServiceError || r.Message != "failed by p1" {
		t.Fatalf("fail: %+v", r)
	}
	hb, err := c.Heartbeat(context.Background())
	if err != nil || !hb.Heartbeat || hb.Status != dubbo.StatusOK {
		t.Fatalf("heartbeat: %+v, %v", hb, err)
	}
	if _, err := c.Call(context.Background(), testpeer.DubboCall{Service: greeter, Method: "notify", OneWay: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return prov.OneWay() == 1 })
	// A two-way call after the one-way one shows nothing was answered
	// for the one-way request (the client would fail on an unknown id).
	wantValue(t, call(t, c, sayHi("again")), testpeer.DubboEcho("p1", greeter, "sayHi", []any{"again"}))
	for name, want := range map[string]uint64{
		"request": 5, "request_twoway": 4, "request_oneway": 1, "request_event": 1,
		"response": 4, "response_success": 2, "response_business_exception": 1, "response_error": 1,
		"local_response_error": 0,
	} {
		if got := p.counter(name); got != want {
			t.Errorf("dubbo.test.%s = %d, want %d", name, got, want)
		}
	}
}

func TestNoRoute(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p1")
	cfg := &config.DubboProxy{RouteConfigs: []config.DubboRouteConfig{{
		Interface: greeter, Routes: []config.DubboRoute{{Method: &config.StringMatch{Value: "sayHi"}, Cluster: "c"}},
	}}}
	p := startProxy(t, cfg, staticCluster("c", prov))
	c := p.dial()
	for _, dc := range []testpeer.DubboCall{
		{Service: "org.example.Other", Method: "sayHi"},
		{Service: greeter, Method: "sayBye"},
	} {
		r := call(t, c, dc)
		if r.Status != dubbo.StatusServiceNotFound || !strings.Contains(r.Message, dc.Service) || !strings.Contains(r.Message, dc.Method) {
			t.Errorf("%s.%s: %+v, want SERVICE_NOT_FOUND naming service and method", dc.Service, dc.Method, r)
		}
	}
	if prov.Requests() != 0 {
		t.Errorf("provider got %d requests", prov.Requests())
	}
	if got := p.counter("local_response_error"); got != 2 {
		t.Errorf("local_response_error = %d, want 2", got)
	}
}

func TestTimeout(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p1")
	cfg := catchAll("c")
	cfg.Router = config.DubboRouter{DefaultTimeout: 5 * time.Second, MaxTimeout: 10 * time.Second}
	p := startProxy(t, cfg, staticCluster("c", prov))
	c := p.dial()
	slow := sayHi("slow")
	slow.Attachments = map[string]any{"timeout": "100", "sleep_ms": "400"}
	start := time.Now()
	r := call(t, c, slow)
	if r.Status != dubbo.StatusClientTimeout || !strings.Contains(r.Message, "timed out") {
		t.Fatalf("slow call: %+v, want CLIENT_TIMEOUT", r)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("timeout answered after %s", el)
	}
	// The late answer is dropped: the next call gets its own answer.
	time.Sleep(500 * time.Millisecond)
	wantValue(t, call(t, c, sayHi("next")), testpeer.DubboEcho("p1", greeter, "sayHi", []any{"next"}))
	// The timeout is capped by MaxTimeout.
	capped := sayHi("capped")
	capped.Attachments = map[string]any{"timeout": "100000", "sleep_ms": "300"}
	cfg2 := catchAll("c")
	cfg2.Router = config.DubboRouter{DefaultTimeout: 50 * time.Millisecond, MaxTimeout: 100 * time.Millisecond}
	p2 := startProxy(t, cfg2, staticCluster("c", prov))
	if r := call(t, p2.dial(), capped); r.Status != dubbo.StatusClientTimeout {
		t.Fatalf("capped: %+v, want CLIENT_TIMEOUT", r)
	}
}

func TestProviderKilledMidFlight(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p1")
	p := startProxy(t, catchAll("c"), staticCluster("c", prov))
	c := p.dial()
	const n = 8
	results := make(chan testpeer.DubboResult, n)
	for i := range n {
		go func() {
			dc := sayHi("x")
			dc.Attachments = map[string]any{"sleep_ms": "5000", "n": i}
			r, _ := c.Call(context.Background(), dc)
			results <- r
		}()
	}
	eventually(t, func() bool { return prov.Requests() == n })
	prov.Close()
	for range n {
		select {
		case r := <-results:
			if r.Status != dubbo.StatusServiceError {
				t.Errorf("in-flight call: %+v, want SERVICE_ERROR", r)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("an in-flight request was left hanging after its provider died")
		}
	}
}

func TestMalformedFrameClosesOnlyThatConnection(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p1")
	p := startProxy(t, catchAll("c"), staticCluster("c", prov))
	good, bad := p.dial(), p.dial()
	wantValue(t, call(t, bad, sayHi("a")), testpeer.DubboEcho("p1", greeter, "sayHi", []any{"a"}))
	if err := bad.Send([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-bad.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the connection that sent garbage is still open")
	}
	wantValue(t, call(t, good, sayHi("b")), testpeer.DubboEcho("p1", greeter, "sayHi", []any{"b"}))
	eventually(t, func() bool { return p.counter("request_decoding_error") == 1 })
}

// eventually polls cond for up to 5 seconds.
func eventually(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
