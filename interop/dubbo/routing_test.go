package dubbo_test

import (
	"context"
	"testing"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/consumer"
	"github.com/sidewire/sidewire/interop/dubbo/greeter"
	"github.com/sidewire/sidewire/interop/internal/harness"
)

// routingProxy starts sidewire with the routing listener in front of the
// shared providers and returns it with the listener address.
func routingProxy(t *testing.T) (s *harness.Sidewire, addr string, v1, v2 *harness.Provider) {
	t.Helper()
	v1, v2 = sharedProviders(t)
	s = startSidewire(t, bootstrap(routingListener("dubbo_in", "")+v1OnlyListener("dubbo_v1only"), greeterClusters(t, v1, v2)))
	return s, listener(t, s, "dubbo_in"), v1, v2
}

// greetLabels makes n Greet calls and counts the serving labels.
func greetLabels(t *testing.T, c *consumer.Client, name string, attachments map[string]string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		label, text, err := c.Greet(context.Background(), name, attachments)
		if err != nil {
			t.Fatalf("Greet(%q) with %v: %v", name, attachments, err)
		}
		if text != "hello, "+name {
			t.Fatalf("Greet(%q) answered %q", name, text)
		}
		got[label]++
	}
	return got
}

func TestSidewireRouting(t *testing.T) {
	s, addr, v1, v2 := routingProxy(t)
	ctx := context.Background()
	plain := dial(t, addr, "", "", 3*time.Second)

	t.Run("version", func(t *testing.T) {
		for _, want := range []string{"v1", "v2"} {
			c := dial(t, addr, want, "", 3*time.Second)
			if got := greetLabels(t, c, "ann", nil, 20); got[want] != 20 {
				t.Errorf("version %s: served by %v; want all by %s", want, got, want)
			}
		}
	})
	t.Run("group", func(t *testing.T) {
		c := dial(t, addr, "", canaryGroup, 3*time.Second)
		if got := greetLabels(t, c, "ann", nil, 20); got["v2"] != 20 {
			t.Errorf("group %s: served by %v; want all by v2", canaryGroup, got)
		}
	})
	t.Run("method", func(t *testing.T) {
		// Sleep goes to v2, Greet (no match attachments) to v1.
		for range 10 {
			label, _, err := plain.Sleep(ctx, 1, nil)
			if err != nil || label != "v2" {
				t.Fatalf("Sleep(1) served by %q, %v; want v2", label, err)
			}
		}
		if got := greetLabels(t, plain, "ann", nil, 10); got["v1"] != 10 {
			t.Errorf("Greet: served by %v; want all by v1", got)
		}
	})
	t.Run("attachment", func(t *testing.T) {
		for _, tc := range []struct {
			value, want string
		}{{"v2", "v2"}, {"v3", "v1"}, {"", "v1"}} {
			att := map[string]string{attachRoute: tc.value}
			label, val, err := plain.Attachment(ctx, attachRoute, att)
			if err != nil || label != tc.want || val != tc.value {
				t.Errorf("Attachment with %s=%q: %q %q, %v; want served by %s, attachment passed through", attachRoute, tc.value, label, val, err, tc.want)
			}
		}
	})
	t.Run("argument", func(t *testing.T) {
		if got := greetLabels(t, plain, "vip", nil, 10); got["v2"] != 10 {
			t.Errorf("Greet(vip): served by %v; want all by v2", got)
		}
		if got := greetLabels(t, plain, "vipx", nil, 10); got["v1"] != 10 {
			t.Errorf("Greet(vipx): served by %v; want all by v1", got)
		}
		// Add replies carry no label: ask the providers what they served.
		d1, d2 := countDelta(t, v1, v2, greeter.MethodAdd, func() {
			for _, a := range []int64{1000, 1500, 1999} {
				if sum, err := plain.Add(ctx, a, 1, nil); err != nil || sum != a+1 {
					t.Fatalf("Add(%d, 1) = %d, %v", a, sum, err)
				}
			}
		})
		if d1 != 0 || d2 != 3 {
			t.Errorf("Add with a in [1000, 2000): v1 served %d, v2 %d; want 0 and 3", d1, d2)
		}
		d1, d2 = countDelta(t, v1, v2, greeter.MethodAdd, func() {
			for _, a := range []int64{999, 2000, -5} {
				if sum, err := plain.Add(ctx, a, 1, nil); err != nil || sum != a+1 {
					t.Fatalf("Add(%d, 1) = %d, %v", a, sum, err)
				}
			}
		})
		if d1 != 3 || d2 != 0 {
			t.Errorf("Add with a outside [1000, 2000): v1 served %d, v2 %d; want 3 and 0", d1, d2)
		}
	})
	t.Run("metadata", func(t *testing.T) {
		// The cluster of both providers round-robins; metadata_match
		// keeps the v2 endpoint only.
		if got := greetLabels(t, plain, "ann", map[string]string{attachAll: "1"}, 20); got["v1"] == 0 || got["v2"] == 0 {
			t.Errorf("greeter_all without metadata_match: served by %v; want both", got)
		}
		if got := greetLabels(t, plain, "ann", map[string]string{attachPick: "1"}, 20); got["v2"] != 20 {
			t.Errorf("greeter_all with metadata_match version v2: served by %v; want all by v2", got)
		}
	})
	t.Run("business exception", func(t *testing.T) {
		before, err := s.Stat("dubbo.dubbo_in.response_business_exception")
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := plain.Fail(ctx, nil); err == nil || !contains(err, greeter.FailMessage) {
				t.Fatalf("Fail() through sidewire = %v; want the provider's exception", err)
			}
		}
		if got, err := s.Stat("dubbo.dubbo_in.response_business_exception"); err != nil || got-before != 3 {
			t.Errorf("dubbo.dubbo_in.response_business_exception rose by %d (%v); want 3", got-before, err)
		}
	})
	t.Run("unexported version", func(t *testing.T) {
		c := dial(t, addr, "v9", "", 3*time.Second)
		// Version v9 falls to the catch-all route config and v1, which
		// does not export it: the provider's own error comes back.
		if _, _, err := c.Greet(ctx, "ann", nil); err == nil {
			t.Errorf("Greet with version v9 succeeded; want the provider's missing exporter error")
		}
	})
}

