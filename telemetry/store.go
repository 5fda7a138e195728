package telemetry

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Store holds every Envoy-style stat of the process plus the Prometheus
// registry for sidewire_* families. Stats are created once and never
// removed, so a config reload that asks for the same name gets the same
// object and its value carries on.
//
// Creating a stat takes a mutex; updating one is a lock-free atomic.
type Store struct {
	reg  *prometheus.Registry
	root *Scope
	fams families // labelled sidewire_* families by name

	mu         sync.Mutex // guards the maps below
	counters   map[string]*Counter
	gauges     map[string]*Gauge
	histograms map[string]*Histogram
	// families holds the shared part of stat metas by literal prefix and
	// leaf name.
	sharedFams map[string]map[string]*family

	// sorted is a read-only view of all stats in output order. It is
	// rebuilt by the first reader after a stat is added.
	sorted atomic.Pointer[sortedStats]
}

// sortedStats is an immutable, ordered view of the store. The plain slices
// follow the full Envoy name (the /stats order); the ByFamily slices follow
// the /stats/prometheus order (see sortTwice).
type sortedStats struct {
	counters, countersByFamily     []*Counter
	gauges, gaugesByFamily         []*Gauge
	histograms, histogramsByFamily []*Histogram
}

// NewStore returns an empty store with an empty Prometheus registry.
func NewStore() *Store {
	s := &Store{
		reg:        prometheus.NewRegistry(),
		counters:   make(map[string]*Counter),
		gauges:     make(map[string]*Gauge),
		histograms: make(map[string]*Histogram),
		sharedFams: make(map[string]map[string]*family),
	}
	s.root = &Scope{store: s}
	return s
}

// Root returns the scope with an empty prefix.
func (s *Store) Root() *Scope { return s.root }

// Registry returns the registry whose families /stats/prometheus serves
// after the Envoy-style stats. Families registered here should be named
// sidewire_* (Lint checks this).
func (s *Store) Registry() *prometheus.Registry { return s.reg }

// counter returns the counter with the full name, creating it as stat
// of sc if needed.
func (s *Store) counter(name string, sc *Scope, stat string) *Counter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.counters[name]; c != nil {
		return c
	}
	c := &Counter{m: sc.meta(name, stat)}
	s.counters[name] = c
	s.sorted.Store(nil)
	return c
}

func (s *Store) gauge(name string, sc *Scope, stat string) *Gauge {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.gauges[name]; g != nil {
		return g
	}
	g := &Gauge{m: sc.meta(name, stat)}
	s.gauges[name] = g
	s.sorted.Store(nil)
	return g
}

func (s *Store) histogram(name string, unit Unit, sc *Scope, stat string) *Histogram {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.histograms[name]; h != nil {
		return h
	}
	h := &Histogram{m: sc.meta(name, stat), unit: unit}
	s.histograms[name] = h
	s.sorted.Store(nil)
	return h
}

// view returns the current sorted view, building it if stats were added
// since the last call.
func (s *Store) view() *sortedStats {
	if v := s.sorted.Load(); v != nil {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.sorted.Load(); v != nil {
		return v
	}
	v := &sortedStats{}
	v.counters, v.countersByFamily = sortTwice(s.counters, (*Counter).meta)
	v.gauges, v.gaugesByFamily = sortTwice(s.gauges, (*Gauge).meta)
	v.histograms, v.histogramsByFamily = sortTwice(s.histograms, (*Histogram).meta)
	s.sorted.Store(v)
	return v
}

// sortTwice returns the values of m in /stats order (by full name) and in
// /stats/prometheus order. The latter is Envoy's: families ordered by
// their tag-extracted name and stats within a family by full name, both
// compared segment by segment (Envoy compares symbolized names that way).
// Every family is kept contiguous even if two extracted names sanitize to
// the same family name (a Lint error), so the exposition stays valid.
func sortTwice[T any](m map[string]T, md func(T) *meta) (byName, byFamily []T) {
	byName = make([]T, 0, len(m))
	for _, v := range m {
		byName = append(byName, v)
	}
	slices.SortFunc(byName, func(a, b T) int { return cmp.Compare(md(a).name, md(b).name) })
	byFamily = slices.Clone(byName)
	slices.SortFunc(byFamily, func(a, b T) int {
		ma, mb := md(a), md(b)
		if c := compareSegments(ma.extracted, mb.extracted); c != 0 {
			return c
		}
		return compareSegments(ma.name, mb.name)
	})
	rank := make(map[string]int)
	for _, v := range byFamily {
		if _, ok := rank[md(v).prom]; !ok {
			rank[md(v).prom] = len(rank)
		}
	}
	slices.SortStableFunc(byFamily, func(a, b T) int { return cmp.Compare(rank[md(a).prom], rank[md(b).prom]) })
	return byName, byFamily
}

// compareSegments compares two dotted names segment by segment, a name
// that is a prefix of the other first. It differs from a byte-wise
// comparison when a segment holds a byte below '.': "c.a.x" sorts before
// "c.a-b.x" here and after it byte-wise.
func compareSegments(a, b string) int {
	for {
		sa, ra, moreA := strings.Cut(a, ".")
		sb, rb, moreB := strings.Cut(b, ".")
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = ra, rb
	}
}
