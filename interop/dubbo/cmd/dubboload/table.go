package main

import (
	"fmt"
	"strings"
	"time"
)

// Targets of issue 4, for Sidewire's dubbo_proxy.
const (
	targetAddedP99 = 150.0 // µs added at the fixed rate
	targetCPUPerOp = 25.0  // µs of proxy CPU per call
)

var (
	p50  = func(p phase) float64 { return p.rep.Latency.P50 }
	p99  = func(p phase) float64 { return p.rep.Latency.P99 }
	qps  = func(p phase) float64 { return p.rep.CallsPerSec }
	cpu  = func(p phase) float64 { return float64(p.cpuPerOp) / float64(time.Microsecond) }
	rss  = func(p phase) float64 { return float64(p.mem.RSS) / (1 << 20) }
	hwm  = func(p phase) float64 { return float64(p.mem.Peak) / (1 << 20) }
	prov = func(p phase) float64 { return float64(p.provPerOp) / float64(time.Microsecond) }
)

// table renders the results. busy says other work competed for the
// CPUs, which makes latency verdicts inconclusive.
func table(f flags, r *results, busy bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nDubbo (%s) direct vs through proxies, loopback, %d reps x %v, medians\n\n", f.method, f.reps, f.duration)
	b.WriteString("| phase | target | kind | calls/s | p50 µs | p99 µs | proxy CPU µs/call | proxy RSS MiB | proxy HWM MiB | provider CPU µs/call |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	rateName := fmt.Sprintf("%.0f/s, %d callers", f.rate, f.rateConc)
	maxName := fmt.Sprintf("max, %d callers", f.maxConc)
	for _, ph := range []struct {
		name string
		by   map[string][]phase
	}{{rateName, r.rate}, {maxName, r.max}} {
		for _, t := range r.targets {
			ps := ph.by[t.name]
			c, m, h := "-", "-", "-"
			if t.pid != 0 {
				c = fmt.Sprintf("%.1f", median(ps, cpu))
				m = fmt.Sprintf("%.1f", median(ps, rss))
				h = fmt.Sprintf("%.1f", median(ps, hwm))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %.0f | %.0f | %s | %s | %s | %.1f |\n",
				ph.name, t.name, t.kind, median(ps, qps), median(ps, p50), median(ps, p99), c, m, h, median(ps, prov))
		}
	}
	b.WriteString(costTable(f, r))
	b.WriteString(verdicts(f, r, busy))
	for _, t := range r.targets {
		if t.pid != 0 && (!allPrecise(r.rate[t.name]) || !allPrecise(r.max[t.name])) {
			fmt.Fprintf(&b, "\nNote: a %s thread exited during a phase, so some of its CPU figures come from 10ms clock ticks.\n", t.name)
		}
	}
	return b.String()
}

// costTable is what each proxy adds to direct calls, side by side.
func costTable(f flags, r *results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| proxy | added p50 at %.0f/s µs | added p99 at %.0f/s µs | CPU µs/call at %.0f/s | CPU µs/call at max | calls/s at max ×direct |\n", f.rate, f.rate, f.rate)
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, t := range r.targets[1:] {
		fmt.Fprintf(&b, "| %s | %+.0f | %+.0f | %.1f | %.1f | %.2f |\n", t.name,
			added(r.rate, t.name, p50), added(r.rate, t.name, p99),
			median(r.rate[t.name], cpu), median(r.max[t.name], cpu),
			median(r.max[t.name], qps)/median(r.max["direct"], qps))
	}
	return b.String()
}

// verdicts compares Sidewire's dubbo_proxy with the targets.
func verdicts(f flags, r *results, busy bool) string {
	if _, ok := r.rate["sidewire"]; !ok {
		return ""
	}
	var b strings.Builder
	addedP99 := added(r.rate, "sidewire", p99)
	cpuRate, cpuMax := median(r.rate["sidewire"], cpu), median(r.max["sidewire"], cpu)
	b.WriteString("\n| sidewire (dubbo_proxy) | value | target |\n|---|---:|---|\n")
	p99Verdict := verdict(addedP99 <= targetAddedP99)
	if busy || addedP99 < 0 {
		p99Verdict = "(inconclusive: the machine was busy or the tails are noise)"
	}
	fmt.Fprintf(&b, "| added p99 at %.0f/s | %+.0f µs | ≤ +%.0f µs %s |\n", f.rate, addedP99, targetAddedP99, p99Verdict)
	fmt.Fprintf(&b, "| proxy CPU per call at %.0f/s | %.1f µs | ≤ %.0f µs %s |\n", f.rate, cpuRate, targetCPUPerOp, verdict(cpuRate <= targetCPUPerOp))
	fmt.Fprintf(&b, "| proxy CPU per call at max | %.1f µs | ≤ %.0f µs %s |\n", cpuMax, targetCPUPerOp, verdict(cpuMax <= targetCPUPerOp))
	if hp, ok := r.rate["haproxy-tcp"]; ok {
		fmt.Fprintf(&b, "| CPU per call ×haproxy-tcp at %.0f/s, at max | %.2f, %.2f | |\n", f.rate,
			cpuRate/median(hp, cpu), cpuMax/median(r.max["haproxy-tcp"], cpu))
	}
	return b.String()
}

// added is a target's median of v minus direct's.
func added(by map[string][]phase, name string, v func(phase) float64) float64 {
	return median(by[name], v) - median(by["direct"], v)
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
