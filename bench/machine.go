package bench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTimes is the "cpu" line of /proc/stat: busy and total jiffies over
// all cores since boot. busy is time in processes (user, nice, system) and
// stolen by the hypervisor; interrupt and softirq time is neither busy nor
// idle here because it is not charged to any process, and on loopback it is
// mostly the harness's own packets (a quarter of all CPU time at c50-P1).
type cpuTimes struct{ busy, total uint64 }

func readCPUTimes() (cpuTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, fmt.Errorf("read machine cpu: %w", err)
	}
	return parseProcStatCPU(b)
}

// parseProcStatCPU reads "cpu  user nice system idle iowait irq softirq
// steal guest guest_nice" (guest time is already in user and nice).
func parseProcStatCPU(b []byte) (cpuTimes, error) {
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return cpuTimes{}, errors.New("parse /proc/stat: no cpu line")
	}
	var t cpuTimes
	for i, s := range f[1:] {
		if i >= 8 { // guest times are already in user and nice
			break
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("parse /proc/stat: %w", err)
		}
		t.total += v
		switch i {
		case 0, 1, 2, 7: // user, nice, system, steal
			t.busy += v
		}
	}
	return t, nil
}

// MachineBusy samples the whole machine for d and returns the fraction of
// CPU in use by anything (0..1). The harness calls it before starting any
// process, so it measures other work that would make figures noisy.
func MachineBusy(d time.Duration) (float64, error) {
	a, err := readCPUTimes()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	b, err := readCPUTimes()
	if err != nil {
		return 0, err
	}
	if b.total <= a.total || b.busy < a.busy {
		return 0, nil
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total), nil
}
