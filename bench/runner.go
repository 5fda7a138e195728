package bench

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// probeTimeout bounds the one-request check through each target.
const probeTimeout = 5 * time.Second

// Sample is one measured load run.
type Sample struct {
	Case, Op, Target string
	Rep              int // 1-based
	Load             LoadResult
	// CPU is the proxy's CPU time during the run (zero for a target
	// without a process); CPUPrecise says it came from per-thread
	// nanosecond counters rather than clock ticks.
	CPU        time.Duration
	CPUPrecise bool
	// Foreign is the share (0..1) of the machine's CPU that other
	// processes used during the run, -1 when unknown; Attempts counts the
	// runs made to get one under Options.MaxForeign.
	Foreign  float64
	Attempts int
}

// TargetResult is what happened to one target of a scenario.
type TargetResult struct {
	Name, Kind, Version string
	// Skipped is set for a target this run was not configured to measure.
	Skipped bool
	// Err says why the target was skipped or failed; a failed target keeps
	// the samples taken before the failure.
	Err string
	// HasProc is set for proxies; Idle is their memory once ready, End
	// after the last run (End.Peak is VmHWM, the peak of the whole run).
	HasProc   bool
	Idle, End MemStat
}

// Failed reports whether the target was meant to run but did not finish.
func (t TargetResult) Failed() bool { return !t.Skipped && t.Err != "" }

// CaseInfo describes a case in results.
type CaseInfo struct {
	Name, Detail string
	Ops          []string
	Requests     int
}

// ScenarioResult holds every sample of one scenario.
type ScenarioResult struct {
	Name, Title string
	// Upstream describes the upstream server and load client versions.
	Upstream        string
	CPURef, Subject string
	Reps            int
	// MaxForeign is the run's Options.MaxForeign.
	MaxForeign float64
	Cases      []CaseInfo
	Targets    []TargetResult
	Samples    []Sample
}

// Failed reports whether any target failed.
func (r *ScenarioResult) Failed() bool {
	for _, t := range r.Targets {
		if t.Failed() {
			return true
		}
	}
	return false
}

// live is a started target under measurement.
type live struct {
	res *TargetResult
	t   Target
	ep  Endpoint
}

// RunScenario starts the scenario's upstream and the targets that include
// accepts (nil means all), then runs every case and op Reps times against
// every target, rotating the target order each repetition so that no target
// always runs first. A target that fails is reported and left out of later
// runs; the scenario goes on with the others. An error is returned only
// when nothing can be measured (the upstream does not start) or ctx ends,
// together with the samples taken so far.
func RunScenario(ctx context.Context, env *Env, sc Scenario, include func(target string) bool) (*ScenarioResult, error) {
	res := &ScenarioResult{Name: sc.Name, Title: sc.Title, CPURef: sc.CPURef, Subject: sc.Subject, Reps: env.Opts.Reps, MaxForeign: env.Opts.MaxForeign}
	cases := sc.Cases(env.Opts)
	for _, c := range cases {
		res.Cases = append(res.Cases, CaseInfo{Name: c.Name, Detail: c.Detail, Ops: c.Ops, Requests: c.Requests})
	}
	if sc.Version != nil {
		res.Upstream = sc.Version(env)
	}
	env.Logf("%s: starting upstream", sc.Name)
	up, err := sc.Start(ctx, env)
	if err != nil {
		return res, fmt.Errorf("run scenario %s: %w", sc.Name, err)
	}
	lives := startTargets(ctx, env, sc, up, include, res)
	if len(cases) > 0 && len(cases[0].Ops) > 0 && env.Opts.Warmup {
		warmup(ctx, env, cases[0], lives)
	}
	for rep := 1; rep <= env.Opts.Reps; rep++ {
		for _, c := range cases {
			for _, op := range c.Ops {
				for i := range lives {
					if err := ctx.Err(); err != nil {
						finishMemory(lives)
						return res, fmt.Errorf("run scenario %s: %w", sc.Name, err)
					}
					l := lives[(i+rep-1)%len(lives)]
					if l.res.Err != "" {
						continue
					}
					s, err := measureQuiet(ctx, env, c, op, l)
					if err != nil {
						if ctx.Err() == nil {
							l.res.Err = err.Error()
							env.Logf("%s: %s failed: %v", sc.Name, l.res.Name, err)
						}
						continue
					}
					s.Rep = rep
					res.Samples = append(res.Samples, s)
					env.Logf("%s rep %d/%d %s %s %-14s %s", sc.Name, rep, env.Opts.Reps, c.Name, op, l.res.Name, describeSample(s))
				}
			}
		}
	}
	finishMemory(lives)
	return res, nil
}

