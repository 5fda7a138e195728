package bench

import (
	"os"
	"time"
)

// noiseProbe measures how much of the machine's CPU went to processes other
// than the harness and its children during one load run: the machine-wide
// busy time from /proc/stat, minus the CPU of every process the Env started,
// of the harness itself and of the load client. On an idle machine it is
// near zero; a run where it is high competed with unrelated work and its
// figures are noise.
type noiseProbe struct {
	ok      bool
	machine cpuTimes
	ours    uint64 // clock ticks of the harness and the Env's processes
}

// startNoiseProbe samples the machine and our processes before a run.
func startNoiseProbe(env *Env) noiseProbe {
	m, err := readCPUTimes()
	if err != nil {
		return noiseProbe{}
	}
	return noiseProbe{ok: true, machine: m, ours: ourTicks(env)}
}

// foreign returns the fraction (0..1) of all cores' time used by other
// processes since the probe started, given the load client's CPU time
// (an exited child, so not in /proc), or -1 when unknown.
func (n noiseProbe) foreign(env *Env, client time.Duration) float64 {
	if !n.ok {
		return -1
	}
	m, err := readCPUTimes()
	if err != nil {
		return -1
	}
	ours := float64(ourTicks(env)-n.ours) + float64(client)/float64(ClockTick())
	return foreignShare(n.machine, m, ours)
}

// foreignShare is the share of the machine's time between two /proc/stat
// samples that was busy but not in ours (clock ticks of our processes),
// clamped to [0, 1]; -1 when the samples are not in order.
func foreignShare(before, after cpuTimes, ours float64) float64 {
	if after.total <= before.total || after.busy < before.busy {
		return -1
	}
	f := (float64(after.busy-before.busy) - ours) / float64(after.total-before.total)
	return min(max(f, 0), 1)
}

// ourTicks sums utime+stime of the harness and every process env started.
func ourTicks(env *Env) uint64 {
	var sum uint64
	for _, pid := range append(env.pids(), os.Getpid()) {
		if st, err := ReadCPU(pid); err == nil {
			sum += st.Ticks
		}
	}
	return sum
}
