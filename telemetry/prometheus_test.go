package telemetry

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// exampleStore builds the stats the golden outputs below describe.
func exampleStore() *Store {
	s := NewStore()
	r := s.Root()
	foo := r.Sub("cluster").Tagged("envoy_cluster_name", "foo")
	bar := r.Sub("cluster").Tagged("envoy_cluster_name", "bar")
	foo.Counter("upstream_cx_total").Add(3)
	bar.Counter("upstream_cx_total") // never written
	foo.Counter("health_check.attempt").Inc()
	r.Sub("listener").Tagged("envoy_listener_address", "127.0.0.1_10000").Counter("downstream_cx_total").Inc()
	r.Sub("server").Gauge("live").Set(1)
	foo.Gauge("upstream_cx_active").Set(2)
	h := foo.Histogram("upstream_cx_connect_ms", Milliseconds)
	h.Record(3)
	h.Record(7)
	foo.Histogram("upstream_cx_length_ms", Milliseconds) // never written
	return s
}

// Envoy's /stats/prometheus for the same stats: counters, gauges, then
// histograms; families sorted; a blank line after each family; "{}" on
// untagged stats.
const wantPrometheus = `# TYPE envoy_cluster_health_check_attempt counter
envoy_cluster_health_check_attempt{envoy_cluster_name="foo"} 1

# TYPE envoy_cluster_upstream_cx_total counter
envoy_cluster_upstream_cx_total{envoy_cluster_name="bar"} 0
envoy_cluster_upstream_cx_total{envoy_cluster_name="foo"} 3

# TYPE envoy_listener_downstream_cx_total counter
envoy_listener_downstream_cx_total{envoy_listener_address="127.0.0.1_10000"} 1

# TYPE envoy_cluster_upstream_cx_active gauge
envoy_cluster_upstream_cx_active{envoy_cluster_name="foo"} 2

# TYPE envoy_server_live gauge
envoy_server_live{} 1

# TYPE envoy_cluster_upstream_cx_connect_ms histogram
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="0.5"} 0
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="1"} 0
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="5"} 1
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="10"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="25"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="50"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="100"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="250"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="500"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="1000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="2500"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="5000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="10000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="30000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="60000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="300000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="600000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="1800000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="3600000"} 2
envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name="foo",le="+Inf"} 2
envoy_cluster_upstream_cx_connect_ms_sum{envoy_cluster_name="foo"} 10
envoy_cluster_upstream_cx_connect_ms_count{envoy_cluster_name="foo"} 2

# TYPE envoy_cluster_upstream_cx_length_ms histogram
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="0.5"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="1"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="5"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="10"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="25"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="50"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="100"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="250"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="500"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="1000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="2500"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="5000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="10000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="30000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="60000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="300000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="600000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="1800000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="3600000"} 0
envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="foo",le="+Inf"} 0
envoy_cluster_upstream_cx_length_ms_sum{envoy_cluster_name="foo"} 0
envoy_cluster_upstream_cx_length_ms_count{envoy_cluster_name="foo"} 0

`

func scrape(t *testing.T, h http.Handler, query string, header http.Header) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/stats/prometheus"+query, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("gzip reader: %v", err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

// parseExposition parses text exposition format the way Prometheus does.
func parseExposition(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}
	return mfs
}

func TestPrometheusMatchesEnvoy(t *testing.T) {
	resp, body := scrape(t, exampleStore().PrometheusHandler(), "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != promContentType {
		t.Errorf("content type %q", ct)
	}
	if body != wantPrometheus {
		t.Errorf("body mismatch\n got:\n%s\nwant:\n%s", body, wantPrometheus)
	}
	mfs := parseExposition(t, body)
	hist := mfs["envoy_cluster_upstream_cx_connect_ms"]
	if hist.GetType() != dto.MetricType_HISTOGRAM || hist.Metric[0].Histogram.GetSampleCount() != 2 {
		t.Errorf("parsed histogram = %v", hist)
	}
	if live := mfs["envoy_server_live"]; live.GetType() != dto.MetricType_GAUGE || live.Metric[0].Gauge.GetValue() != 1 {
		t.Errorf("parsed envoy_server_live = %v", live)
	}
}

