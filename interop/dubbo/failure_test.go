package dubbo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/consumer"
	"github.com/sidewire/sidewire/interop/dubbo/greeter"
	"github.com/sidewire/sidewire/interop/internal/harness"
)

// TestSidewireProviderKilledMidFlight kills provider v1 (SIGKILL) while
// calls to both providers are in flight through one sidewire listener.
// Calls to v1 that finished before the kill succeeded, those in flight
// or sent after it fail fast (no waiting for the 5s timeout), calls to v2
// never fail, and v1 serves again once restarted on its port.
func TestSidewireProviderKilledMidFlight(t *testing.T) {
	k1, k2 := startProvider(t, "v1"), startProvider(t, "v2")
	s := startSidewire(t, bootstrap(routingListener("dubbo_in", ""), greeterClusters(t, k1, k2)))
	addr := listener(t, s, "dubbo_in")
	c1, c2 := dial(t, addr, "v1", "", 5*time.Second), dial(t, addr, "v2", "", 5*time.Second)

	const sleepMS = 200
	// 40 calls/s of 200ms each: about 8 in flight per provider at any
	// moment, and no flood of fast failures once v1 is gone.
	spec := consumer.Spec{Duration: 2500 * time.Millisecond, Concurrency: 16, Rate: 40, Record: true}
	var wg sync.WaitGroup
	reports := make([]*consumer.Report, 2)
	for i, c := range []*consumer.Client{c1, c2} {
		call, err := consumer.MethodCall(c, greeter.MethodSleep, "200", nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], _ = consumer.Run(context.Background(), spec, call)
		}()
	}
	time.Sleep(time.Second)
	killed := time.Now()
	k1.Kill()
	wg.Wait()
	r1, r2 := reports[0], reports[1]

	if r2.Errors != 0 || r2.ByProvider["v2"] != r2.Calls || r2.Calls < 40 {
		t.Errorf("calls to v2 while v1 died: %d calls, %d errors %v, by provider %v; want all served by v2", r2.Calls, r2.Errors, r2.ErrorKinds, r2.ByProvider)
	}
	// A reply the provider wrote just before SIGKILL may land a moment
	// after it.
	const slack = 50 * time.Millisecond
	var okBefore, inFlight, after int
	for _, rec := range r1.Records {
		switch {
		case rec.Err == nil && rec.End.After(killed.Add(slack)):
			t.Errorf("call to v1 started %v after the kill succeeded (ended %v after it)", rec.Start.Sub(killed), rec.End.Sub(killed))
		case rec.Err == nil:
			okBefore++
		case rec.End.Before(killed):
			t.Errorf("call to v1 failed before the kill: %v", rec.Err)
		case rec.End.Sub(rec.Start) > time.Second+sleepMS*time.Millisecond:
			t.Errorf("failed call to v1 took %v: an upstream loss should fail it at once, not at the timeout (%v)", rec.End.Sub(rec.Start), rec.Err)
		case rec.Start.Before(killed):
			inFlight++
		default:
			after++
		}
	}
	if okBefore < 10 || inFlight == 0 {
		t.Errorf("calls to v1: %d succeeded before the kill, %d failed in flight, %d failed after; want many, some, any", okBefore, inFlight, after)
	}
	t.Logf("v1: %d ok before the kill, %d failed in flight, %d failed after (errors %v); v2: %d calls, %d errors",
		okBefore, inFlight, after, r1.ErrorKinds, r2.Calls, r2.Errors)

	// Restart v1 on its port: sidewire reconnects.
	_, port, err := harness.HostPort(k1.Addr)
	if err != nil {
		t.Fatal(err)
	}
	spec1 := providerSpec("v1")
	spec1.Port = port
	k1b, err := harness.StartProvider(needProvider(t), spec1)
	if err != nil {
		t.Fatalf("restart v1 on port %d: %v", port, err)
	}
	t.Cleanup(k1b.Kill)
	deadline := time.Now().Add(10 * time.Second)
	for {
		label, _, err := c1.Greet(context.Background(), "back", nil)
		if err == nil && label == "v1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("v1 not reachable through sidewire 10s after its restart: %q, %v", label, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSidewireSlowProviderConsumerTimeout calls a slow method with a
// consumer timeout shorter than the provider takes: the call fails at
// the timeout, calls sharing the connection are not held up, and the
// late reply confuses nothing.
func TestSidewireSlowProviderConsumerTimeout(t *testing.T) {
	_, addr, _, _ := routingProxy(t)
	ctx := context.Background()
	c := dial(t, addr, "", "", 300*time.Millisecond)

	var wg sync.WaitGroup
	wg.Add(1)
	var slowErr error
	var slowTook time.Duration
	go func() {
		defer wg.Done()
		start := time.Now()
		_, _, slowErr = c.Sleep(ctx, 1500, nil)
		slowTook = time.Since(start)
	}()
	// Meanwhile fast calls on the same connections finish.
	fast := dial(t, addr, "", "", 3*time.Second)
	call, err := consumer.MethodCall(fast, greeter.MethodGreet, "fast", nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := consumer.Run(ctx, consumer.Spec{Calls: 200, Concurrency: 4}, call)
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if slowErr == nil || slowTook < 250*time.Millisecond || slowTook > 1200*time.Millisecond {
		t.Errorf("Sleep(1500) with a 300ms timeout: %v after %v; want an error near 300ms", slowErr, slowTook)
	}
	if rep.OK != 200 || rep.Latency.Max > float64((time.Second).Microseconds()) {
		t.Errorf("fast calls beside the slow one: %d ok, errors %v, max latency %.0fµs; want 200 ok under 1s", rep.OK, rep.ErrorKinds, rep.Latency.Max)
	}
	// Let the late reply arrive, then check calls still match their
	// replies.
	time.Sleep(1300 * time.Millisecond)
	for i := range 20 {
		name := "after-" + string(rune('a'+i))
		label, text, err := c.Greet(ctx, name, nil)
		if err != nil || label != "v1" || text != "hello, "+name {
			t.Fatalf("Greet(%q) after the late reply: %q %q, %v", name, label, text, err)
		}
	}
}

// TestSidewireRouterMaxTimeout caps request timeouts at the proxy: a
// consumer willing to wait 5s gets sidewire's timeout answer at 400ms.
func TestSidewireRouterMaxTimeout(t *testing.T) {
	v1, v2 := sharedProviders(t)
	s := startSidewire(t, bootstrap(routingListener("capped", routerOptions("{max_timeout: 0.4s}")), greeterClusters(t, v1, v2)))
	addr := listener(t, s, "capped")
	c := dial(t, addr, "", "", 5*time.Second)
	start := time.Now()
	_, _, err := c.Sleep(context.Background(), 1500, nil)
	took := time.Since(start)
	if err == nil || took < 350*time.Millisecond || took > 1200*time.Millisecond {
		t.Errorf("Sleep(1500) behind max_timeout 400ms: %v after %v; want sidewire's timeout near 400ms", err, took)
	}
	if n, err := s.Stat("dubbo.capped.local_response_error"); err != nil || n != 1 {
		t.Errorf("dubbo.capped.local_response_error = %d (%v); want 1", n, err)
	}
	if label, _, err := c.Sleep(context.Background(), 10, nil); err != nil || label != "v2" {
		t.Errorf("Sleep(10) behind max_timeout: %q, %v; want served by v2", label, err)
	}
}