// startTargets starts every included target in front of up and probes it.
// Targets that fail or are skipped are recorded in res and not returned.
func startTargets(ctx context.Context, env *Env, sc Scenario, up Upstream, include func(string) bool, res *ScenarioResult) []*live {
	for _, name := range sc.Targets {
		if include == nil || include(name) {
			res.Targets = append(res.Targets, TargetResult{Name: name})
		}
	}
	var lives []*live
	for i := range res.Targets {
		tr := &res.Targets[i]
		t, err := LookupTarget(tr.Name)
		if err != nil {
			tr.Err = err.Error()
			continue
		}
		tr.Kind = t.Kind
		if t.Version != nil {
			tr.Version = t.Version(env)
		}
		env.Logf("%s: starting %s", sc.Name, tr.Name)
		ep, err := t.Start(ctx, env, up)
		if err == nil && sc.Probe != nil {
			pctx, cancel := context.WithTimeout(ctx, probeTimeout)
			err = sc.Probe(pctx, ep.Addr)
			cancel()
		}
		if err != nil {
			tr.Skipped = errors.Is(err, ErrSkipped)
			tr.Err = err.Error()
			env.Logf("%s: %s not measured: %v", sc.Name, tr.Name, err)
			continue
		}
		if ep.Proc != nil {
			tr.HasProc = true
			if m, err := ReadMem(ep.Proc.PID()); err == nil {
				tr.Idle = m
			}
		}
		lives = append(lives, &live{res: tr, t: t, ep: ep})
	}
	return lives
}

// warmup runs a short unrecorded load through every target.
func warmup(ctx context.Context, env *Env, c Case, lives []*live) {
	n := min(max(c.Requests/10, 1000), c.Requests)
	for _, l := range lives {
		if ctx.Err() != nil {
			return
		}
		if _, err := c.Run(ctx, env, l.ep.Addr, c.Ops[0], n); err != nil && ctx.Err() == nil {
			l.res.Err = fmt.Sprintf("warm-up: %v", err)
			env.Logf("warm-up of %s failed: %v", l.res.Name, err)
		}
	}
}

// measureQuiet measures, and measures again (up to Options.NoisyRetries
// more times) while other processes took more than Options.MaxForeign of
// the machine, keeping the quietest attempt.
func measureQuiet(ctx context.Context, env *Env, c Case, op string, l *live) (Sample, error) {
	var best Sample
	for attempt := 1; attempt <= 1+env.Opts.NoisyRetries; attempt++ {
		s, err := measure(ctx, env, c, op, l)
		if err != nil {
			return s, err
		}
		if attempt == 1 || (s.Foreign >= 0 && s.Foreign < best.Foreign) {
			best = s
		}
		best.Attempts = attempt
		if best.Foreign <= env.Opts.MaxForeign || attempt > env.Opts.NoisyRetries {
			break
		}
		env.Logf("%s %s %s: other processes used %.0f%% of the CPU, measuring again", c.Name, op, l.res.Name, s.Foreign*100)
	}
	return best, nil
}

// measure runs one load through l, sampling the proxy's CPU around it.
func measure(ctx context.Context, env *Env, c Case, op string, l *live) (Sample, error) {
	s := Sample{Case: c.Name, Op: op, Target: l.res.Name}
	noise := startNoiseProbe(env)
	var before CPUStat
	if p := l.ep.Proc; p != nil {
		var err error
		if before, err = ReadCPU(p.PID()); err != nil {
			return s, fmt.Errorf("measure %s: %w", l.res.Name, err)
		}
	}
	load, err := c.Run(ctx, env, l.ep.Addr, op, c.Requests)
	if err != nil {
		return s, err
	}
	s.Load = load
	if p := l.ep.Proc; p != nil {
		if err := p.exitError(); err != nil {
			return s, err
		}
		after, err := ReadCPU(p.PID())
		if err != nil {
			return s, fmt.Errorf("measure %s: %w", l.res.Name, err)
		}
		s.CPU, s.CPUPrecise = CPUUsed(before, after, ClockTick())
	}
	s.Foreign = noise.foreign(env, load.ClientCPU)
	return s, nil
}

// finishMemory records every live proxy's memory after the last run.
func finishMemory(lives []*live) {
	for _, l := range lives {
		if l.ep.Proc == nil {
			continue
		}
		if m, err := ReadMem(l.ep.Proc.PID()); err == nil {
			l.res.End = m
		}
	}
}

func describeSample(s Sample) string {
	d := fmt.Sprintf("%10.0f rps  p50 %6.3fms  p99 %6.3fms", s.Load.RPS, ms(s.Load.P50), ms(s.Load.P99))
	if s.CPU > 0 {
		d += fmt.Sprintf("  cpu %.2fµs/req", cpuPerReq(s))
	}
	if s.Foreign >= 0 {
		d += fmt.Sprintf("  others %.0f%%", s.Foreign*100)
	}
	return d
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuPerReq is the sample's proxy CPU in microseconds per request.
func cpuPerReq(s Sample) float64 {
	if s.Load.Requests == 0 {
		return 0
	}
	return float64(s.CPU) / float64(time.Microsecond) / float64(s.Load.Requests)
}
