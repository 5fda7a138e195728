package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CPUStat is a process's CPU time at one instant, read two ways:
// Ticks from /proc/PID/stat (utime+stime of the whole process, exited
// threads included, in clock ticks of usually 10ms), and Tasks from
// /proc/PID/task/TID/schedstat (nanoseconds on CPU per live thread).
type CPUStat struct {
	Ticks uint64
	// Tasks maps thread id to nanoseconds on CPU; nil when schedstat is
	// unavailable.
	Tasks map[int]uint64
}

// ReadCPU samples the CPU time of process pid.
func ReadCPU(pid int) (CPUStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPUStat{}, fmt.Errorf("read cpu of pid %d: %w", pid, err)
	}
	ticks, err := parseStatTicks(b)
	if err != nil {
		return CPUStat{}, fmt.Errorf("read cpu of pid %d: %w", pid, err)
	}
	return CPUStat{Ticks: ticks, Tasks: readTaskSchedstat(pid)}, nil
}

// readTaskSchedstat returns per-thread CPU nanoseconds, or nil if any
// thread's schedstat cannot be read (then callers use ticks). A thread that
// exits while it is being listed is left out, which CPUUsed notices.
func readTaskSchedstat(pid int) map[int]uint64 {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	tasks := make(map[int]uint64, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "schedstat"))
		if errors.Is(err, os.ErrNotExist) {
			continue // the thread exited
		}
		if err != nil {
			return nil
		}
		ns, err := parseSchedstat(b)
		if err != nil {
			return nil
		}
		tasks[tid] = ns
	}
	return tasks
}

// CPUUsed returns the CPU time spent between two samples of one process.
// It sums per-thread nanoseconds when every thread of before is still alive
// in after (threads created in between count from zero); otherwise the time
// of an exited thread would be lost, and it falls back to clock ticks.
// precise reports which was used.
func CPUUsed(before, after CPUStat, tick time.Duration) (used time.Duration, precise bool) {
	if before.Tasks != nil && after.Tasks != nil {
		var sum uint64
		ok := true
		for tid, b := range before.Tasks {
			a, alive := after.Tasks[tid]
			if !alive || a < b {
				ok = false
				break
			}
			sum += a - b
		}
		if ok {
			for tid, a := range after.Tasks {
				if _, old := before.Tasks[tid]; !old {
					sum += a
				}
			}
			return time.Duration(sum), true
		}
	}
	if after.Ticks < before.Ticks {
		return 0, false
	}
	return time.Duration(after.Ticks-before.Ticks) * tick, false
}

// parseStatTicks returns utime+stime (fields 14 and 15) of a /proc/PID/stat
// line. The command name (field 2) may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStatTicks(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("parse stat: no command name")
	}
	// rest[0] is field 3 (state); utime is field 14, stime field 15.
	rest := strings.Fields(string(b[i+1:]))
	if len(rest) < 13 {
		return 0, fmt.Errorf("parse stat: %d fields after the command name, want at least 13", len(rest))
	}
	utime, err := strconv.ParseUint(rest[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse stat utime: %w", err)
	}
	stime, err := strconv.ParseUint(rest[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse stat stime: %w", err)
	}
	return utime + stime, nil
}

// parseSchedstat returns the first field of /proc/.../schedstat: time on
// CPU in nanoseconds.
func parseSchedstat(b []byte) (uint64, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("parse schedstat: empty")
	}
	ns, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse schedstat: %w", err)
	}
	return ns, nil
}

// MemStat is a process's memory from /proc/PID/status, in bytes.
type MemStat struct {
	RSS  uint64 // VmRSS: resident now
	Peak uint64 // VmHWM: the highest resident size so far
	// Anon and File split RSS (RssAnon, RssFile): the process's private
	// memory, and the pages of mapped files (mostly its binary), which
	// are page cache shared by every process mapping them.
	Anon, File uint64
}

// ReadMem samples the memory of process pid.
func ReadMem(pid int) (MemStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return MemStat{}, fmt.Errorf("read memory of pid %d: %w", pid, err)
	}
	m, err := parseStatus(b)
	if err != nil {
		return MemStat{}, fmt.Errorf("read memory of pid %d: %w", pid, err)
	}
	return m, nil
}

// parseStatus reads VmRSS, VmHWM, RssAnon and RssFile ("VmRSS:    1234
// kB") from a /proc/PID/status file; the last two are optional (Linux
// 4.5 and later have them).
func parseStatus(b []byte) (MemStat, error) {
	var m MemStat
	var haveRSS, haveHWM bool
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM" && key != "RssAnon" && key != "RssFile") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return MemStat{}, fmt.Errorf("parse status %s: unexpected value %q", key, strings.TrimSpace(val))
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return MemStat{}, fmt.Errorf("parse status %s: %w", key, err)
		}
		switch key {
		case "VmRSS":
			m.RSS, haveRSS = kb<<10, true
		case "VmHWM":
			m.Peak, haveHWM = kb<<10, true
		case "RssAnon":
			m.Anon = kb << 10
		case "RssFile":
			m.File = kb << 10
		}
	}
	if !haveRSS || !haveHWM {
		return MemStat{}, errors.New("parse status: VmRSS or VmHWM missing")
	}
	return m, nil
}

var (
	tickOnce sync.Once
	tickDur  time.Duration
)

// ClockTick is the unit of /proc/PID/stat times: 1s / `getconf CLK_TCK`,
// or 10ms (USER_HZ=100, what Linux exports on every common architecture)
// when getconf is unavailable.
func ClockTick() time.Duration {
	tickOnce.Do(func() {
		tickDur = 10 * time.Millisecond
		out, err := exec.Command("getconf", "CLK_TCK").Output()
		if err != nil {
			return
		}
		hz, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err == nil && hz > 0 {
			tickDur = time.Second / time.Duration(hz)
		}
	})
	return tickDur
}
