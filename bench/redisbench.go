package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// redisBenchmark describes one redis-benchmark invocation.
type redisBenchmark struct {
	Bin      string
	Addr     string
	Test     string // a -t test name: "set", "get"
	Clients  int    // -c
	Pipeline int    // -P
	Requests int    // -n
	Keyspace int    // -r (random keys in [0, Keyspace)), 0 for one key
}

func (r redisBenchmark) argv() ([]string, error) {
	host, port, err := net.SplitHostPort(r.Addr)
	if err != nil {
		return nil, fmt.Errorf("split address %q: %w", r.Addr, err)
	}
	argv := []string{r.Bin, "-h", host, "-p", port,
		"-c", strconv.Itoa(r.Clients), "-P", strconv.Itoa(r.Pipeline),
		"-n", strconv.Itoa(r.Requests), "-t", r.Test, "--csv"}
	if r.Keyspace > 0 {
		argv = append(argv, "-r", strconv.Itoa(r.Keyspace))
	}
	return argv, nil
}

// run executes redis-benchmark, bounded by timeout, and returns the row of
// its CSV output for the test. redis-benchmark exits non-zero on an error
// reply, but spins forever when it cannot connect: the timeout covers that.
func (r redisBenchmark) run(ctx context.Context, timeout time.Duration) (LoadResult, error) {
	argv, err := r.argv()
	if err != nil {
		return LoadResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = childAttr()
	cmd.WaitDelay = time.Second
	var stdout bytes.Buffer
	stderr := newTailBuffer(outputTail)
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		return LoadResult{}, fmt.Errorf("run %s: %w after %s\n%s", strings.Join(argv, " "), ctx.Err(), timeout, indent(stderr.String()))
	}
	if err != nil {
		return LoadResult{}, fmt.Errorf("run %s: %w\n%s", strings.Join(argv, " "), err, indent(stderr.String()))
	}
	rows, err := parseRedisBenchmarkCSV(stdout.Bytes())
	if err != nil {
		return LoadResult{}, fmt.Errorf("run %s: %w", strings.Join(argv, " "), err)
	}
	res, ok := rows[strings.ToUpper(r.Test)]
	if !ok {
		return LoadResult{}, fmt.Errorf("run %s: no %q row in output:\n%s", strings.Join(argv, " "), strings.ToUpper(r.Test), indent(stdout.String()))
	}
	res.Requests = r.Requests
	if st := cmd.ProcessState; st != nil {
		res.ClientCPU = st.UserTime() + st.SystemTime()
	}
	return res, nil
}

// parseRedisBenchmarkCSV reads the output of `redis-benchmark --csv`
// (version 7: a header row "test","rps","avg_latency_ms",...,
// "p50_latency_ms",...,"p99_latency_ms",... and one row per test) into
// results keyed by test name. Lines before the header are ignored;
// columns are found by name.
func parseRedisBenchmarkCSV(out []byte) (map[string]LoadResult, error) {
	start := bytes.Index(out, []byte(`"test",`))
	if start < 0 {
		return nil, errors.New("parse redis-benchmark csv: no header row")
	}
	records, err := csv.NewReader(bytes.NewReader(out[start:])).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse redis-benchmark csv: %w", err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	for _, need := range []string{"test", "rps", "avg_latency_ms", "p50_latency_ms", "p99_latency_ms"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("parse redis-benchmark csv: no %q column", need)
		}
	}
	rows := make(map[string]LoadResult, len(records)-1)
	for _, rec := range records[1:] {
		if len(rec) != len(records[0]) {
			return nil, fmt.Errorf("parse redis-benchmark csv: row has %d fields, header %d", len(rec), len(records[0]))
		}
		var res LoadResult
		var err error
		if res.RPS, err = parseNonNegative(rec[col["rps"]]); err != nil {
			return nil, fmt.Errorf("parse redis-benchmark csv %s rps: %w", rec[col["test"]], err)
		}
		if res.RPS == 0 {
			return nil, fmt.Errorf("parse redis-benchmark csv %s rps: %w", rec[col["test"]], errZeroRate)
		}
		for _, f := range []struct {
			name string
			dst  *time.Duration
		}{{"avg_latency_ms", &res.Avg}, {"p50_latency_ms", &res.P50}, {"p99_latency_ms", &res.P99}} {
			ms, err := parseNonNegative(rec[col[f.name]])
			if err != nil {
				return nil, fmt.Errorf("parse redis-benchmark csv %s %s: %w", rec[col["test"]], f.name, err)
			}
			*f.dst = time.Duration(ms * float64(time.Millisecond))
		}
		rows[rec[col["test"]]] = res
	}
	if len(rows) == 0 {
		return nil, errors.New("parse redis-benchmark csv: no result rows")
	}
	return rows, nil
}

var errZeroRate = errors.New("zero requests per second")

// parseNonNegative parses a finite number in [0, 1e15].
func parseNonNegative(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if !(v >= 0 && v <= 1e15) { // also rejects NaN
		return 0, fmt.Errorf("value %q out of range", s)
	}
	return v, nil
}
