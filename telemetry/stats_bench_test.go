package telemetry

import (
	"fmt"
	"testing"
	"unsafe"
)

func TestHotStatsPadded(t *testing.T) {
	if got := unsafe.Sizeof(Counter{}); got != cacheLine {
		t.Errorf("sizeof Counter = %d, want %d", got, cacheLine)
	}
	if got := unsafe.Sizeof(Gauge{}); got != cacheLine {
		t.Errorf("sizeof Gauge = %d, want %d", got, cacheLine)
	}
}

func TestUpdatesDoNotAllocate(t *testing.T) {
	sc := NewStore().Root().Sub("cluster").Tagged("envoy_cluster_name", "a")
	c, g, h := sc.Counter("c"), sc.Gauge("g"), sc.Histogram("h", Milliseconds)
	ops := map[string]func(){
		"Counter.Inc":      c.Inc,
		"Counter.Add":      func() { c.Add(3) },
		"Gauge.Inc":        g.Inc,
		"Gauge.Dec":        g.Dec,
		"Gauge.Set":        func() { g.Set(9) },
		"Histogram.Record": func() { h.Record(1234) },
	}
	for name, op := range ops {
		if n := testing.AllocsPerRun(1000, op); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

func BenchmarkCounterInc(b *testing.B) {
	c := NewStore().Root().Counter("c")
	b.ReportAllocs()
	for b.Loop() {
		c.Inc()
	}
}

func BenchmarkCounterIncParallel(b *testing.B) {
	c := NewStore().Root().Counter("c")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc()
		}
	})
}

func BenchmarkGaugeAdd(b *testing.B) {
	g := NewStore().Root().Gauge("g")
	b.ReportAllocs()
	for b.Loop() {
		g.Add(1)
	}
}

func BenchmarkGaugeSet(b *testing.B) {
	g := NewStore().Root().Gauge("g")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g.Set(int64(i))
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := NewStore().Root().Histogram("h", Milliseconds)
	b.ReportAllocs()
	for i := uint64(0); b.Loop(); i++ {
		h.Record(i & 0xfff)
	}
}

func BenchmarkHistogramRecordParallel(b *testing.B) {
	h := NewStore().Root().Histogram("h", Milliseconds)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var i uint64
		for pb.Next() {
			h.Record(i & 0xfff)
			i++
		}
	})
}

// BenchmarkCounterLookup is the cost of asking a scope for an existing
// counter: what provisioning pays per stat, not the data path.
func BenchmarkCounterLookup(b *testing.B) {
	sc := NewStore().Root().Sub("cluster").Tagged("envoy_cluster_name", "a")
	sc.Counter("upstream_cx_total")
	b.ReportAllocs()
	for b.Loop() {
		sc.Counter("upstream_cx_total")
	}
}

// clusterStatNames are the leaf names of a cluster's stats, as
// proxy/cluster creates them.
var clusterStatNames = []string{
	"upstream_cx_total", "upstream_cx_connect_fail", "upstream_cx_connect_timeout", "upstream_cx_none_healthy",
	"upstream_cx_destroy", "upstream_cx_overflow", "upstream_rq_pending_overflow", "upstream_rq_retry_overflow",
	"upstream_cx_rx_bytes_total", "upstream_cx_tx_bytes_total", "upstream_rq_total", "lb_healthy_panic",
	"update_attempt", "update_success", "update_failure", "update_empty", "update_no_rebuild", "membership_change",
}

var clusterGaugeNames = []string{
	"upstream_cx_active", "upstream_rq_active", "membership_healthy", "membership_total", "membership_degraded",
	"membership_excluded", "max_host_weight",
}

// createClusterStats creates n clusters' worth of stats, shaped like
// proxy/cluster's.
func createClusterStats(s *Store, n int) {
	for i := range n {
		sc := s.Root().Sub("cluster").Tagged("envoy_cluster_name", fmt.Sprintf("cluster-%05d", i))
		for _, c := range clusterStatNames {
			sc.Counter(c)
		}
		for _, g := range clusterGaugeNames {
			sc.Gauge(g)
		}
		cb := sc.Sub("circuit_breakers").Sub("default")
		for _, g := range []string{"cx_open", "rq_pending_open", "rq_open", "rq_retry_open"} {
			cb.Gauge(g)
		}
		sc.Histogram("upstream_cx_connect_ms", Milliseconds)
		sc.Histogram("upstream_cx_length_ms", Milliseconds)
	}
}

// BenchmarkCreateClusterStats10k is what 10,000 clusters' stats cost to
// create; B/op is about what they keep.
func BenchmarkCreateClusterStats10k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		createClusterStats(NewStore(), 10000)
	}
}

// BenchmarkView10kClusters is the sorted view of 10,000 clusters' stats
// that /stats builds after stats were added.
func BenchmarkView10kClusters(b *testing.B) {
	s := NewStore()
	createClusterStats(s, 10000)
	b.ReportAllocs()
	for b.Loop() {
		s.sorted.Store(nil)
		s.view()
	}
}
