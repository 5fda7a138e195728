package procstat

import (
	"os"
	"testing"
	"time"
)

func TestStatTicks(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"1 (a b) c) S 1 1 1 0 -1 4194560 1 0 0 0 7 5 0 0 20 0 1 0 1 1 1", 12, false},
		{"1 (x) S 1 2 3", 0, true},
		{"no paren", 0, true},
		{"1 (x) S 1 1 1 0 -1 4194560 1 0 0 0 a 5 0", 0, true},
	} {
		got, err := statTicks([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("statTicks(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestUsed(t *testing.T) {
	before := CPU{Ticks: 10, Threads: map[int]uint64{1: 100, 2: 50}}
	if d, precise := Used(before, CPU{Ticks: 12, Threads: map[int]uint64{1: 150, 2: 60, 3: 5}}); d != 65 || !precise {
		t.Errorf("threads all alive: %v, %v; want 65ns precise", d, precise)
	}
	if d, precise := Used(before, CPU{Ticks: 13, Threads: map[int]uint64{1: 150}}); d != 3*ClockTick || precise {
		t.Errorf("thread exited: %v, %v; want 3 ticks, not precise", d, precise)
	}
}

func TestReadSelf(t *testing.T) {
	before, err := ReadCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(20 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := ReadCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := Used(before, after); d <= 0 {
		t.Errorf("CPU used by a 20ms busy loop: %v", d)
	}
	m, err := ReadMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS == 0 || m.Peak < m.RSS {
		t.Errorf("memory %+v: want RSS > 0 and peak >= RSS", m)
	}
}
