package telemetry

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCompareNamesMatchesFullNames checks that comparing stats by their
// name parts orders them exactly as comparing the full names would, on
// names built to hit the edge cases: one name a prefix of the other,
// '.' against bytes below and above it, dotted leaf names, root stats.
func TestCompareNamesMatchesFullNames(t *testing.T) {
	s := NewStore()
	rng := rand.New(rand.NewPCG(1, 2))
	segs := []string{"a", "a-b", "a.b", "ab", "b", "a_", "z", "cluster", "x.y.z"}
	var ids []*statID
	for range 400 {
		sc := s.Root()
		for range rng.IntN(3) {
			seg := segs[rng.IntN(len(segs))]
			if rng.IntN(2) == 0 {
				sc = sc.Sub(seg)
			} else {
				sc = sc.Tagged("t", seg)
			}
		}
		leaf := segs[rng.IntN(len(segs))]
		switch rng.IntN(3) {
		case 0:
			ids = append(ids, &sc.Counter(leaf).id)
		case 1:
			ids = append(ids, &sc.Gauge(leaf).id)
		default:
			ids = append(ids, &sc.Histogram(leaf, Unspecified).id)
		}
	}
	for _, a := range ids {
		for _, b := range ids {
			na, nb := a.name(), b.name()
			if got, want := compareNames(a, b), strings.Compare(na, nb); got != want {
				t.Fatalf("compareNames(%q, %q) = %d, want %d", na, nb, got, want)
			}
			if got, want := compareNameSegments(a, b), compareSegments(na, nb); got != want {
				t.Fatalf("compareNameSegments(%q, %q) = %d, want %d", na, nb, got, want)
			}
		}
	}
}

// TestSameFullNameSameStat checks that a full name reached through
// different scopes and dotted leaf names is one stat.
func TestSameFullNameSameStat(t *testing.T) {
	s := NewStore()
	r := s.Root()
	a := r.Sub("cluster").Tagged("envoy_cluster_name", "foo").Counter("health_check.attempt")
	b := r.Sub("cluster").Tagged("envoy_cluster_name", "foo").Sub("health_check").Counter("attempt")
	c := r.Counter("cluster.foo.health_check.attempt")
	if a != b || b != c {
		t.Fatalf("one full name gave distinct counters: %p %p %p", a, b, c)
	}
	if got := a.Name(); got != "cluster.foo.health_check.attempt" {
		t.Errorf("name = %q", got)
	}
	// The first creation's tags are kept.
	if got := c.id.meta().labels; got != `envoy_cluster_name="foo"` {
		t.Errorf("labels = %q, want the first creation's", got)
	}
	if n := s.numStats(); n != 1 {
		t.Errorf("%d stats, want 1", n)
	}
}

// TestUnusedHistogramHasNoBuckets checks that a histogram allocates its
// buckets at the first sample only, and reads as empty before.
func TestUnusedHistogramHasNoBuckets(t *testing.T) {
	h := NewStore().Root().Histogram("h", Milliseconds)
	if h.counts.Load() != nil || h.Count() != 0 || h.Sum() != 0 {
		t.Fatalf("new histogram: buckets %v, count %d, sum %d", h.counts.Load() != nil, h.Count(), h.Sum())
	}
	h.Record(7)
	if h.counts.Load() == nil || h.Count() != 1 || h.Sum() != 7 {
		t.Errorf("after one sample: buckets %v, count %d, sum %d", h.counts.Load() != nil, h.Count(), h.Sum())
	}
}

// TestManyStatsInOneNode checks lookups once a node holds more stats
// than it scans (it indexes them by leaf name then).
func TestManyStatsInOneNode(t *testing.T) {
	s := NewStore()
	sc := s.Root().Sub("big")
	const n = 3 * smallList
	cs := make([]*Counter, n)
	for i := range cs {
		cs[i] = sc.Counter("c" + strings.Repeat("x", i))
		cs[i].Add(uint64(i))
	}
	for i := range cs {
		if got := sc.Counter("c" + strings.Repeat("x", i)); got != cs[i] || got.Value() != uint64(i) {
			t.Fatalf("counter %d: same object %v, value %d", i, got == cs[i], got.Value())
		}
	}
	if got := s.numStats(); got != n {
		t.Errorf("%d stats, want %d", got, n)
	}
	if got := len(s.view().counters); got != n {
		t.Errorf("view holds %d counters, want %d", got, n)
	}
}
