package main

import (
	"fmt"
	"strings"
	"time"
)

// Targets the table compares against.
const (
	targetAddedP99 = 150.0 // µs added at the fixed rate
	targetCPUPerOp = 25.0  // µs of proxy CPU per call
)

// table renders the results. busy says other work competed for the
// CPUs, which makes latency verdicts inconclusive.
func table(f flags, r *results, busy bool) string {
	var b strings.Builder
	p50 := func(p phase) float64 { return p.rep.Latency.P50 }
	p99 := func(p phase) float64 { return p.rep.Latency.P99 }
	qps := func(p phase) float64 { return p.rep.CallsPerSec }
	cpu := func(p phase) float64 { return float64(p.cpuPerOp) / float64(time.Microsecond) }
	rss := func(p phase) float64 { return float64(p.mem.RSS) / (1 << 20) }
	hwm := func(p phase) float64 { return float64(p.mem.Peak) / (1 << 20) }
	prov := func(p phase) float64 { return float64(p.provPerOp) / float64(time.Microsecond) }

	fmt.Fprintf(&b, "\nDubbo (%s) direct vs through Sidewire, loopback, %d reps x %v, medians\n\n", f.method, f.reps, f.duration)
	b.WriteString("| phase | target | calls/s | p50 µs | p99 µs | proxy CPU µs/call | proxy RSS MiB | proxy HWM MiB | provider CPU µs/call |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name, target string, ps []phase, proxy bool) {
		c, m, h := "-", "-", "-"
		if proxy {
			c = fmt.Sprintf("%.1f", median(ps, cpu))
			m = fmt.Sprintf("%.1f", median(ps, rss))
			h = fmt.Sprintf("%.1f", median(ps, hwm))
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.0f | %.0f | %s | %s | %s | %.1f |\n",
			name, target, median(ps, qps), median(ps, p50), median(ps, p99), c, m, h, median(ps, prov))
	}
	rate := fmt.Sprintf("%.0f/s, %d callers", f.rate, f.rateConc)
	maxr := fmt.Sprintf("max, %d callers", f.maxConc)
	row(rate, "direct", r.rateDirect, false)
	row(rate, "sidewire", r.rateVia, true)
	row(maxr, "direct", r.maxDirect, false)
	row(maxr, "sidewire", r.maxVia, true)

	addedP50 := median(r.rateVia, p50) - median(r.rateDirect, p50)
	addedP99 := median(r.rateVia, p99) - median(r.rateDirect, p99)
	ratio := median(r.maxVia, qps) / median(r.maxDirect, qps)
	cpuRate, cpuMax := median(r.rateVia, cpu), median(r.maxVia, cpu)
	b.WriteString("\n| measure | value | target |\n|---|---:|---|\n")
	fmt.Fprintf(&b, "| added p50 at %.0f/s | %+.0f µs | |\n", f.rate, addedP50)
	p99Verdict := verdict(addedP99 <= targetAddedP99)
	if busy || addedP99 < 0 {
		p99Verdict = "(inconclusive: the machine was busy or the tails are noise)"
	}
	fmt.Fprintf(&b, "| added p99 at %.0f/s | %+.0f µs | ≤ +%.0f µs %s |\n", f.rate, addedP99, targetAddedP99, p99Verdict)
	fmt.Fprintf(&b, "| throughput ratio at max (sidewire/direct) | %.2f | |\n", ratio)
	fmt.Fprintf(&b, "| proxy CPU per call at %.0f/s | %.1f µs | ≤ %.0f µs %s |\n", f.rate, cpuRate, targetCPUPerOp, verdict(cpuRate <= targetCPUPerOp))
	fmt.Fprintf(&b, "| proxy CPU per call at max | %.1f µs | ≤ %.0f µs %s |\n", cpuMax, targetCPUPerOp, verdict(cpuMax <= targetCPUPerOp))
	if !allPrecise(r.rateVia) || !allPrecise(r.maxVia) {
		b.WriteString("\nNote: a Sidewire thread exited during a phase, so some CPU figures come from 10ms clock ticks.\n")
	}
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(missed)"
}

func allPrecise(ps []phase) bool {
	for _, p := range ps {
		if !p.precise {
			return false
		}
	}
	return true
}
