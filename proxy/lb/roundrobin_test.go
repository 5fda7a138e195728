package lb

import (
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestRoundRobinEqualIsStrictRotation(t *testing.T) {
	pk := mustNew(t, config.RoundRobin, equalHosts(5), Options{})
	first := pk.Pick(0, false)
	for i := 1; i < 50; i++ {
		if got, want := pk.Pick(0, false), (first+i)%5; got != want {
			t.Fatalf("pick %d = %d, want %d", i, got, want)
		}
	}
}

func TestRoundRobinWeightedExactPerCycle(t *testing.T) {
	tests := []struct {
		weights []uint32
		cycle   int
	}{
		{[]uint32{1, 3}, 4},
		{[]uint32{2, 6}, 4}, // reduced by the GCD
		{[]uint32{5, 1, 1}, 7},
		{[]uint32{1, 2, 3, 4}, 10},
	}
	for _, tc := range tests {
		pk := mustNew(t, config.RoundRobin, hostsW(tc.weights...), Options{})
		counts := make([]int, len(tc.weights))
		const cycles = 100
		for range tc.cycle * cycles {
			counts[pk.Pick(0, false)]++
		}
		var sum uint32
		for _, w := range tc.weights {
			sum += w
		}
		for i, w := range tc.weights {
			if want := int(w) * tc.cycle * cycles / int(sum); counts[i] != want {
				t.Errorf("weights %v: host %d picked %d times, want %d", tc.weights, i, counts[i], want)
			}
		}
	}
}

func TestRoundRobinWeightedIsSmooth(t *testing.T) {
	// Every prefix of the schedule gives each host its exact share within
	// one pick, so any window (across cycle boundaries too) is within two.
	for _, ws := range [][]uint32{{1, 3}, {5, 1, 1}, {1, 2, 3, 4}, {10, 1}, {7, 7, 3, 1}} {
		hs := hostsW(ws...)
		sched := edfSchedule(hs)
		var total float64
		for _, w := range ws {
			total += float64(w)
		}
		twice := append(append([]uint32{}, sched...), sched...)
		for i := range ws {
			share := float64(ws[i]) / total
			count := 0
			for t0, x := range sched {
				if int(x) == i {
					count++
				}
				if d := float64(count) - float64(t0+1)*share; d > 1 || d < -1 {
					t.Fatalf("weights %v schedule %v: host %d has %d picks in the first %d, want %.2f ± 1", ws, sched, i, count, t0+1, float64(t0+1)*share)
				}
			}
			for start := range sched {
				count := 0
				for l := 1; l <= len(sched); l++ {
					if int(twice[start+l-1]) == i {
						count++
					}
					if d := float64(count) - float64(l)*share; d >= 2 || d <= -2 {
						t.Fatalf("weights %v schedule %v: host %d has %d picks in window [%d,+%d), want %.2f ± 2", ws, sched, i, count, start, l, float64(l)*share)
					}
				}
			}
		}
	}
}

func TestRoundRobinLargeWeightsScaled(t *testing.T) {
	// Weight sum 1e6+1 exceeds the schedule bound; shares stay close and
	// the light host still gets picked.
	hs := hostsW(1_000_000, 3_000_000, 1)
	pk := mustNew(t, config.RoundRobin, hs, Options{}).(*roundRobin)
	if len(pk.sched) > maxSchedule+len(hs) {
		t.Fatalf("schedule has %d entries, want <= %d", len(pk.sched), maxSchedule+len(hs))
	}
	got := shares(t, pk, len(pk.sched)*3)
	expectShares(t, got, []float64{0.25, 0.75, 0}, 0.001)
	if got[2] == 0 {
		t.Fatal("weight-1 host never picked")
	}
}
