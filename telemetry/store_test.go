package telemetry

import (
	"math"
	"sync"
	"testing"
)

func TestStatNames(t *testing.T) {
	s := NewStore()
	root := s.Root()
	cluster := root.Sub("cluster").Tagged("envoy_cluster_name", "foo")
	tests := []struct {
		desc             string
		name, prom, labs string
		got              meta
	}{
		{
			desc: "cluster counter",
			got:  cluster.Counter("upstream_cx_total").id.meta(),
			name: "cluster.foo.upstream_cx_total",
			prom: "envoy_cluster_upstream_cx_total",
			labs: `envoy_cluster_name="foo"`,
		},
		{
			desc: "listener address with dots",
			got:  root.Sub("listener").Tagged("envoy_listener_address", "127.0.0.1_10000").Counter("downstream_cx_total").id.meta(),
			name: "listener.127.0.0.1_10000.downstream_cx_total",
			prom: "envoy_listener_downstream_cx_total",
			labs: `envoy_listener_address="127.0.0.1_10000"`,
		},
		{
			desc: "tcp prefix",
			got:  root.Sub("tcp").Tagged("envoy_tcp_prefix", "ingress").Counter("downstream_cx_total").id.meta(),
			name: "tcp.ingress.downstream_cx_total",
			prom: "envoy_tcp_downstream_cx_total",
			labs: `envoy_tcp_prefix="ingress"`,
		},
		{
			desc: "dotted leaf name",
			got:  cluster.Counter("health_check.attempt").id.meta(),
			name: "cluster.foo.health_check.attempt",
			prom: "envoy_cluster_health_check_attempt",
			labs: `envoy_cluster_name="foo"`,
		},
		{
			desc: "literal under a tag",
			got:  cluster.Sub("circuit_breakers").Sub("default").Gauge("cx_open").id.meta(),
			name: "cluster.foo.circuit_breakers.default.cx_open",
			prom: "envoy_cluster_circuit_breakers_default_cx_open",
			labs: `envoy_cluster_name="foo"`,
		},
		{
			desc: "untagged gauge",
			got:  root.Sub("server").Gauge("live").id.meta(),
			name: "server.live",
			prom: "envoy_server_live",
		},
		{
			desc: "root stat",
			got:  root.Counter("x").id.meta(),
			name: "x",
			prom: "envoy_x",
		},
		{
			desc: "two tags, label value escaped",
			got:  root.Sub("http").Tagged("envoy_http_conn_manager_prefix", `a"b\c`).Sub("rq").Tagged("envoy_response_code", "200").Counter("n").id.meta(),
			name: `http.a"b\c.rq.200.n`,
			prom: "envoy_http_rq_n",
			labs: `envoy_http_conn_manager_prefix="a\"b\\c",envoy_response_code="200"`,
		},
		{
			desc: "bad characters sanitized",
			got:  root.Sub("my-filter").Histogram("time:ms", Milliseconds).id.meta(),
			name: "my-filter.time:ms",
			prom: "envoy_my_filter_time_ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if tt.got.name != tt.name {
				t.Errorf("name = %q, want %q", tt.got.name, tt.name)
			}
			if tt.got.prom != tt.prom {
				t.Errorf("prom = %q, want %q", tt.got.prom, tt.prom)
			}
			if tt.got.labels != tt.labs {
				t.Errorf("labels = %q, want %q", tt.got.labels, tt.labs)
			}
		})
	}
}

func TestSameNameSameStat(t *testing.T) {
	s := NewStore()
	a := s.Root().Sub("cluster").Tagged("envoy_cluster_name", "foo").Counter("upstream_cx_total")
	a.Add(5)
	// A new scope chain (a config reload) finds the same counter.
	b := s.Root().Sub("cluster").Tagged("envoy_cluster_name", "foo").Counter("upstream_cx_total")
	if a != b {
		t.Fatalf("second Counter call returned a different object")
	}
	if b.Value() != 5 {
		t.Errorf("value after reload = %d, want 5", b.Value())
	}
	if g1, g2 := s.Root().Gauge("g"), s.Root().Gauge("g"); g1 != g2 {
		t.Errorf("Gauge returned two objects for one name")
	}
	if h1, h2 := s.Root().Histogram("h", Bytes), s.Root().Histogram("h", Milliseconds); h1 != h2 || h2.Unit() != Bytes {
		t.Errorf("Histogram: same=%v unit=%v, want same object with the first unit", h1 == h2, h2.Unit())
	}
	// Kinds are separate namespaces, as in Envoy.
	if c := s.Root().Counter("g"); c.Value() != 0 || c.Name() != "g" {
		t.Errorf("counter g = %d %q", c.Value(), c.Name())
	}
}

func TestConcurrentCreateAndUpdate(t *testing.T) {
	s := NewStore()
	const workers, per = 8, 1000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			sc := s.Root().Sub("cluster").Tagged("envoy_cluster_name", "c")
			for range per {
				sc.Counter("n").Inc()
				sc.Gauge("g").Add(2)
				sc.Gauge("g").Sub(1)
				sc.Histogram("h", Milliseconds).Record(7)
				_ = s.view() // readers race with creators
			}
		})
	}
	wg.Wait()
	sc := s.Root().Sub("cluster").Tagged("envoy_cluster_name", "c")
	if got := sc.Counter("n").Value(); got != workers*per {
		t.Errorf("counter = %d, want %d", got, workers*per)
	}
	if got := sc.Gauge("g").Value(); got != workers*per {
		t.Errorf("gauge = %d, want %d", got, workers*per)
	}
	h := sc.Histogram("h", Milliseconds)
	if h.Count() != workers*per || h.Sum() != 7*workers*per {
		t.Errorf("histogram count=%d sum=%d", h.Count(), h.Sum())
	}
}

