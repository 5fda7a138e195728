package telemetry

import (
	"fmt"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Labelled sidewire_* Prometheus families for packages that may not
// import Prometheus (everything under proxy/). A family is registered in
// Store.Registry the first time its name is asked for; asking again with
// the same labels returns the same family, so values survive config
// reloads. Resolve children (With) while provisioning or once per label
// combination and keep them: updating a resolved child is a lock-free
// atomic without allocation, while With hashes the label values.

// CounterFamily is a labelled counter family (a Prometheus CounterVec).
type CounterFamily struct{ v *prometheus.CounterVec }

// FamilyCounter is one child of a CounterFamily.
type FamilyCounter struct{ c prometheus.Counter }

// HistogramFamily is a labelled histogram family (a Prometheus
// HistogramVec).
type HistogramFamily struct{ v *prometheus.HistogramVec }

// FamilyHistogram is one child of a HistogramFamily.
type FamilyHistogram struct{ o prometheus.Observer }

// DurationBuckets are histogram buckets in seconds, from 50µs to 10s, for
// request durations.
var DurationBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
}

// families remembers the families registered by name.
type families struct {
	mu sync.Mutex
	m  map[string]familyEntry
}

type familyEntry struct {
	labels []string
	v      any // *prometheus.CounterVec or *prometheus.HistogramVec
}

// lookup returns the family registered as name, or calls create and
// registers its result. A name reused with other labels or another kind
// is a programming error and panics.
func (s *Store) lookupFamily(name string, labels []string, create func() prometheus.Collector) any {
	s.fams.mu.Lock()
	defer s.fams.mu.Unlock()
	if e, ok := s.fams.m[name]; ok {
		if !slices.Equal(e.labels, labels) {
			panic(fmt.Sprintf("telemetry: family %s registered with labels %v, asked for %v", name, e.labels, labels))
		}
		return e.v
	}
	c := create()
	s.reg.MustRegister(c)
	if s.fams.m == nil {
		s.fams.m = make(map[string]familyEntry)
	}
	s.fams.m[name] = familyEntry{labels: slices.Clone(labels), v: c}
	return c
}

// CounterFamily returns the counter family name (sidewire_*, ending in
// _total) with the given label names, registering it on first use.
func (s *Store) CounterFamily(name, help string, labels ...string) *CounterFamily {
	v := s.lookupFamily(name, labels, func() prometheus.Collector {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	})
	cv, ok := v.(*prometheus.CounterVec)
	if !ok {
		panic("telemetry: family " + name + " is not a counter family")
	}
	return &CounterFamily{v: cv}
}

// HistogramFamily returns the histogram family name with the given
// buckets (nil: DurationBuckets) and label names, registering it on first
// use; the buckets of the first registration win.
func (s *Store) HistogramFamily(name, help string, buckets []float64, labels ...string) *HistogramFamily {
	if buckets == nil {
		buckets = DurationBuckets
	}
	v := s.lookupFamily(name, labels, func() prometheus.Collector {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	})
	hv, ok := v.(*prometheus.HistogramVec)
	if !ok {
		panic("telemetry: family " + name + " is not a histogram family")
	}
	return &HistogramFamily{v: hv}
}

// With returns the child for the label values, in label order, creating
// it on first use. Label values must come from a bounded set.
func (f *CounterFamily) With(values ...string) *FamilyCounter {
	return &FamilyCounter{c: f.v.WithLabelValues(values...)}
}

// Inc adds one.
func (c *FamilyCounter) Inc() { c.c.Inc() }

// Add adds n.
func (c *FamilyCounter) Add(n uint64) { c.c.Add(float64(n)) }

// With returns the child for the label values, in label order, creating
// it on first use. Label values must come from a bounded set.
func (f *HistogramFamily) With(values ...string) *FamilyHistogram {
	return &FamilyHistogram{o: f.v.WithLabelValues(values...)}
}

// Observe records one sample (in seconds for duration families).
func (h *FamilyHistogram) Observe(v float64) { h.o.Observe(v) }

// Store returns the store the scope belongs to, for its labelled
// families (Store.CounterFamily, Store.HistogramFamily).
func (s *Scope) Store() *Store { return s.store }
