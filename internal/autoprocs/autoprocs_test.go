package autoprocs

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// steps feeds next one utilization sample per entry and returns the P
// count after each.
func steps(c *Controller, cores ...float64) []int {
	return stepsSpare(c, 1, cores...)
}

// stepsSpare is steps on a machine with spare idle cores.
func stepsSpare(c *Controller, spare float64, cores ...float64) []int {
	var out []int
	for _, u := range cores {
		c.apply(c.next(u, spare))
		out = append(out, c.procs)
	}
	return out
}

func newTest(max int) *Controller {
	c := New(Options{Max: max, Interval: 100 * time.Millisecond, DownAfter: 300 * time.Millisecond, set: func(int) {}, cpu: func() time.Duration { return 0 }, spare: func() float64 { return 1 }})
	c.apply(1)
	return c
}

func TestNextScalesUpOnlyWhenSaturated(t *testing.T) {
	tests := []struct {
		name  string
		max   int
		cores []float64
		want  []int
	}{
		{"below the threshold stays at one", 4, []float64{0.85, 0.89, 0.5, 0.89}, []int{1, 1, 1, 1}},
		{"one saturated sample is a spike", 4, []float64{0.95, 0.3, 0.95, 0.3}, []int{1, 1, 1, 1}},
		{"two saturated samples add a P", 4, []float64{0.95, 0.99}, []int{1, 2}},
		{"growth is by half, at least one", 8, []float64{1, 1, 1.9, 1.9, 2.9, 2.9, 4, 4}, []int{1, 2, 2, 3, 3, 4, 4, 6}},
		{"never above max", 2, []float64{1, 1, 2, 2, 2, 2}, []int{1, 2, 2, 2, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := steps(newTest(tt.max), tt.cores...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("procs after %v = %v, want %v", tt.cores, got, tt.want)
			}
		})
	}
}

func TestNextStaysWhenTheMachineIsBusy(t *testing.T) {
	c := newTest(4)
	if got := stepsSpare(c, 0.2, 1, 1, 1, 1); !slices.Equal(got, []int{1, 1, 1, 1}) {
		t.Errorf("procs with 0.2 cores idle = %v, want 1s: no core for another P", got)
	}
	// A busy sample between saturated ones restarts the count.
	got := []int{c.next(1, 1), c.next(1, 0), c.next(1, 1), c.next(1, 1)}
	if want := []int{1, 1, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("procs = %v, want %v", got, want)
	}
}

func TestNextGivesBackWhenTheMachineStaysBusy(t *testing.T) {
	c := newTest(4)
	stepsSpare(c, 1, 1, 1) // 2 Ps
	// Saturated but no spare core: after DownAfter (three samples) one P
	// goes back, and with 0.2 cores idle none is added again.
	if got, want := stepsSpare(c, 0.1, 2, 2, 2, 1, 1, 1), []int{2, 2, 1, 1, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("procs = %v, want %v", got, want)
	}
}

func TestParseCPULine(t *testing.T) {
	idle, total, ok := parseCPULine("cpu  100 5 50 1000 20 0 7 3 40 0\n")
	if !ok || idle != 1020 || total != 1185 {
		t.Errorf("parseCPULine = %d, %d, %v; want 1020, 1185, true", idle, total, ok)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5", "cpu 1 2 x 4 5", "cpu 1 2"} {
		if _, _, ok := parseCPULine(bad); ok {
			t.Errorf("parseCPULine(%q) ok, want not", bad)
		}
	}
	if _, total, ok := machineTimes(); !ok || total == 0 {
		t.Errorf("machineTimes on this Linux machine: total %d, ok %v", total, ok)
	}
}

func TestNextScalesDownAfterSustainedIdle(t *testing.T) {
	c := newTest(4)
	steps(c, 1, 1) // 2 Ps
	if c.procs != 2 {
		t.Fatalf("procs = %d, want 2", c.procs)
	}
	// One fewer P carries 0.7 cores at the threshold; three idle samples
	// (DownAfter 300ms at 100ms) give one back, and a busy sample in
	// between restarts the count.
	got := steps(c, 0.6, 0.6, 1.2, 0.6, 0.6, 0.7)
	if want := []int{2, 2, 2, 2, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("procs = %v, want %v", got, want)
	}
	if got := steps(c, 0, 0, 0, 0); !slices.Equal(got, []int{1, 1, 1, 1}) {
		t.Errorf("procs below one: %v", got)
	}
}

func TestRunSamplesProcessCPUAndRestoresMax(t *testing.T) {
	var mu sync.Mutex
	var cpu time.Duration
	var set []int
	c := New(Options{
		Max:      3,
		Interval: time.Millisecond,
		// Report 100 cores' worth of CPU per sample: saturated whatever
		// the tick's real length.
		spare: func() float64 { return 8 },
		cpu: func() time.Duration {
			mu.Lock()
			defer mu.Unlock()
			cpu += 100 * time.Millisecond
			return cpu
		},
		set: func(n int) {
			mu.Lock()
			defer mu.Unlock()
			set = append(set, n)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	deadline := time.After(10 * time.Second)
	for {
		mu.Lock()
		n := len(set)
		mu.Unlock()
		if n >= 3 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("GOMAXPROCS set %v within 10s, want 1, 2, 3", set)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int{1, 2, 3}; !slices.Equal(set, want) {
		t.Errorf("GOMAXPROCS set %v, want %v (Max restored needs no call at 3)", set, want)
	}
}

func TestRunRestoresMaxWhenStopped(t *testing.T) {
	var set []int
	c := New(Options{Max: 4, Interval: time.Hour, set: func(n int) { set = append(set, n) }, cpu: func() time.Duration { return 0 }, spare: func() float64 { return 0 }})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Run(ctx)
	if want := []int{1, 4}; !slices.Equal(set, want) {
		t.Errorf("GOMAXPROCS set %v, want %v", set, want)
	}
}

func TestProcessCPUAdvances(t *testing.T) {
	before := processCPU()
	end := time.Now().Add(20 * time.Millisecond)
	for x := 0; time.Now().Before(end); x++ {
		_ = x * x
	}
	if after := processCPU(); after <= before {
		t.Errorf("process CPU %v then %v after 20ms of work, want it to grow", before, after)
	}
}
