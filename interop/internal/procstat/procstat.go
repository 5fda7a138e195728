// Package procstat samples a process's CPU time and memory from /proc
// (Linux): CPU per thread from /proc/PID/task/TID/schedstat in
// nanoseconds, falling back to the clock ticks of /proc/PID/stat when a
// thread exits between two samples, and VmRSS/VmHWM from
// /proc/PID/status. It mirrors the main module's bench package, which
// this module does not import (that would pull the main module's
// dependency versions into dubbo-go's build).
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ClockTick is USER_HZ, the unit of /proc/PID/stat times, on every
// common Linux architecture.
const ClockTick = 10 * time.Millisecond

// CPU is one sample of a process's CPU time.
type CPU struct {
	// Ticks is utime+stime of the whole process in ClockTick units.
	Ticks uint64
	// Threads maps thread id to nanoseconds on CPU; nil if unreadable.
	Threads map[int]uint64
}

// ReadCPU samples process pid.
func ReadCPU(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, fmt.Errorf("read cpu of %d: %w", pid, err)
	}
	ticks, err := statTicks(b)
	if err != nil {
		return CPU{}, fmt.Errorf("read cpu of %d: %w", pid, err)
	}
	return CPU{Ticks: ticks, Threads: threads(pid)}, nil
}

func threads(pid int) map[int]uint64 {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := make(map[int]uint64, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "schedstat"))
		if errors.Is(err, os.ErrNotExist) {
			continue // exited meanwhile
		}
		if err != nil {
			return nil
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return nil
		}
		ns, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil
		}
		out[tid] = ns
	}
	return out
}

// Used returns the CPU time between two samples, and whether it is the
// precise per-thread sum (false: clock ticks, because a thread of before
// is gone and its time since would be lost).
func Used(before, after CPU) (time.Duration, bool) {
	if before.Threads != nil && after.Threads != nil {
		var sum uint64
		ok := true
		for tid, b := range before.Threads {
			a, alive := after.Threads[tid]
			if !alive || a < b {
				ok = false
				break
			}
			sum += a - b
		}
		if ok {
			for tid, a := range after.Threads {
				if _, old := before.Threads[tid]; !old {
					sum += a
				}
			}
			return time.Duration(sum), true
		}
	}
	if after.Ticks < before.Ticks {
		return 0, false
	}
	return time.Duration(after.Ticks-before.Ticks) * ClockTick, false
}

// statTicks reads utime and stime (fields 14 and 15) of /proc/PID/stat,
// counting from the last ')' since the command name may hold anything.
func statTicks(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("parse stat: no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("parse stat: %d fields after the command name, want 13 or more", len(f))
	}
	var sum uint64
	for _, s := range f[11:13] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse stat: %w", err)
		}
		sum += n
	}
	return sum, nil
}

// Mem is a process's resident memory in bytes.
type Mem struct {
	RSS  uint64 // VmRSS
	Peak uint64 // VmHWM
}

// ReadMem samples process pid.
func ReadMem(pid int) (Mem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Mem{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	var m Mem
	var seen int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return Mem{}, fmt.Errorf("read memory of %d: %s is %q", pid, k, strings.TrimSpace(v))
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return Mem{}, fmt.Errorf("read memory of %d: %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
		seen++
	}
	if seen != 2 {
		return Mem{}, fmt.Errorf("read memory of %d: VmRSS or VmHWM missing", pid)
	}
	return m, nil
}
