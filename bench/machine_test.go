package bench

import (
	"testing"
	"time"
)

func TestParseProcStatCPU(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	got, err := parseProcStatCPU([]byte("cpu  100 5 50 800 20 3 2 7 40 0\ncpu0 1 2 3 4 5 6 7 8\n"))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if want := (cpuTimes{busy: 162, total: 987}); got != want {
		t.Errorf("parse = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "intr 1 2 3", "cpu 1 2 x 4 5 6"} {
		if _, err := parseProcStatCPU([]byte(bad)); err == nil {
			t.Errorf("parse(%q) succeeded, want error", bad)
		}
	}
}

func TestMachineBusy(t *testing.T) {
	requireLinuxProc(t)
	busy, err := MachineBusy(50 * time.Millisecond)
	if err != nil {
		t.Fatalf("MachineBusy: %v", err)
	}
	if busy < 0 || busy > 1 {
		t.Errorf("MachineBusy = %v, want a fraction in [0, 1]", busy)
	}
}
