package lb

import (
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestLeastRequestPrefersIdle(t *testing.T) {
	hs := equalHosts(4)
	for i := 1; i < 4; i++ {
		hs[i].Active.Store(5)
	}
	pk := mustNew(t, config.LeastRequest, hs, Options{})
	// Host 0 wins unless neither of the two candidates is host 0:
	// 1 - (3/4)^2 = 7/16. The busy hosts share the rest evenly.
	expectShares(t, shares(t, pk, 100_000), []float64{7.0 / 16, 3.0 / 16, 3.0 / 16, 3.0 / 16}, 0.02)

	three := uint32(3)
	pk3 := mustNew(t, config.LeastRequest, hs, Options{ChoiceCount: three})
	// 1 - (3/4)^3 = 37/64.
	expectShares(t, shares(t, pk3, 100_000)[:1], []float64{37.0 / 64}, 0.02)
}

func TestLeastRequestReadsLiveCounts(t *testing.T) {
	hs := equalHosts(2)
	pk := mustNew(t, config.LeastRequest, hs, Options{})
	hs[0].Active.Store(10)
	if got := shares(t, pk, 10_000)[1]; got < 0.7 {
		t.Fatalf("idle host share = %.3f after host 0 got busy, want >= 0.7", got)
	}
	hs[0].Active.Store(0)
	hs[1].Active.Store(10)
	if got := shares(t, pk, 10_000)[0]; got < 0.7 {
		t.Fatalf("idle host share = %.3f after host 1 got busy, want >= 0.7", got)
	}
}

func TestLeastRequestWeighted(t *testing.T) {
	// Idle hosts: traffic in proportion to weight.
	hs := hostsW(1, 3)
	pk := mustNew(t, config.LeastRequest, hs, Options{})
	expectShares(t, shares(t, pk, 100_000), []float64{0.25, 0.75}, 0.02)

	// A busy heavy host loses whenever the idle light one is a candidate:
	// light share = 1 - (3/4)^2.
	hs[1].Active.Store(30)
	expectShares(t, shares(t, pk, 100_000), []float64{7.0 / 16, 9.0 / 16}, 0.02)

	// Load relative to weight: 3 active on weight 3 equals 1 on weight 1,
	// so ties keep the weighted first draw.
	hs[0].Active.Store(1)
	hs[1].Active.Store(3)
	expectShares(t, shares(t, pk, 100_000), []float64{0.25, 0.75}, 0.02)

	// Bias 0 ignores active requests entirely.
	zero := 0.0
	pk0 := mustNew(t, config.LeastRequest, hs, Options{ActiveRequestBias: &zero})
	hs[1].Active.Store(1000)
	expectShares(t, shares(t, pk0, 100_000), []float64{0.25, 0.75}, 0.02)

	// Bias 2 punishes load harder than bias 1: active 2 vs 4 on weights
	// 1:3 ties under bias 1 (2/1 > 4/3 actually favours host 1) but
	// 4/1 < 16/3 favours host 0 under bias 2.
	two := 2.0
	pk2 := mustNew(t, config.LeastRequest, hs, Options{ActiveRequestBias: &two})
	hs[0].Active.Store(2)
	hs[1].Active.Store(4)
	if got := shares(t, pk2, 100_000)[0]; got < 0.4 {
		t.Fatalf("bias 2: host 0 share %.3f, want it preferred when both are candidates (>= 0.4)", got)
	}
	if got := shares(t, pk, 100_000)[0]; got > 0.1 {
		t.Fatalf("bias 1: host 0 share %.3f, want host 1 preferred (<= 0.1)", got)
	}
}
