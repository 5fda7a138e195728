package dubboproxy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// TestSharedUpstreams runs 50 client connections with many concurrent
// calls each over 2 upstream connections; the provider answers out of
// order, and every caller must get its own payload.
func TestSharedUpstreams(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p")
	cfg := catchAll("c")
	cfg.Router = config.DubboRouter{UpstreamConnections: 2}
	p := startProxy(t, cfg, staticCluster("c", prov))
	const conns, perConn, calls = 50, 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, conns*perConn)
	for i := range conns {
		c := p.dial()
		for j := range perConn {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range calls {
					arg := fmt.Sprintf("c%d-g%d-k%d", i, j, k)
					dc := sayHi(arg)
					dc.Attachments = map[string]any{"sleep_ms": fmt.Sprint((i + j + k) % 3)}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					r, err := c.Call(ctx, dc)
					cancel()
					want := testpeer.DubboEcho("p", greeter, "sayHi", []any{arg})
					if err != nil || r.Status != dubbo.StatusOK || r.Value != want {
						errs <- fmt.Errorf("call %s: %+v, %v", arg, r, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := prov.Conns(); got != 2 {
		t.Errorf("provider saw %d connections, want 2 shared by %d clients", got, conns)
	}
	if got := prov.Requests(); got != conns*perConn*calls {
		t.Errorf("provider got %d requests, want %d", got, conns*perConn*calls)
	}
}

// TestUpstreamHeartbeat closes an upstream connection whose provider
// stops answering heartbeats, and reconnects for the next request.
func TestUpstreamHeartbeat(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p")
	cfg := catchAll("c")
	cfg.Router = config.DubboRouter{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: 150 * time.Millisecond}
	p := startProxy(t, cfg, staticCluster("c", prov))
	c := p.dial()
	call(t, c, sayHi("a"))
	eventually(t, func() bool { return prov.Heartbeats() >= 2 })
	if prov.Conns() != 1 {
		t.Fatalf("answered heartbeats: %d connections, want 1", prov.Conns())
	}
	prov.IgnoreHeartbeats.Store(true)
	time.Sleep(400 * time.Millisecond)
	wantValue(t, call(t, c, sayHi("b")), testpeer.DubboEcho("p", greeter, "sayHi", []any{"b"}))
	if prov.Conns() < 2 {
		t.Fatalf("the silent upstream connection was not replaced: %d connections", prov.Conns())
	}
}

func TestFaults(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p")
	cfg := catchAll("c")
	cfg.Faults = []config.DubboFault{
		{Services: []string{greeter}, Methods: []string{"slow"}, Delay: 200 * time.Millisecond, DelayFraction: 1},
		{Methods: []string{"broken"}, AbortStatus: 70, AbortMessage: "injected", AbortFraction: 1},
		{Methods: []string{"never"}, AbortStatus: 70, AbortFraction: 0},
	}
	p := startProxy(t, cfg, staticCluster("c", prov))
	c := p.dial()
	start := time.Now()
	call(t, c, testpeer.DubboCall{Service: greeter, Method: "slow"})
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("delayed call took %s, want >= 200ms", el)
	}
	r := call(t, c, testpeer.DubboCall{Service: greeter, Method: "broken"})
	if r.Status != dubbo.StatusServiceError || r.Message != "injected" {
		t.Errorf("aborted call: %+v", r)
	}
	wantValue(t, call(t, c, testpeer.DubboCall{Service: greeter, Method: "never"}), testpeer.DubboEcho("p", greeter, "never", nil))
	if prov.Requests() != 2 {
		t.Errorf("provider got %d requests, want 2 (the aborted one never reaches it)", prov.Requests())
	}
	if p.counter("fault.delays_injected") != 1 || p.counter("fault.aborts_injected") != 1 || p.counter("local_response_error") != 1 {
		t.Errorf("fault stats: delays %d aborts %d local errors %d", p.counter("fault.delays_injected"),
			p.counter("fault.aborts_injected"), p.counter("local_response_error"))
	}
}

func TestMirror(t *testing.T) {
	prov, shadow := testpeer.StartDubbo(t, "main"), testpeer.StartDubbo(t, "shadow")
	cfg := catchAll("c")
	cfg.Mirrors = []config.DubboMirror{{Cluster: "shadow", Fraction: 1, Methods: []string{"sayHi"}}}
	p := startProxy(t, cfg, staticCluster("c", prov), staticCluster("shadow", shadow))
	c := p.dial()
	for i := range 10 {
		arg := fmt.Sprint(i)
		wantValue(t, call(t, c, sayHi(arg)), testpeer.DubboEcho("main", greeter, "sayHi", []any{arg}))
	}
	call(t, c, testpeer.DubboCall{Service: greeter, Method: "other"})
	eventually(t, func() bool { return shadow.Requests() == 10 })
	if prov.Requests() != 11 {
		t.Errorf("main provider got %d requests, want 11", prov.Requests())
	}
}

func TestMetrics(t *testing.T) {
	prov := testpeer.StartDubbo(t, "p")
	cfg := catchAll("c")
	cfg.Router = config.DubboRouter{MaxMetricPairs: 2}
	p := startProxy(t, cfg, staticCluster("c", prov))
	c := p.dial()
	for _, m := range []string{"a", "b", "c", "d", "a", "throw"} {
		call(t, c, testpeer.DubboCall{Service: greeter, Method: m})
	}
	var out strings.Builder
	mfs, err := p.store.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != requestsFamily {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				out.WriteString(l.GetName() + "=" + l.GetValue() + " ")
			}
			fmt.Fprintf(&out, "%v\n", m.GetCounter().GetValue())
		}
	}
	got := out.String()
	for _, want := range []string{
		"method=a service=" + greeter + " status=ok 2",
		"method=b service=" + greeter + " status=ok 1",
		"method=other service=other status=ok 2",
		"method=other service=other status=exception 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", requestsFamily, want, got)
		}
	}
}