func TestPrometheusParams(t *testing.T) {
	s := exampleStore()
	tests := []struct {
		query      string
		status     int
		contains   []string
		notContain []string
	}{
		{query: "?usedonly", status: 200,
			contains:   []string{`envoy_cluster_upstream_cx_total{envoy_cluster_name="foo"} 3`, "envoy_cluster_upstream_cx_connect_ms_count"},
			notContain: []string{`envoy_cluster_name="bar"`, "upstream_cx_length_ms"}},
		{query: "?filter=upstream_cx_total", status: 200,
			contains:   []string{`{envoy_cluster_name="bar"} 0`, `{envoy_cluster_name="foo"} 3`},
			notContain: []string{"envoy_server_live", "health_check"}},
		// The filter sees the Envoy name, tag values included.
		{query: "?filter=^cluster%5C.bar%5C.", status: 200,
			contains:   []string{`envoy_cluster_upstream_cx_total{envoy_cluster_name="bar"} 0`},
			notContain: []string{`"foo"`}},
		{query: "?type=Gauges", status: 200,
			contains:   []string{"# TYPE envoy_server_live gauge"},
			notContain: []string{"counter", "histogram"}},
		{query: "?filter=(", status: 400, contains: []string{"invalid filter param"}},
		{query: "?type=Bogus", status: 400, contains: []string{"invalid type param"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, body := scrape(t, s.PrometheusHandler(), tt.query, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			for _, c := range tt.contains {
				if !strings.Contains(body, c) {
					t.Errorf("body lacks %q:\n%s", c, body)
				}
			}
			for _, c := range tt.notContain {
				if strings.Contains(body, c) {
					t.Errorf("body has %q:\n%s", c, body)
				}
			}
			if tt.status == 200 {
				parseExposition(t, body)
			}
		})
	}
}

func TestPrometheusRegistryFamilies(t *testing.T) {
	s := exampleStore()
	req := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sidewire_requests_total", Help: "Requests by protocol.",
	}, []string{"protocol"})
	s.Registry().MustRegister(req)
	req.WithLabelValues("redis").Add(4)

	_, body := scrape(t, s.PrometheusHandler(), "", nil)
	if !strings.HasPrefix(body, wantPrometheus) {
		t.Fatalf("Envoy stats do not come first:\n%s", body)
	}
	mfs := parseExposition(t, body)
	fam := mfs["sidewire_requests_total"]
	if fam == nil || fam.Metric[0].Counter.GetValue() != 4 {
		t.Fatalf("sidewire_requests_total = %v", fam)
	}
	if strings.Count(body, "# TYPE sidewire_requests_total ") != 1 {
		t.Errorf("want one TYPE line for the registry family:\n%s", body)
	}
	_, filtered := scrape(t, s.PrometheusHandler(), "?filter=^sidewire_", nil)
	if strings.Contains(filtered, "envoy_") || !strings.Contains(filtered, `sidewire_requests_total{protocol="redis"} 4`) {
		t.Errorf("filter on registry families:\n%s", filtered)
	}
	_, gauges := scrape(t, s.PrometheusHandler(), "?type=Gauges", nil)
	if strings.Contains(gauges, "sidewire_requests_total") {
		t.Errorf("type=Gauges kept a counter family:\n%s", gauges)
	}
}

func TestPrometheusGzip(t *testing.T) {
	resp, body := scrape(t, exampleStore().PrometheusHandler(), "", http.Header{"Accept-Encoding": {"gzip"}})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", resp.Header)
	}
	if body != wantPrometheus {
		t.Errorf("gunzipped body mismatch:\n%s", body)
	}
	resp, _ = scrape(t, exampleStore().PrometheusHandler(), "", http.Header{"Accept-Encoding": {"gzip;q=0, identity"}})
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still compressed")
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		h    string
		want bool
	}{
		{"", false}, {"gzip", true}, {"deflate, gzip", true}, {"GZIP;q=0.5", true},
		{"gzip;q=0", false}, {"identity", false}, {"x-gzip", false},
	}
	for _, tt := range tests {
		if got := acceptsGzip(tt.h); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

// storeWithStats builds n stats shaped like a proxy's: 100 clusters, each
// with counters, gauges and a histogram.
func storeWithStats(n int) *Store {
	s := NewStore()
	perCluster := 100
	for i := 0; s.numStats() < n; i++ {
		sc := s.Root().Sub("cluster").Tagged("envoy_cluster_name", fmt.Sprintf("service_%d", i))
		for j := 0; j < perCluster-2; j++ {
			sc.Counter(fmt.Sprintf("stat_%d", j)).Add(uint64(j))
		}
		sc.Gauge("upstream_cx_active").Set(int64(i))
		sc.Histogram("upstream_cx_connect_ms", Milliseconds).Record(uint64(i))
	}
	return s
}

func TestPrometheus10kParses(t *testing.T) {
	s := storeWithStats(10000)
	var b strings.Builder
	if err := s.writePrometheus(&b, statsParams{}); err != nil {
		t.Fatalf("write: %v", err)
	}
	mfs := parseExposition(t, b.String())
	if got := len(mfs["envoy_cluster_stat_0"].GetMetric()); got != 100 {
		t.Errorf("envoy_cluster_stat_0 has %d series, want 100", got)
	}
}

func BenchmarkPrometheus10k(b *testing.B) {
	s := storeWithStats(10000)
	var sink countingWriter
	if err := s.writePrometheus(&sink, statsParams{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(sink))
	b.ReportAllocs()
	for b.Loop() {
		_ = s.writePrometheus(io.Discard, statsParams{})
	}
}

func BenchmarkPrometheusHandler10kGzip(b *testing.B) {
	s := storeWithStats(10000)
	h := s.PrometheusHandler()
	req := httptest.NewRequest(http.MethodGet, "/stats/prometheus", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(discardResponse{}, req)
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (discardResponse) WriteHeader(int)             {}
