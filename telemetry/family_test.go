package telemetry

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestFamiliesRegisterOnceAndExport(t *testing.T) {
	s := NewStore()
	a := s.CounterFamily("sidewire_test_commands_total", "Commands.", "command", "status")
	b := s.Root().Sub("x").Store().CounterFamily("sidewire_test_commands_total", "Commands.", "command", "status")
	a.With("get", "ok").Inc()
	b.With("get", "ok").Add(2)
	a.With("set", "error").Inc()
	h := s.HistogramFamily("sidewire_test_duration_seconds", "Durations.", nil, "command")
	h.With("get").Observe(0.002)
	s.HistogramFamily("sidewire_test_duration_seconds", "Durations.", nil, "command").With("get").Observe(0.004)

	if got := testutil.ToFloat64(a.v.WithLabelValues("get", "ok")); got != 3 {
		t.Errorf("get/ok = %v, want 3 (both handles share one family)", got)
	}
	if n := testutil.CollectAndCount(h.v); n != 1 {
		t.Errorf("histogram children = %d, want 1", n)
	}
	var out strings.Builder
	if err := s.writeRegistry(&out, statsParams{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`sidewire_test_commands_total{command="get",status="ok"} 3`,
		`sidewire_test_commands_total{command="set",status="error"} 1`,
		`sidewire_test_duration_seconds_count{command="get"} 2`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("registry output lacks %q:\n%s", want, out.String())
		}
	}
	if err := s.Lint(); err != nil {
		t.Errorf("Lint: %v", err)
	}
}

func TestFamilyMisuse(t *testing.T) {
	for name, f := range map[string]func(s *Store){
		"other labels": func(s *Store) { s.CounterFamily("sidewire_x_total", "X.", "b") },
		"other kind":   func(s *Store) { s.HistogramFamily("sidewire_x_total", "X.", nil, "a") },
	} {
		t.Run(name, func(t *testing.T) {
			s := NewStore()
			s.CounterFamily("sidewire_x_total", "X.", "a")
			defer func() {
				if recover() == nil {
					t.Errorf("reusing a family name with %s did not panic", name)
				}
			}()
			f(s)
		})
	}
}

func BenchmarkFamilyCounterInc(b *testing.B) {
	c := NewStore().CounterFamily("sidewire_bench_total", "B.", "a").With("x")
	b.ReportAllocs()
	for b.Loop() {
		c.Inc()
	}
}