func TestUsed(t *testing.T) {
	s := NewStore()
	r := s.Root()
	tests := []struct {
		desc  string
		write func()
		used  func() bool
	}{
		{"counter untouched", func() {}, r.Counter("c0").Used},
		{"counter Add(0)", func() { r.Counter("c1").Add(0) }, r.Counter("c1").Used},
		{"counter Inc", func() { r.Counter("c2").Inc() }, r.Counter("c2").Used},
		{"gauge untouched", func() {}, r.Gauge("g0").Used},
		{"gauge Set(0)", func() { r.Gauge("g1").Set(0) }, r.Gauge("g1").Used},
		{"gauge Dec", func() { r.Gauge("g2").Dec() }, r.Gauge("g2").Used},
		{"histogram untouched", func() {}, r.Histogram("h0", Unspecified).Used},
		{"histogram Record(0)", func() { r.Histogram("h1", Unspecified).Record(0) }, r.Histogram("h1", Unspecified).Used},
	}
	for _, tt := range tests {
		tt.write()
		want := tt.desc[len(tt.desc)-len("untouched"):] != "untouched"
		if got := tt.used(); got != want {
			t.Errorf("%s: used = %v, want %v", tt.desc, got, want)
		}
	}
}

func TestGaugeOps(t *testing.T) {
	g := NewStore().Root().Gauge("g")
	g.Inc()
	g.Inc()
	g.Dec()
	g.Add(10)
	g.Sub(20)
	if g.Value() != -9 {
		t.Fatalf("value = %d, want -9", g.Value())
	}
	g.Set(42)
	if g.Value() != 42 {
		t.Fatalf("value after Set = %d, want 42", g.Value())
	}
}

func TestBucketIndex(t *testing.T) {
	tests := []struct {
		v    uint64
		want int
	}{
		{0, 0}, {1, 1}, {2, 2}, {5, 2}, {6, 3}, {10, 3}, {11, 4}, {999, 9}, {1000, 9}, {1001, 10},
		{3600000, 18}, {3600001, 19}, {math.MaxUint64, 19},
	}
	for _, tt := range tests {
		if got := bucketIndex(tt.v); got != tt.want {
			t.Errorf("bucketIndex(%d) = %d, want %d", tt.v, got, tt.want)
		}
		// Cross-check against the float bounds Prometheus sees.
		i := bucketIndex(tt.v)
		if i < len(bucketBounds) && float64(tt.v) > bucketBounds[i] {
			t.Errorf("%d placed in bucket le=%v", tt.v, bucketBounds[i])
		}
		if i > 0 && float64(tt.v) <= bucketBounds[i-1] {
			t.Errorf("%d placed above bucket le=%v", tt.v, bucketBounds[i-1])
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	h := NewStore().Root().Histogram("h", Milliseconds)
	snap := h.snapshot()
	if q := snap.quantile(0.5); !math.IsNaN(q) {
		t.Fatalf("empty histogram p50 = %v, want NaN", q)
	}
	h.Record(3) // bucket (1,5]: holds 2..5
	h.Record(7) // bucket (5,10]: holds 6..10
	snap = h.snapshot()
	tests := []struct{ q, want float64 }{
		{0, 2}, {0.25, 3.5}, {0.5, 5}, {0.75, 8}, {1, 10},
	}
	for _, tt := range tests {
		if got := snap.quantile(tt.q); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	h2 := NewStore().Root().Histogram("h", Milliseconds)
	h2.Record(0)
	h2.Record(1 << 40)
	s2 := h2.snapshot()
	if got := s2.quantile(0); got != 0 {
		t.Errorf("p0 with a zero sample = %v, want 0", got)
	}
	if got := s2.quantile(1); got != 3600001 {
		t.Errorf("p100 of an overflow sample = %v, want 3600001", got)
	}
	if s2.count != 2 || s2.sum != 1<<40 {
		t.Errorf("count=%d sum=%d", s2.count, s2.sum)
	}
}

func TestCompareSegments(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"a", "a", 0},
		{"a", "a.b", -1},
		{"a.b", "a", 1},
		{"a.x", "a-b.x", -1}, // byte-wise '-' < '.' would say the opposite
		{"cluster.bar.x", "cluster.foo.x", -1},
		{"cluster.upstream.x", "cluster.upstream_cx", -1},
		{"b", "a.z", 1},
	}
	for _, tt := range tests {
		if got := compareSegments(tt.a, tt.b); got != tt.want {
			t.Errorf("compareSegments(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPrometheusOrderKeepsFamiliesContiguous(t *testing.T) {
	s := NewStore()
	r := s.Root()
	r.Sub("e").Counter("f.g").Inc()
	r.Sub("e").Counter("f.h").Inc()
	r.Sub("e").Counter("f_g").Inc() // same family as e.f.g: a Lint error, still valid output
	r.Sub("c").Tagged("envoy_cluster_name", "a-b").Counter("x")
	r.Sub("c").Tagged("envoy_cluster_name", "a").Counter("x")
	v := s.view()
	var got []string
	for _, c := range v.countersByFamily {
		got = append(got, c.Name())
	}
	want := []string{"c.a.x", "c.a-b.x", "e.f.g", "e.f_g", "e.f.h"}
	if len(got) != len(want) {
		t.Fatalf("order %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %q, want %q", got, want)
		}
	}
	if err := s.Lint(); err == nil {
		t.Errorf("Lint accepted two names for one series")
	}
}