// TestSidewireNoRoute checks the local answer to a request no route
// config admits: an error naming the service, the providers untouched.
func TestSidewireNoRoute(t *testing.T) {
	s, _, v1, v2 := routingProxy(t)
	addr := listener(t, s, "dubbo_v1only")
	ctx := context.Background()
	if label, _, err := dial(t, addr, "v1", "", 3*time.Second).Greet(ctx, "ann", nil); err != nil || label != "v1" {
		t.Fatalf("Greet version v1 on the v1-only listener: %q, %v", label, err)
	}
	d1, d2 := countDelta(t, v1, v2, greeter.MethodGreet, func() {
		_, _, err := dial(t, addr, "v2", "", 3*time.Second).Greet(ctx, "ann", nil)
		if err == nil || !contains(err, greeter.Interface) {
			t.Errorf("Greet version v2 on the v1-only listener = %v; want a no-route error naming %s", err, greeter.Interface)
		}
	})
	if d1 != 0 || d2 != 0 {
		t.Errorf("an unrouted request reached the providers: v1 +%d, v2 +%d", d1, d2)
	}
	if n, err := s.Stat("dubbo.dubbo_v1only.local_response_error"); err != nil || n != 1 {
		t.Errorf("dubbo.dubbo_v1only.local_response_error = %d (%v); want 1", n, err)
	}
}

// countDelta runs f and returns how many more calls of method each
// provider served meanwhile.
func countDelta(t *testing.T, v1, v2 *harness.Provider, method string, f func()) (d1, d2 int64) {
	t.Helper()
	ctx := context.Background()
	c1, c2 := dial(t, v1.Addr, "", "", 3*time.Second), dial(t, v2.Addr, "", "", 3*time.Second)
	b1, err1 := c1.Count(ctx, method)
	b2, err2 := c2.Count(ctx, method)
	f()
	a1, err3 := c1.Count(ctx, method)
	a2, err4 := c2.Count(ctx, method)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			t.Fatalf("Count(%s): %v", method, err)
		}
	}
	return a1 - b1, a2 - b2
}
