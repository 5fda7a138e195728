package bench

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// syntheticResult is a scenario where the subject is half as fast as
// direct and uses twice the reference's CPU per request.
func syntheticResult() *ScenarioResult {
	res := &ScenarioResult{
		Name: "demo", Title: "a demo", CPURef: "ref", Subject: "sub", Reps: 3, MaxForeign: 0.1,
		Cases: []CaseInfo{{Name: "c1", Detail: "client -c 1", Ops: []string{"SET"}, Requests: 1000}},
		Targets: []TargetResult{
			{Name: Direct, Kind: "no proxy"},
			{Name: "sub", Kind: "L4", HasProc: true, Idle: MemStat{RSS: 1 << 20}, End: MemStat{RSS: 3 << 20, Peak: 4 << 20}},
			{Name: "ref", Kind: "L4", HasProc: true, Idle: MemStat{RSS: 2 << 20}, End: MemStat{RSS: 2 << 20, Peak: 2 << 20}},
			{Name: "gone", Kind: "L4", Skipped: true, Err: "skipped: no binary"},
			{Name: "broken", Kind: "L7", Err: "start broken: exit status 1\n  details"},
		},
	}
	add := func(target string, rps float64, p50, p99 time.Duration, cpu time.Duration) {
		for rep := 1; rep <= 3; rep++ {
			// Repetition 2 is an outlier that medians must ignore.
			f := 1.0
			if rep == 2 {
				f = 3
			}
			res.Samples = append(res.Samples, Sample{
				Case: "c1", Op: "SET", Target: target, Rep: rep,
				Load: LoadResult{Requests: 1000, RPS: rps * f, P50: p50, P99: p99},
				CPU:  time.Duration(float64(cpu) * f), CPUPrecise: true,
				Foreign: 0.02 * f,
			})
		}
	}
	add(Direct, 1000, 100*time.Microsecond, 300*time.Microsecond, 0)
	res.Samples[1].Foreign = 0.5 // direct, repetition 2: noisy
	add("sub", 500, 150*time.Microsecond, 420*time.Microsecond, 20*time.Millisecond)
	add("ref", 800, 120*time.Microsecond, 360*time.Microsecond, 10*time.Millisecond)
	return res
}

func TestRows(t *testing.T) {
	rows := syntheticResult().Rows("c1", "SET")
	if len(rows) != 3 {
		t.Fatalf("Rows = %d rows, want 3 (targets with samples)", len(rows))
	}
	direct, sub, ref := rows[0], rows[1], rows[2]
	if direct.Target != Direct || direct.HasCPU || direct.RPSRatio != 1 || direct.AddP50 != 0 {
		t.Errorf("direct row = %+v, want ratio 1, no CPU", direct)
	}
	if sub.RPS != 500 || sub.Samples != 3 {
		t.Errorf("sub RPS = %v over %d samples, want median 500 over 3", sub.RPS, sub.Samples)
	}
	if sub.RPSRatio != 0.5 || sub.AddP50 != 50*time.Microsecond || sub.AddP99 != 120*time.Microsecond {
		t.Errorf("sub ratios = %v, +%v, +%v; want 0.5, +50µs, +120µs", sub.RPSRatio, sub.AddP50, sub.AddP99)
	}
	// 20ms over 1000 requests.
	if !sub.HasCPU || math.Abs(sub.CPUPerReq-20) > 1e-9 {
		t.Errorf("sub CPU = %v µs/req (has %v), want 20", sub.CPUPerReq, sub.HasCPU)
	}
	if !sub.HasCPURatio || math.Abs(sub.CPURatio-2) > 1e-9 {
		t.Errorf("sub CPU ratio = %v (has %v), want 2", sub.CPURatio, sub.HasCPURatio)
	}
	if !ref.HasCPURatio || ref.CPURatio != 1 {
		t.Errorf("ref CPU ratio = %v, want 1", ref.CPURatio)
	}
	if spread := sub.RPSSpread; math.Abs(spread-2) > 1e-9 {
		t.Errorf("sub spread = %v, want (1500-500)/500 = 2", spread)
	}
	if got := syntheticResult().Rows("c1", "GET"); len(got) != 0 {
		t.Errorf("Rows for an op without samples = %v, want none", got)
	}
}

func TestWriteReport(t *testing.T) {
	meta := Meta{Date: time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC), CPU: "Test CPU", Cores: 2, Kernel: "6.1", Go: "go1.26", Command: "loadtest -n 10"}
	res := syntheticResult()
	tests := []struct {
		format Format
		want   []string
	}{
		{Markdown, []string{
			"## Sidewire load harness",
			"- date: 2026-11-22 05:00 UTC",
			"- command: `loadtest -n 10`",
			"#### c1: client -c 1",
			`- other processes used a median 2% (max 50%) of the machine's CPU during the 9 runs (column "others"); 1 runs stayed above 10% after retries: their figures are noise`,
			"| op | target | kind | req/s | ×direct | spread | p50 ms | +p50 µs | p99 ms | +p99 µs | CPU µs/req | CPU ×ref |",
			"|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
			"| SET | direct | no proxy | 1000 | 1.00 | ±100% | 0.100 | - | 0.300 | - | - | - | 2% |",
			"| SET | sub | L4 | 500 | 0.50 | ±100% | 0.150 | +50 | 0.420 | +120 | 20.00 | 2.00 | 2% |",
			"| c1 | SET | 20.00 | 10.00 | 2.00 | 0.62 | +60 |",
			"| sub | 1.0 | 3.0 | 4.0 |",
			"- gone not measured: skipped: no binary",
			"- broken FAILED: start broken: exit status 1 [last output: details]",
		}},
		{Text, []string{
			"=== Sidewire load harness",
			"- command: loadtest -n 10",
			"SET  sub     L4        500    0.50",
		}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := WriteReport(&b, tt.format, meta, []*ScenarioResult{res}); err != nil {
			t.Fatalf("WriteReport: %v", err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("report (format %d) lacks %q:\n%s", tt.format, w, b.String())
			}
		}
	}
}

func TestFailed(t *testing.T) {
	res := syntheticResult()
	if !res.Failed() {
		t.Errorf("Failed() = false with a failed target")
	}
	res.Targets = res.Targets[:4] // drop "broken"; "gone" is only skipped
	if res.Failed() {
		t.Errorf("Failed() = true with only a skipped target")
	}
}

func TestReportWarnsOfBusyMachine(t *testing.T) {
	for _, tt := range []struct {
		busy float64
		want string
		warn bool
	}{
		{0.02, "machine CPU in use before the run: 2%", false},
		{0.5, "machine CPU in use before the run: 50%", true},
	} {
		var b bytes.Buffer
		if err := WriteReport(&b, Text, Meta{Busy: tt.busy}, nil); err != nil {
			t.Fatalf("WriteReport: %v", err)
		}
		if !strings.Contains(b.String(), tt.want) || strings.Contains(b.String(), "WARNING") != tt.warn {
			t.Errorf("report for busy %v = %q, want %q with warning %v", tt.busy, b.String(), tt.want, tt.warn)
		}
	}
}
