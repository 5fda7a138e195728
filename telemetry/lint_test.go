package telemetry

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestLintAcceptsConventionalNames(t *testing.T) {
	s := exampleStore()
	s.Root().Sub("cluster").Tagged("envoy_cluster_name", "Any.Value-Goes:here").Sub("circuit_breakers").Sub("default").Gauge("rq_open")
	s.Registry().MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "sidewire_requests_total", Help: "Requests."}))
	if err := s.Lint(); err != nil {
		t.Fatalf("Lint: %v", err)
	}
}

func TestLintRejects(t *testing.T) {
	tests := []struct {
		desc  string
		build func(s *Store)
		want  string
	}{
		{"upper case segment", func(s *Store) { s.Root().Sub("Cluster").Counter("x") }, `segment "Cluster"`},
		{"dash in leaf", func(s *Store) { s.Root().Sub("cluster").Counter("cx-total") }, `name part "cx-total"`},
		{"empty dotted part", func(s *Store) { s.Root().Counter("health_check..attempt") }, `name part ""`},
		{"bad tag name", func(s *Store) { s.Root().Sub("cluster").Tagged("cluster-name", "a").Counter("x") }, `tag name "cluster-name"`},
		{"tag twice", func(s *Store) {
			s.Root().Sub("a").Tagged("t", "1").Tagged("t", "2").Counter("x")
		}, `tag name "t" used twice`},
		{"family both counter and gauge", func(s *Store) {
			s.Root().Sub("a").Tagged("t", "1").Counter("x")
			s.Root().Sub("a").Tagged("t", "2").Gauge("x")
		}, "is both a counter and a gauge"},
		{"two names one series", func(s *Store) {
			s.Root().Sub("e").Counter("f_g")
			s.Root().Sub("e").Sub("f").Counter("g") // e.f.g vs e.f_g: both envoy_e_f_g{}
		}, "same Prometheus series envoy_e_f_g{}"},
		{"histogram series clash", func(s *Store) {
			s.Root().Histogram("rq_time", Milliseconds)
			s.Root().Counter("rq_time_count")
		}, "clashes with a series of histogram envoy_rq_time"},
		{"registry family without prefix", func(s *Store) {
			s.Registry().MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "requests_total", Help: "h"}))
		}, "registry families must be named sidewire_*"},
		{"registry family fails promlint", func(s *Store) {
			s.Registry().MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "sidewire_requests", Help: "h"}))
		}, `counter metrics should have "_total" suffix`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := NewStore()
			tt.build(s)
			err := s.Lint()
			if err == nil {
				t.Fatalf("Lint passed, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Lint error %q lacks %q", err, tt.want)
			}
		})
	}
}
