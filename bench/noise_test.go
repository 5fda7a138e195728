package bench

import (
	"testing"
	"time"
)

func TestForeignShare(t *testing.T) {
	before := cpuTimes{busy: 1000, total: 10000}
	tests := []struct {
		name  string
		after cpuTimes
		ours  float64
		want  float64
	}{
		{"all ours", cpuTimes{busy: 1100, total: 10200}, 100, 0},
		{"a quarter foreign", cpuTimes{busy: 1150, total: 10200}, 100, 0.25},
		{"ours overcounted", cpuTimes{busy: 1050, total: 10200}, 100, 0},
		{"all foreign", cpuTimes{busy: 1200, total: 10200}, 0, 1},
		{"no time passed", cpuTimes{busy: 1000, total: 10000}, 0, -1},
		{"busy went backwards", cpuTimes{busy: 900, total: 10200}, 0, -1},
	}
	for _, tt := range tests {
		if got := foreignShare(before, tt.after, tt.ours); got != tt.want {
			t.Errorf("%s: foreignShare = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNoiseProbeSubtractsOurProcesses runs a CPU-bound child registered
// with the Env: its time is ours, so it must not show up as foreign beyond
// what the rest of the machine did.
func TestNoiseProbeSubtractsOurProcesses(t *testing.T) {
	requireLinuxProc(t)
	env := newTestEnv(t, Options{})
	spinner, err := env.Start("spinner", []string{"/bin/sh", "-c", "while :; do :; done"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	before, err := readCPUTimes()
	if err != nil {
		t.Fatalf("readCPUTimes: %v", err)
	}
	spin0, err := ReadCPU(spinner.PID())
	if err != nil {
		t.Fatalf("ReadCPU: %v", err)
	}
	probe := startNoiseProbe(env)
	time.Sleep(500 * time.Millisecond)
	foreign := probe.foreign(env, 0)
	after, err := readCPUTimes()
	if err != nil {
		t.Fatalf("readCPUTimes: %v", err)
	}
	spin1, err := ReadCPU(spinner.PID())
	if err != nil {
		t.Fatalf("ReadCPU: %v", err)
	}
	total := float64(after.total - before.total)
	machine := float64(after.busy-before.busy) / total
	spin := float64(spin1.Ticks-spin0.Ticks) / total
	if spin < 0.2 {
		t.Fatalf("the spinner got only %.0f%% of the machine; cannot check the subtraction", spin*100)
	}
	// Allow a few ticks of sampling skew per process read.
	if foreign < 0 || foreign > machine-spin+0.1 {
		t.Errorf("foreign = %.2f with the machine %.2f busy of which %.2f our spinner; want at most %.2f", foreign, machine, spin, machine-spin+0.1)
	}
}
