package lb

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

var allPolicies = []config.LBPolicy{config.RoundRobin, config.LeastRequest, config.Random, config.RingHash, config.Maglev}

// hostsW builds hosts 10.0.0.i:80 with the given weights.
func hostsW(weights ...uint32) []Weighted {
	hs := make([]Weighted, len(weights))
	for i, w := range weights {
		hs[i] = Weighted{Key: "10.0.0." + strconv.Itoa(i+1) + ":80", Weight: w, Active: new(atomic.Int64)}
	}
	return hs
}

func equalHosts(n int) []Weighted {
	ws := make([]uint32, n)
	for i := range ws {
		ws[i] = 1
	}
	return hostsW(ws...)
}

func mustNew(t testing.TB, p config.LBPolicy, hs []Weighted, o Options) Picker {
	t.Helper()
	pk, err := New(p, hs, o)
	if err != nil {
		t.Fatalf("New(%v): %v", p, err)
	}
	return pk
}

// shares picks n times (with a fresh random hash each time for the hash
// policies) and returns each host's share of picks.
func shares(t testing.TB, pk Picker, n int) []float64 {
	t.Helper()
	counts := make([]int, pk.Len())
	for range n {
		i := pk.Pick(0, false)
		if i < 0 || i >= len(counts) {
			t.Fatalf("Pick returned %d, want [0,%d)", i, len(counts))
		}
		counts[i]++
	}
	out := make([]float64, len(counts))
	for i, c := range counts {
		out[i] = float64(c) / float64(n)
	}
	return out
}

// expectShares fails unless got[i] is within tol (absolute) of want[i].
func expectShares(t *testing.T, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("host %d share = %.4f, want %.4f ± %.3f (all %v)", i, got[i], want[i], tol, got)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	neg := -1.0
	tests := []struct {
		policy config.LBPolicy
		opts   Options
		ok     bool
	}{
		{config.RoundRobin, Options{}, true},
		{config.Random, Options{}, true},
		{config.LeastRequest, Options{}, true},
		{config.LeastRequest, Options{ChoiceCount: 1}, false},
		{config.LeastRequest, Options{ActiveRequestBias: &neg}, false},
		{config.RingHash, Options{}, true},
		{config.RingHash, Options{RingMinSize: 10, RingMaxSize: 5}, false},
		{config.RingHash, Options{RingMaxSize: DefaultRingMaxSize + 1}, false},
		{config.Maglev, Options{}, true},
		{config.Maglev, Options{MaglevTableSize: 65536}, false},
		{config.Maglev, Options{MaglevTableSize: 251}, true},
		{config.Maglev, Options{MaglevTableSize: 5000021}, false},
		{config.LBPolicy(99), Options{}, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v/%+v", tc.policy, tc.opts), func(t *testing.T) {
			err := tc.opts.Validate(tc.policy)
			if (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("error %v does not wrap ErrInvalidOptions", err)
			}
			_, nerr := New(tc.policy, hostsW(1, 2), tc.opts)
			if (nerr == nil) != tc.ok {
				t.Fatalf("New error = %v, want ok=%v", nerr, tc.ok)
			}
		})
	}
}

func TestEmptyAndSingle(t *testing.T) {
	for _, p := range allPolicies {
		t.Run(p.String(), func(t *testing.T) {
			if got := mustNew(t, p, nil, Options{}).Pick(42, true); got != -1 {
				t.Fatalf("empty picker Pick = %d, want -1", got)
			}
			one := mustNew(t, p, hostsW(7), Options{})
			for i := range 100 {
				if got := one.Pick(uint64(i)*0x9e3779b97f4a7c15, i%2 == 0); got != 0 {
					t.Fatalf("single-host Pick = %d, want 0", got)
				}
			}
			if one.Len() != 1 {
				t.Fatalf("Len = %d, want 1", one.Len())
			}
		})
	}
}

func TestOptionsFor(t *testing.T) {
	o := OptionsFor(&config.Cluster{LeastRequestChoices: 3, RingMinSize: 10, RingMaxSize: 20, MaglevTableSize: 251})
	if o.ChoiceCount != 3 || o.RingMinSize != 10 || o.RingMaxSize != 20 || o.MaglevTableSize != 251 {
		t.Fatalf("OptionsFor = %+v", o)
	}
}

func TestPickDoesNotAllocate(t *testing.T) {
	for _, p := range allPolicies {
		for _, hs := range [][]Weighted{equalHosts(8), hostsW(1, 2, 3, 4, 5, 6, 7, 8)} {
			pk := mustNew(t, p, hs, Options{})
			var h uint64
			allocs := testing.AllocsPerRun(1000, func() {
				h += 0x9e3779b97f4a7c15
				pk.Pick(h, true)
				pk.Pick(0, false)
			})
			if allocs != 0 {
				t.Errorf("%v: %.1f allocs per Pick, want 0", p, allocs)
			}
		}
	}
}

func TestConcurrentPicks(t *testing.T) {
	for _, p := range allPolicies {
		pk := mustNew(t, p, hostsW(1, 2, 3), Options{})
		done := make(chan struct{})
		for g := range 4 {
			go func() {
				defer func() { done <- struct{}{} }()
				for i := range 2000 {
					if got := pk.Pick(uint64(g*i), i%2 == 0); got < 0 || got > 2 {
						t.Errorf("%v: Pick = %d", p, got)
						return
					}
				}
			}()
		}
		for range 4 {
			<-done
		}
	}
}
