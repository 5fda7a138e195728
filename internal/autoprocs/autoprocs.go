package autoprocs

import (
	"context"
	"log/slog"
	"runtime"
	"syscall"
	"time"
)

// Options configure a Controller. Zero values take the defaults.
type Options struct {
	// Max is the most Ps: runtime.GOMAXPROCS(0) when New runs (the
	// runtime's default, or the GOMAXPROCS environment variable).
	Max int
	// Interval is the sampling period: 100ms.
	Interval time.Duration
	// Up is the utilization of the current Ps at or above which a
	// sample counts as saturated: 0.9.
	Up float64
	// UpSamples saturated samples in a row add Ps: 2.
	UpSamples int
	// Down is the utilization of one P fewer at or below which a sample
	// counts as idle: 0.7.
	Down float64
	// DownAfter of idle samples in a row gives one P back: 2s.
	DownAfter time.Duration
	// SpareCores is how idle the machine must be, in cores, for a P to
	// be added: 0.5. A P without a core to run on only adds contention
	// with the application the sidecar shares the machine with, so a
	// machine with less than half of it idle for DownAfter also takes
	// one back.
	SpareCores float64
	// Logger logs each change at debug level; nil discards.
	Logger *slog.Logger

	// cpu, spare and set replace getrusage(2), /proc/stat and
	// runtime.GOMAXPROCS in tests.
	cpu   func() time.Duration
	spare func() float64
	set   func(int)
}

// Controller adjusts GOMAXPROCS between 1 and Options.Max.
type Controller struct {
	opt   Options
	procs int
	high  int // saturated samples in a row
	low   int // idle samples in a row
}

// New returns a Controller; Run starts it.
func New(opt Options) *Controller {
	if opt.Max <= 0 {
		opt.Max = runtime.GOMAXPROCS(0)
	}
	if opt.Interval <= 0 {
		opt.Interval = 100 * time.Millisecond
	}
	if opt.Up <= 0 {
		opt.Up = 0.9
	}
	if opt.UpSamples <= 0 {
		opt.UpSamples = 2
	}
	if opt.Down <= 0 {
		opt.Down = 0.7
	}
	if opt.DownAfter <= 0 {
		opt.DownAfter = 2 * time.Second
	}
	if opt.SpareCores <= 0 {
		opt.SpareCores = 0.5
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.cpu == nil {
		opt.cpu = processCPU
	}
	if opt.spare == nil {
		opt.spare = newSpare()
	}
	if opt.set == nil {
		opt.set = func(n int) { runtime.GOMAXPROCS(n) }
	}
	return &Controller{opt: opt, procs: opt.Max}
}

// Run sets one P and adjusts the count every Interval until ctx ends;
// then it restores Max, so whatever runs after it (shutdown, draining)
// has every core.
func (c *Controller) Run(ctx context.Context) {
	c.apply(1)
	defer c.apply(c.opt.Max)
	t := time.NewTicker(c.opt.Interval)
	defer t.Stop()
	last, lastCPU := time.Now(), c.opt.cpu()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cpu := c.opt.cpu()
			if wall := now.Sub(last); wall > 0 {
				c.apply(c.next(float64(cpu-lastCPU)/float64(wall), c.opt.spare()))
			}
			last, lastCPU = now, cpu
		}
	}
}

// next returns the P count after a sample in which the process used
// cores (CPU seconds per second) and the machine left spare cores idle.
// Saturated samples in a row with a spare core add Ps; samples in a row
// in which one P fewer would do, or the machine has no spare core, give
// one back.
func (c *Controller) next(cores, spare float64) int {
	p := c.procs
	saturated := cores >= c.opt.Up*float64(p)
	shrink := p > 1 && (cores <= c.opt.Down*float64(p-1) || spare < c.opt.SpareCores/2)
	switch {
	case saturated && spare >= c.opt.SpareCores:
		c.low = 0
		if c.high++; c.high >= c.opt.UpSamples && p < c.opt.Max {
			c.high = 0
			return min(c.opt.Max, p+max(1, p/2))
		}
	case shrink:
		c.high = 0
		if c.low++; time.Duration(c.low)*c.opt.Interval >= c.opt.DownAfter {
			c.low = 0
			return p - 1
		}
	default:
		c.high, c.low = 0, 0
	}
	return p
}

func (c *Controller) apply(n int) {
	if n == c.procs {
		return
	}
	c.opt.Logger.Debug("gomaxprocs", "from", c.procs, "to", n)
	c.procs = n
	c.opt.set(n)
}

// newSpare returns a sampler of the machine's idle cores since its
// previous call, from /proc/stat; where that is unreadable it reports
// every core idle, leaving the decision to the process's own use.
func newSpare() func() float64 {
	cpus := float64(runtime.NumCPU())
	idle, total, ok := machineTimes()
	return func() float64 {
		i, t, ok2 := machineTimes()
		if !ok || !ok2 || t <= total {
			ok = ok2
			idle, total = i, t
			return cpus
		}
		spare := cpus * float64(i-idle) / float64(t-total)
		idle, total = i, t
		return spare
	}
}

// processCPU is the CPU time, user and system, of every thread of the
// process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
