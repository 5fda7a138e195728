package lb

import (
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

func tableCounts(m *maglev) []int {
	c := make([]int, m.n)
	for _, i := range m.table {
		c[i]++
	}
	return c
}

func TestMaglevEqualWeightsBalanced(t *testing.T) {
	m := mustNew(t, config.Maglev, equalHosts(7), Options{}).(*maglev)
	if len(m.table) != DefaultMaglevTableSize {
		t.Fatalf("table size %d, want %d", len(m.table), DefaultMaglevTableSize)
	}
	// Hosts claim one slot per round, so counts differ by at most one.
	counts := tableCounts(m)
	lo, hi := counts[0], counts[0]
	for _, c := range counts {
		lo, hi = min(lo, c), max(hi, c)
	}
	if hi-lo > 1 {
		t.Fatalf("slot counts %v differ by %d, want <= 1", counts, hi-lo)
	}
}

func TestMaglevWeighted(t *testing.T) {
	m := mustNew(t, config.Maglev, hostsW(1, 3), Options{}).(*maglev)
	counts := tableCounts(m)
	if got := float64(counts[0]) / float64(len(m.table)); got < 0.245 || got > 0.255 {
		t.Fatalf("weight-1 host owns %.4f of the table, want 0.25", got)
	}
	expectShares(t, shares(t, m, 100_000), []float64{0.25, 0.75}, 0.02)
	m = mustNew(t, config.Maglev, hostsW(1, 2, 3, 4), Options{MaglevTableSize: 10007}).(*maglev)
	expectShares(t, shares(t, m, 100_000), []float64{0.1, 0.2, 0.3, 0.4}, 0.02)
}

func TestMaglevMinimalDisruption(t *testing.T) {
	for _, n := range []int{5, 10, 20} {
		hs := equalHosts(n)
		a := mustNew(t, config.Maglev, hs, Options{}).(*maglev)
		removedIdx := n / 2
		rest := append(append([]Weighted{}, hs[:removedIdx]...), hs[removedIdx+1:]...)
		b := mustNew(t, config.Maglev, rest, Options{}).(*maglev)
		moved := 0
		for slot := range a.table {
			if hs[a.table[slot]].Key != rest[b.table[slot]].Key {
				moved++
			}
		}
		frac := float64(moved) / float64(len(a.table))
		// The removed host's 1/n must move; Maglev adds a little churn.
		ideal := 1 / float64(n)
		if frac < ideal*0.95 || frac > ideal*1.5 {
			t.Errorf("n=%d: removing one host moved %.4f of keys, want about %.4f", n, frac, ideal)
		}
		t.Logf("n=%d: moved %.4f (ideal %.4f)", n, frac, ideal)
	}
}

func TestMaglevConsistentAcrossBuilds(t *testing.T) {
	hs := hostsW(1, 2, 3)
	a := mustNew(t, config.Maglev, hs, Options{})
	b := mustNew(t, config.Maglev, hs, Options{})
	for h := uint64(0); h < 100_000; h += 7 {
		if a.Pick(h, true) != b.Pick(h, true) {
			t.Fatalf("hash %d maps differently across identical builds", h)
		}
	}
}
