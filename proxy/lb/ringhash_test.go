package lb

import (
	"math/rand/v2"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestRingHashSize(t *testing.T) {
	tests := []struct {
		name     string
		weights  []uint32
		min, max uint64
		wantMin  int
		wantMax  int
	}{
		{"defaults equal", []uint32{1, 1, 1}, 0, 0, 1024, 1100},
		{"weights 1:3", []uint32{1, 3}, 0, 0, 1024, 1030},
		// The light host's share of 1024 rounds up to 11 points: 11/0.01.
		{"light host rounds up", []uint32{1, 99}, 0, 0, 1100, 1100},
		// ceil(0.01*4096)/0.01 = 4100, capped at 4096.
		{"capped by max", []uint32{1, 99}, 4096, 4096, 4096, 4096},
		{"min raised", []uint32{1, 1}, 10_000, 20_000, 10_000, 10_002},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pk := mustNew(t, config.RingHash, hostsW(tc.weights...), Options{RingMinSize: tc.min, RingMaxSize: tc.max}).(*ringHash)
			if n := pk.Size(); n < tc.wantMin || n > tc.wantMax {
				t.Fatalf("ring size %d, want [%d,%d]", n, tc.wantMin, tc.wantMax)
			}
		})
	}
}

func TestRingHashDistribution(t *testing.T) {
	// Shares of the hash space follow weights; a bigger ring tightens them.
	pk := mustNew(t, config.RingHash, hostsW(1, 3), Options{RingMinSize: 16384})
	expectShares(t, shares(t, pk, 100_000), []float64{0.25, 0.75}, 0.02)
	pk = mustNew(t, config.RingHash, equalHosts(4), Options{RingMinSize: 16384})
	expectShares(t, shares(t, pk, 100_000), []float64{0.25, 0.25, 0.25, 0.25}, 0.02)
	// The default ring is coarser but still close.
	pk = mustNew(t, config.RingHash, hostsW(1, 3), Options{})
	expectShares(t, shares(t, pk, 100_000), []float64{0.25, 0.75}, 0.04)
}

func TestRingHashConsistency(t *testing.T) {
	hs := equalHosts(10)
	a := mustNew(t, config.RingHash, hs, Options{})
	b := mustNew(t, config.RingHash, hs, Options{})
	// Without host 3 (keys stay the same, indexes shift after 3).
	removed := append(append([]Weighted{}, hs[:3]...), hs[4:]...)
	c := mustNew(t, config.RingHash, removed, Options{})
	moved := 0
	const keys = 20_000
	for range keys {
		h := rand.Uint64()
		ia, ib := a.Pick(h, true), b.Pick(h, true)
		if ia != ib {
			t.Fatalf("hash %x: rebuilt ring picks %d, original %d", h, ib, ia)
		}
		if ia == a.Pick(h, true) && hs[ia].Key != removed[c.Pick(h, true)].Key {
			moved++
		}
	}
	// About 1/10 of keys belonged to the removed host; resizing the ring
	// for 9 hosts moves a few more.
	if frac := float64(moved) / keys; frac < 0.05 || frac > 0.2 {
		t.Fatalf("removing 1 of 10 hosts moved %.3f of keys, want about 0.1", frac)
	}
}

func TestRingHashWraps(t *testing.T) {
	pk := mustNew(t, config.RingHash, equalHosts(3), Options{}).(*ringHash)
	last := pk.hashes[len(pk.hashes)-1]
	if last == ^uint64(0) {
		t.Skip("ring ends at the maximum hash")
	}
	if got, want := pk.Pick(last+1, true), int(pk.owner[0]); got != want {
		t.Fatalf("hash past the last point picks %d, want the first point's owner %d", got, want)
	}
	if got, want := pk.Pick(pk.hashes[5], true), int(pk.owner[5]); got != want {
		t.Fatalf("hash equal to a point picks %d, want its owner %d", got, want)
	}
}
