// Command dubboload compares Dubbo calls made directly to a dubbo-go
// provider with the same calls through proxies, on loopback: Sidewire's
// dubbo_proxy listener, and for scale the L4 floor of the same machine,
// Sidewire's tcp_proxy and haproxy in TCP mode. It runs a fixed rate
// (open loop, default 2000 calls/s) and the maximum rate N concurrent
// callers reach, and reports the throughput ratio, the latency each
// proxy adds (p50, p99), its CPU time per call (from
// /proc/PID/task/*/schedstat) and its memory (VmRSS, VmHWM) as markdown
// tables, with the medians of -reps runs in which the targets take turns.
//
//	go run ./dubbo/cmd/dubboload                 # builds sidewire from ../
//	go run ./dubbo/cmd/dubboload -sidewire ../bin/sidewire -d 10s -reps 5
//	go run ./dubbo/cmd/dubboload -targets sidewire # without the L4 proxies
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/dubbolog"
	"github.com/sidewire/sidewire/interop/internal/harness"
)

type flags struct {
	sidewire, provider string
	haproxy            string
	haproxyThreads     int
	targets            string
	upstreamConns      int
	rate               float64
	rateConc           int
	maxConc            int
	duration, warmup   time.Duration
	reps               int
	method, arg        string
}

func main() {
	var f flags
	flag.StringVar(&f.sidewire, "sidewire", "", "sidewire binary (default: $SIDEWIRE_BIN, or built from the main module above the working directory)")
	flag.StringVar(&f.provider, "provider", "", "provider binary (default: built from this module)")
	flag.StringVar(&f.haproxy, "haproxy", "/usr/sbin/haproxy", "haproxy binary, for the haproxy-tcp target")
	flag.IntVar(&f.haproxyThreads, "haproxy-threads", 1, "haproxy nbthread (1: one core, as Sidewire's default starts)")
	flag.StringVar(&f.targets, "targets", strings.Join(proxyTargets, ","), "proxies to measure besides direct, comma separated")
	flag.Float64Var(&f.rate, "rate", 2000, "calls per second of the fixed-rate phase")
	flag.IntVar(&f.rateConc, "rate-c", 64, "callers of the fixed-rate phase (enough to keep the rate)")
	flag.IntVar(&f.maxConc, "c", 16, "callers of the max-rate phase")
	flag.IntVar(&f.upstreamConns, "upstream-connections", 1, "Sidewire's connections to the provider (the router's upstream_connections)")
	flag.DurationVar(&f.duration, "d", 5*time.Second, "length of each measured phase")
	flag.DurationVar(&f.warmup, "warmup", time.Second, "unmeasured calls before each phase")
	flag.IntVar(&f.reps, "reps", 3, "interleaved repetitions; medians are reported")
	flag.StringVar(&f.method, "method", "Greet", "Greeter method to call")
	flag.StringVar(&f.arg, "arg", "sidewire", "its argument (see cmd/consumer)")
	flag.Parse()
	if err := run(f); err != nil {
		fmt.Fprintln(os.Stderr, "dubboload:", err)
		os.Exit(1)
	}
}

func run(f flags) error {
	if err := dubbolog.SetLevel("fatal"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "dubboload")
	if err != nil {
		return fmt.Errorf("make temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	sw, prov, err := binaries(f, dir)
	if err != nil {
		return err
	}
	p, err := harness.StartProvider(prov, harness.ProviderSpec{Label: "v1"})
	if err != nil {
		return err
	}
	defer p.Kill()
	ts, err := startTargets(f, dir, sw, p.Addr, f.targets)
	if err != nil {
		return err
	}
	defer stopTargets(ts)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	loadBefore := loadAvg()
	res, err := measure(ctx, f, ts, p.PID())
	if err != nil {
		return err
	}
	fmt.Print(table(f, res, busy(loadBefore)))
	fmt.Printf("\nMachine: %d CPUs; 1-minute load average %s before, %s after (consumer, provider and proxy share these CPUs; latency tails are meaningful on an otherwise idle machine only).\n",
		runtime.NumCPU(), loadBefore, loadAvg())
	return nil
}

// busy reports whether the load average before the run shows other work
// taking more than half the CPUs.
func busy(load string) bool {
	l, err := strconv.ParseFloat(load, 64)
	return err != nil || l > float64(runtime.NumCPU())/2
}

// loadAvg is the 1-minute load average from /proc/loadavg, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// binaries returns the sidewire and provider programs, building what the
// flags do not name.
func binaries(f flags, dir string) (sidewire, provider string, err error) {
	sidewire = f.sidewire
	if sidewire == "" {
		fmt.Fprintln(os.Stderr, "dubboload: building sidewire")
		if sidewire, err = harness.SidewireBinary(".", dir, false); err != nil {
			return "", "", err
		}
	}
	provider = f.provider
	if provider == "" {
		root, err := harness.FindModule(".", "github.com/sidewire/sidewire/interop")
		if err != nil {
			return "", "", err
		}
		provider = filepath.Join(dir, "provider")
		fmt.Fprintln(os.Stderr, "dubboload: building the provider")
		if err := harness.Build(root, "./dubbo/cmd/provider", provider); err != nil {
			return "", "", err
		}
	}
	return sidewire, provider, nil
}
