package telemetry

import (
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
