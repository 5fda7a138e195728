package bench

import "time"

// Row is the median of one target's samples for one case and op, with
// ratios against the direct target and the CPU reference target.
type Row struct {
	Target, Kind string
	// Samples is how many repetitions the medians are over.
	Samples int
	RPS     float64
	// RPSSpread is (max-min)/median of the repetitions' throughput.
	RPSSpread float64
	P50, P99  time.Duration

	// HasDirect is set when the direct target has samples: then RPSRatio
	// is RPS/direct RPS and AddP50/AddP99 the added latency (negative when
	// faster, which is noise for a proxy).
	HasDirect      bool
	RPSRatio       float64
	AddP50, AddP99 time.Duration

	// HasCPU is set for proxies: CPUPerReq is the median over repetitions
	// of proxy CPU time divided by requests, in microseconds. HasCPURatio
	// adds CPURatio, CPUPerReq over the reference target's.
	HasCPU      bool
	CPUPerReq   float64
	HasCPURatio bool
	CPURatio    float64

	// Foreign is the median share of the machine's CPU other processes
	// used during the runs, -1 when unknown.
	Foreign float64
}

// Rows aggregates the samples of one case and op, one row per target that
// has samples, in the scenario's target order.
func (r *ScenarioResult) Rows(caseName, op string) []Row {
	rows := make([]Row, 0, len(r.Targets))
	for _, t := range r.Targets {
		var rps, cpu, foreign []float64
		var p50, p99 []time.Duration
		for _, s := range r.Samples {
			if s.Target != t.Name || s.Case != caseName || s.Op != op {
				continue
			}
			rps = append(rps, s.Load.RPS)
			p50 = append(p50, s.Load.P50)
			p99 = append(p99, s.Load.P99)
			cpu = append(cpu, cpuPerReq(s))
			if s.Foreign >= 0 {
				foreign = append(foreign, s.Foreign)
			}
		}
		if len(rps) == 0 {
			continue
		}
		row := Row{
			Target: t.Name, Kind: t.Kind, Samples: len(rps),
			RPS: median(rps), RPSSpread: spread(rps),
			P50: medianDuration(p50), P99: medianDuration(p99),
			Foreign: -1,
		}
		if len(foreign) > 0 {
			row.Foreign = median(foreign)
		}
		if t.HasProc {
			row.HasCPU, row.CPUPerReq = true, median(cpu)
		}
		rows = append(rows, row)
	}
	var direct, ref *Row
	for i := range rows {
		switch rows[i].Target {
		case Direct:
			direct = &rows[i]
		case r.CPURef:
			ref = &rows[i]
		}
	}
	for i := range rows {
		row := &rows[i]
		if direct != nil && direct.RPS > 0 {
			row.HasDirect = true
			row.RPSRatio = row.RPS / direct.RPS
			row.AddP50 = row.P50 - direct.P50
			row.AddP99 = row.P99 - direct.P99
		}
		if ref != nil && row.HasCPU && ref.HasCPU && ref.CPUPerReq > 0 {
			row.HasCPURatio = true
			row.CPURatio = row.CPUPerReq / ref.CPUPerReq
		}
	}
	return rows
}
