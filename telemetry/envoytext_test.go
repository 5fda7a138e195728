package telemetry

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, target string) (int, string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return rec.Code, rec.Header().Get("Content-Type"), string(body)
}

func TestEnvoyText(t *testing.T) {
	_, ct, body := get(t, exampleStore().EnvoyTextHandler(), "/stats")
	if !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	wantNumeric := []string{
		"cluster.bar.upstream_cx_total: 0",
		"cluster.foo.health_check.attempt: 1",
		"cluster.foo.upstream_cx_active: 2",
		"cluster.foo.upstream_cx_total: 3",
		"listener.127.0.0.1_10000.downstream_cx_total: 1",
		"server.live: 1",
	}
	if len(lines) != len(wantNumeric)+2 {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(wantNumeric)+2, body)
	}
	for i, want := range wantNumeric {
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	const wantHist = "cluster.foo.upstream_cx_connect_ms: P0(nan,2) P25(nan,3.5) P50(nan,5) P75(nan,8) P90(nan,9.2"
	if !strings.HasPrefix(lines[6], wantHist) || !strings.HasSuffix(lines[6], " P99.5(nan,9.96) P99.9(nan,9.992) P100(nan,10)") {
		t.Errorf("histogram line = %q", lines[6])
	}
	if lines[7] != "cluster.foo.upstream_cx_length_ms: No recorded values" {
		t.Errorf("unused histogram line = %q", lines[7])
	}
}

func TestEnvoyTextParams(t *testing.T) {
	h := exampleStore().EnvoyTextHandler()
	tests := []struct {
		target string
		status int
		want   string // exact body for 200, substring for errors
	}{
		{"/stats?usedonly", 200, "cluster.foo.health_check.attempt: 1\ncluster.foo.upstream_cx_active: 2\n" +
			"cluster.foo.upstream_cx_total: 3\nlistener.127.0.0.1_10000.downstream_cx_total: 1\nserver.live: 1\n" +
			"cluster.foo.upstream_cx_connect_ms: P0(nan,2) P25(nan,3.5) P50(nan,5) P75(nan,8) P90(nan,9.2) P95(nan,9.6) P99(nan,9.92) P99.5(nan,9.96) P99.9(nan,9.992) P100(nan,10)\n"},
		{"/stats?filter=^server%5C.", 200, "server.live: 1\n"},
		{"/stats?filter=cx_total&usedonly", 200, "cluster.foo.upstream_cx_total: 3\nlistener.127.0.0.1_10000.downstream_cx_total: 1\n"},
		{"/stats?type=Counters&filter=foo", 200, "cluster.foo.health_check.attempt: 1\ncluster.foo.upstream_cx_total: 3\n"},
		{"/stats?type=Histograms&filter=length", 200, "cluster.foo.upstream_cx_length_ms: No recorded values\n"},
		{"/stats?filter=[", 400, "invalid filter param: error parsing regexp"},
		{"/stats?type=Text", 400, "invalid type param"},
		{"/stats?format=html", 400, "invalid format param"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			code, _, body := get(t, h, tt.target)
			if code != tt.status {
				t.Fatalf("status = %d, want %d: %s", code, tt.status, body)
			}
			if tt.status == 200 && body != tt.want {
				t.Errorf("body:\n%s\nwant:\n%s", body, tt.want)
			}
			if tt.status != 200 && !strings.Contains(body, tt.want) {
				t.Errorf("error body %q lacks %q", body, tt.want)
			}
		})
	}
}

func TestEnvoyJSON(t *testing.T) {
	code, ct, body := get(t, exampleStore().EnvoyTextHandler(), "/stats?format=json")
	if code != 200 || ct != "application/json" {
		t.Fatalf("status %d, content type %q", code, ct)
	}
	var doc struct {
		Stats []struct {
			Name       *string `json:"name"`
			Value      *int64  `json:"value"`
			Histograms *struct {
				SupportedQuantiles []float64 `json:"supported_quantiles"`
				ComputedQuantiles  []struct {
					Name   string `json:"name"`
					Values []struct {
						Interval   *float64 `json:"interval"`
						Cumulative *float64 `json:"cumulative"`
					} `json:"values"`
				} `json:"computed_quantiles"`
			} `json:"histograms"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, body)
	}
	if len(doc.Stats) != 7 {
		t.Fatalf("got %d stats entries, want 6 values + 1 histograms:\n%s", len(doc.Stats), body)
	}
	if *doc.Stats[3].Name != "cluster.foo.upstream_cx_total" || *doc.Stats[3].Value != 3 {
		t.Errorf("stats[3] = %s=%d", *doc.Stats[3].Name, *doc.Stats[3].Value)
	}
	h := doc.Stats[6].Histograms
	if h == nil {
		t.Fatalf("last entry is not histograms: %s", body)
	}
	wantQ := []float64{0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100}
	if len(h.SupportedQuantiles) != len(wantQ) {
		t.Fatalf("supported_quantiles = %v", h.SupportedQuantiles)
	}
	for i := range wantQ {
		if h.SupportedQuantiles[i] != wantQ[i] {
			t.Errorf("supported_quantiles[%d] = %v, want %v", i, h.SupportedQuantiles[i], wantQ[i])
		}
	}
	if len(h.ComputedQuantiles) != 2 {
		t.Fatalf("computed_quantiles has %d entries", len(h.ComputedQuantiles))
	}
	connect, length := h.ComputedQuantiles[0], h.ComputedQuantiles[1]
	if connect.Name != "cluster.foo.upstream_cx_connect_ms" || *connect.Values[0].Cumulative != 2 || *connect.Values[9].Cumulative != 10 || connect.Values[0].Interval != nil {
		t.Errorf("connect quantiles = %+v", connect)
	}
	if length.Values[5].Cumulative != nil {
		t.Errorf("unused histogram has a value: %v", *length.Values[5].Cumulative)
	}
}

func TestEnvoyJSONEmptyAndEscaped(t *testing.T) {
	s := NewStore()
	_, _, body := get(t, s.EnvoyTextHandler(), "/stats?format=json")
	if body != "{\"stats\":[]}\n" {
		t.Errorf("empty store JSON = %q", body)
	}
	s.Root().Sub("tcp").Tagged("envoy_tcp_prefix", "a\"b\n").Counter("x").Inc()
	_, _, body = get(t, s.EnvoyTextHandler(), "/stats?format=json")
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("unmarshal %q: %v", body, err)
	}
	if doc["stats"][0]["name"] != "tcp.a\"b\n.x" {
		t.Errorf("name = %q", doc["stats"][0]["name"])
	}
}

func TestEnvoyTextFormatPrometheus(t *testing.T) {
	_, ct, body := get(t, exampleStore().EnvoyTextHandler(), "/stats?format=prometheus")
	if ct != promContentType || body != wantPrometheus {
		t.Errorf("format=prometheus: %q\n%s", ct, body)
	}
}
