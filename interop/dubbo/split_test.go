package dubbo_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/consumer"
	"github.com/sidewire/sidewire/interop/dubbo/greeter"
)

// TestSidewireWeightedSplit sends 10k calls through a 90/10
// weighted_clusters route and checks the share each provider got is
// within five standard deviations of the weights.
func TestSidewireWeightedSplit(t *testing.T) {
	_, addr, _, _ := routingProxy(t)
	c := dial(t, addr, "", "", 5*time.Second)
	call, err := consumer.MethodCall(c, greeter.MethodGreet, "split", map[string]string{attachSplit: "1"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 10000
	rep, err := consumer.Run(context.Background(), consumer.Spec{Calls: n, Concurrency: 8}, call)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != n {
		t.Fatalf("%d of %d calls succeeded; errors: %v", rep.OK, n, rep.ErrorKinds)
	}
	const p = 0.10
	sd := math.Sqrt(n * p * (1 - p)) // binomial: 30 calls
	want := n * p
	got := float64(rep.ByProvider["v2"])
	if math.Abs(got-want) > 5*sd || rep.ByProvider["v1"]+rep.ByProvider["v2"] != n {
		t.Errorf("split %v over %d calls; want v2 within %.0f±%.0f (5 sd), the rest v1", rep.ByProvider, n, want, 5*sd)
	}
	t.Logf("90/10 split over %d calls: %v (%.0f calls/s, p50 %.0fµs p99 %.0fµs)", n, rep.ByProvider, rep.CallsPerSec, rep.Latency.P50, rep.Latency.P99)
}
