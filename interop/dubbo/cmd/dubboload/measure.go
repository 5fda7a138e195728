package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/consumer"
	"github.com/sidewire/sidewire/interop/internal/procstat"
)

// phase is one measured run against one target.
type phase struct {
	rep      *consumer.Report
	cpuPerOp time.Duration // sidewire CPU per call (through sidewire only)
	precise  bool
	mem      procstat.Mem
	// provPerOp is the provider's CPU per call, for scale.
	provPerOp time.Duration
}

// results holds every repetition of both phases, per target.
type results struct {
	targets   []target
	rate, max map[string][]phase
}

// measure runs the phases against every target. Within a repetition the
// targets take turns, starting one later each time, so that drifts in
// the machine's load hit all alike and none always runs first.
func measure(ctx context.Context, f flags, ts []target, provPID int) (*results, error) {
	calls := make([]consumer.CallFunc, len(ts))
	for i, t := range ts {
		c, err := consumer.Dial(consumer.Options{Address: t.addr})
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", t.name, err)
		}
		if calls[i], err = consumer.MethodCall(c, f.method, f.arg, nil); err != nil {
			return nil, err
		}
	}
	rateSpec := consumer.Spec{Duration: f.duration, Concurrency: f.rateConc, Rate: f.rate}
	maxSpec := consumer.Spec{Duration: f.duration, Concurrency: f.maxConc}
	res := &results{targets: ts, rate: map[string][]phase{}, max: map[string][]phase{}}
	for rep := range f.reps {
		fmt.Fprintf(os.Stderr, "dubboload: repetition %d/%d\n", rep+1, f.reps)
		for _, ph := range []struct {
			into map[string][]phase
			spec consumer.Spec
		}{{res.rate, rateSpec}, {res.max, maxSpec}} {
			for k := range ts {
				i := (k + rep) % len(ts)
				got, err := runPhase(ctx, f.warmup, ph.spec, calls[i], ts[i].pid, provPID)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", ts[i].name, err)
				}
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				ph.into[ts[i].name] = append(ph.into[ts[i].name], got)
			}
		}
	}
	return res, nil
}

// runPhase warms up, then runs spec, sampling the provider's CPU around
// it, and the proxy's when pid is not 0.
func runPhase(ctx context.Context, warmup time.Duration, spec consumer.Spec, call consumer.CallFunc, pid, provPID int) (phase, error) {
	if warmup > 0 {
		w := spec
		w.Duration = warmup
		if _, err := consumer.Run(ctx, w, call); err != nil {
			return phase{}, err
		}
	}
	var before procstat.CPU
	var err error
	if pid != 0 {
		if before, err = procstat.ReadCPU(pid); err != nil {
			return phase{}, err
		}
	}
	provBefore, err := procstat.ReadCPU(provPID)
	if err != nil {
		return phase{}, err
	}
	rep, err := consumer.Run(ctx, spec, call)
	if err != nil {
		return phase{}, err
	}
	provAfter, err := procstat.ReadCPU(provPID)
	if err != nil {
		return phase{}, err
	}
	if rep.Errors > 0 {
		return phase{}, fmt.Errorf("%d of %d calls failed: %v", rep.Errors, rep.Calls, rep.ErrorKinds)
	}
	ph := phase{rep: rep}
	if rep.Calls > 0 {
		used, _ := procstat.Used(provBefore, provAfter)
		ph.provPerOp = used / time.Duration(rep.Calls)
	}
	if pid != 0 {
		after, err := procstat.ReadCPU(pid)
		if err != nil {
			return phase{}, err
		}
		used, precise := procstat.Used(before, after)
		if rep.Calls > 0 {
			ph.cpuPerOp = used / time.Duration(rep.Calls)
		}
		ph.precise = precise
		if ph.mem, err = procstat.ReadMem(pid); err != nil {
			return phase{}, err
		}
	}
	return ph, nil
}

// median of a value over phases.
func median(ps []phase, v func(phase) float64) float64 {
	xs := make([]float64, len(ps))
	for i, p := range ps {
		xs[i] = v(p)
	}
	slices.Sort(xs)
	if len(xs) == 0 {
		return 0
	}
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}
