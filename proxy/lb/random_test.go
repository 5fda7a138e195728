package lb

import (
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestRandomDistribution(t *testing.T) {
	tests := []struct {
		weights []uint32
		want    []float64
	}{
		{[]uint32{1, 3}, []float64{0.25, 0.75}},
		{[]uint32{1, 1, 1, 1}, []float64{0.25, 0.25, 0.25, 0.25}},
		{[]uint32{1, 2, 3, 4}, []float64{0.1, 0.2, 0.3, 0.4}},
		{[]uint32{100, 1}, []float64{100.0 / 101, 1.0 / 101}},
	}
	for _, tc := range tests {
		pk := mustNew(t, config.Random, hostsW(tc.weights...), Options{})
		expectShares(t, shares(t, pk, 100_000), tc.want, 0.02)
	}
}

func TestAliasTableIsExact(t *testing.T) {
	// Summing each column's kept and aliased probability mass must give
	// back the weights exactly (up to float rounding).
	hs := hostsW(1, 2, 3, 4, 10)
	a := newAlias(hs)
	mass := make([]float64, len(hs))
	for i := range hs {
		keep := float64(a.prob[i]) / (1 << 32)
		mass[i] += keep / float64(len(hs))
		mass[a.alias[i]] += (1 - keep) / float64(len(hs))
	}
	expectShares(t, mass, []float64{1.0 / 20, 2.0 / 20, 3.0 / 20, 4.0 / 20, 10.0 / 20}, 1e-6)
}
