package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// csvOut is redis-benchmark 7.0.15 --csv output as printed on Debian 12.
const csvOut = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","89285.71","0.295","0.064","0.287","0.407","0.751","1.439"
"GET","93023.26","0.276","0.048","0.279","0.327","0.367","0.919"
`

func TestParseRedisBenchmarkCSV(t *testing.T) {
	for _, in := range []string{csvOut, "WARNING: Could not fetch server CONFIG\n" + csvOut} {
		rows, err := parseRedisBenchmarkCSV([]byte(in))
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		set, ok := rows["SET"]
		if !ok || len(rows) != 2 {
			t.Fatalf("parse rows = %v, want SET and GET", rows)
		}
		want := LoadResult{RPS: 89285.71, Avg: 295 * time.Microsecond, P50: 287 * time.Microsecond, P99: 751 * time.Microsecond}
		if set != want {
			t.Errorf("SET = %+v, want %+v", set, want)
		}
		if rows["GET"].P99 != 367*time.Microsecond {
			t.Errorf("GET p99 = %v, want 367µs", rows["GET"].P99)
		}
	}
}

func TestParseRedisBenchmarkCSVErrors(t *testing.T) {
	header := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n"
	tests := map[string]string{
		"empty":        "",
		"header only":  header,
		"no p99":       `"test","rps","avg_latency_ms","p50_latency_ms"` + "\n" + `"SET","1","1","1"` + "\n",
		"short row":    header + `"SET","1","1"` + "\n",
		"zero rps":     header + `"SET","0","0.1","0.1","0.1","0.1","0.1","0.1"` + "\n",
		"nan latency":  header + `"SET","5","NaN","0.1","0.1","0.1","0.1","0.1"` + "\n",
		"negative":     header + `"SET","5","0.1","0.1","-1","0.1","0.1","0.1"` + "\n",
		"not a number": header + `"SET","fast","0.1","0.1","0.1","0.1","0.1","0.1"` + "\n",
		"bad quoting":  header + `"SET,"5"` + "\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if rows, err := parseRedisBenchmarkCSV([]byte(in)); err == nil {
				t.Errorf("parse succeeded with %v, want error", rows)
			}
		})
	}
}

func TestRedisBenchmarkArgv(t *testing.T) {
	rb := redisBenchmark{Bin: "/usr/bin/redis-benchmark", Addr: "127.0.0.1:6390", Test: "get", Clients: 50, Pipeline: 16, Requests: 1000, Keyspace: 10}
	got, err := rb.argv()
	if err != nil {
		t.Fatalf("argv: %v", err)
	}
	want := strings.Fields("/usr/bin/redis-benchmark -h 127.0.0.1 -p 6390 -c 50 -P 16 -n 1000 -t get --csv -r 10")
	if !slices.Equal(got, want) {
		t.Errorf("argv = %q, want %q", got, want)
	}
	rb.Addr = "no-port"
	if _, err := rb.argv(); err == nil {
		t.Errorf("argv with address %q succeeded, want error", rb.Addr)
	}
}

func TestRedisCasesScaleRequests(t *testing.T) {
	cases := redisCases(Options{Requests: 1000})
	got := map[string]int{}
	for _, c := range cases {
		got[c.Name] = c.Requests
		if !slices.Equal(c.Ops, []string{"SET", "GET"}) {
			t.Errorf("case %s ops = %v, want SET, GET", c.Name, c.Ops)
		}
	}
	want := map[string]int{"c50-P1": 1000, "c50-P16": 10000, "c1-P1": 200}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("case %s requests = %d, want %d", name, got[name], n)
		}
	}
}
