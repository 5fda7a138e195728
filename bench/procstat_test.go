package bench

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseStatTicks(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    uint64
		wantErr bool
	}{
		{name: "plain", in: "42 (haproxy) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 2 0 100 1000 50", want: 325},
		{name: "name with spaces and parens", in: "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1", want: 7},
		{name: "no name", in: "42 S 1 2 3", wantErr: true},
		{name: "truncated", in: "42 (x) S 1 2 3 4 5", wantErr: true},
		{name: "bad utime", in: "42 (x) S 1 42 42 0 -1 0 0 0 0 0 zz 75 0 0", wantErr: true},
		{name: "bad stime", in: "42 (x) S 1 42 42 0 -1 0 0 0 0 0 1 -5 0 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatTicks([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStatTicks(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseStatTicks(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseSchedstat(t *testing.T) {
	if got, err := parseSchedstat([]byte("767382 0 1\n")); err != nil || got != 767382 {
		t.Errorf("parseSchedstat = %d, %v; want 767382, nil", got, err)
	}
	for _, bad := range []string{"", "\n", "x 0 1", "-3 0 1"} {
		if _, err := parseSchedstat([]byte(bad)); err == nil {
			t.Errorf("parseSchedstat(%q) succeeded, want error", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	const good = "Name:\tredis\nVmPeak:\t  9999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nRssAnon:\t     768 kB\nRssFile:\t     256 kB\nThreads:\t4\n"
	m, err := parseStatus([]byte(good))
	if err != nil {
		t.Fatalf("parseStatus: %v", err)
	}
	if want := (MemStat{RSS: 1024 << 10, Peak: 2048 << 10, Anon: 768 << 10, File: 256 << 10}); m != want {
		t.Errorf("parseStatus = %+v, want %+v", m, want)
	}
	for name, bad := range map[string]string{
		"no HWM":   "VmRSS:\t1024 kB\n",
		"no RSS":   "VmHWM:\t1024 kB\n",
		"bad unit": "VmRSS:\t1024 MB\nVmHWM:\t1024 kB\n",
		"bad num":  "VmRSS:\tlots kB\nVmHWM:\t1024 kB\n",
	} {
		if _, err := parseStatus([]byte(bad)); err == nil {
			t.Errorf("parseStatus(%s) succeeded, want error", name)
		}
	}
}

func TestCPUUsed(t *testing.T) {
	const tick = 10 * time.Millisecond
	tests := []struct {
		name          string
		before, after CPUStat
		want          time.Duration
		wantPrecise   bool
	}{
		{
			name:   "same threads",
			before: CPUStat{Ticks: 10, Tasks: map[int]uint64{1: 1000, 2: 5000}},
			after:  CPUStat{Ticks: 11, Tasks: map[int]uint64{1: 4000, 2: 6000}},
			want:   4000, wantPrecise: true,
		},
		{
			name:   "new thread counts from zero",
			before: CPUStat{Ticks: 10, Tasks: map[int]uint64{1: 1000}},
			after:  CPUStat{Ticks: 11, Tasks: map[int]uint64{1: 1500, 3: 700}},
			want:   1200, wantPrecise: true,
		},
		{
			name:   "exited thread falls back to ticks",
			before: CPUStat{Ticks: 10, Tasks: map[int]uint64{1: 1000, 2: 5000}},
			after:  CPUStat{Ticks: 13, Tasks: map[int]uint64{1: 4000}},
			want:   3 * tick,
		},
		{
			name:   "no schedstat",
			before: CPUStat{Ticks: 10},
			after:  CPUStat{Ticks: 12},
			want:   2 * tick,
		},
		{
			name:   "counter went backwards",
			before: CPUStat{Ticks: 10, Tasks: map[int]uint64{1: 9000}},
			after:  CPUStat{Ticks: 10, Tasks: map[int]uint64{1: 10}},
			want:   0,
		},
		{
			name:   "ticks went backwards",
			before: CPUStat{Ticks: 10},
			after:  CPUStat{Ticks: 9},
			want:   0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, precise := CPUUsed(tt.before, tt.after, tick)
			if got != tt.want || precise != tt.wantPrecise {
				t.Errorf("CPUUsed = %v, %v; want %v, %v", got, precise, tt.want, tt.wantPrecise)
			}
		})
	}
}

// TestReadCPUSelf burns CPU in this process until its schedstat total has
// grown by 100ms and checks that the tick-based total agrees.
func TestReadCPUSelf(t *testing.T) {
	requireLinuxProc(t)
	before, err := ReadCPU(os.Getpid())
	if err != nil {
		t.Fatalf("ReadCPU: %v", err)
	}
	if before.Tasks == nil {
		t.Fatalf("ReadCPU: no per-thread schedstat in /proc (kernel without CONFIG_SCHED_INFO?)")
	}
	const burn = 100 * time.Millisecond
	deadline := time.Now().Add(10 * time.Second)
	var after CPUStat
	for x := uint64(1); ; x++ {
		for i := 0; i < 1e5; i++ {
			x ^= x<<13 ^ x>>7
		}
		if after, err = ReadCPU(os.Getpid()); err != nil {
			t.Fatalf("ReadCPU: %v", err)
		}
		total := time.Duration(0)
		for _, ns := range after.Tasks {
			total += time.Duration(ns)
		}
		var was time.Duration
		for _, ns := range before.Tasks {
			was += time.Duration(ns)
		}
		if total-was >= burn {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time did not grow by %v in 10s (x=%d)", burn, x)
		}
	}
	used, precise := CPUUsed(before, after, ClockTick())
	ticks := time.Duration(after.Ticks-before.Ticks) * ClockTick()
	if precise {
		if used < burn {
			t.Errorf("CPUUsed = %v, want at least %v", used, burn)
		}
	}
	// Tick totals are rounded to the tick and sampled at tick boundaries.
	if diff := (used - ticks).Abs(); diff > 3*ClockTick()+used/5 {
		t.Errorf("CPUUsed = %v (precise %v) but ticks say %v", used, precise, ticks)
	}
}

func TestReadMemSelf(t *testing.T) {
	requireLinuxProc(t)
	m, err := ReadMem(os.Getpid())
	if err != nil {
		t.Fatalf("ReadMem: %v", err)
	}
	if m.RSS == 0 || m.Peak < m.RSS {
		t.Errorf("ReadMem = %+v, want RSS > 0 and Peak >= RSS", m)
	}
	if _, err := ReadMem(-1); err == nil || !strings.Contains(err.Error(), "pid -1") {
		t.Errorf("ReadMem(-1) error = %v, want one naming pid -1", err)
	}
}

func TestClockTick(t *testing.T) {
	if tick := ClockTick(); tick <= 0 || tick > time.Second {
		t.Errorf("ClockTick = %v, want in (0, 1s]", tick)
	}
}

// requireLinuxProc fails on systems without Linux's /proc: the harness
// measures nothing there.
func requireLinuxProc(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Fatalf("the load harness needs Linux /proc; GOOS is %s", runtime.GOOS)
	}
}
