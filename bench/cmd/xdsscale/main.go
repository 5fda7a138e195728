// Command xdsscale benchmarks Sidewire's xDS apply path at scale: a
// go-control-plane ADS server (snapshot cache, state of the world or
// delta over real gRPC) serves N EDS clusters with M endpoints each and
// L tcp_proxy listeners on 127.0.0.1 ephemeral ports, and Sidewire's own
// ADS client and server (wired as `sidewire run` wires them) apply it.
//
// Each repetition starts a fresh Sidewire, pushes the full snapshot and
// measures the time until the server has applied it (every listener
// bound, every cluster holding its endpoints), the RSS after that and
// after a GC, then three updates: new endpoints for -changed clusters
// (EDS), for one cluster (EDS), and a new connect_timeout for one
// cluster (CDS), each timed from push to applied. Every result is
// checked against the server's state; a mismatch fails the run.
//
// By default the control plane runs in a child process (this binary
// run again), so the RSS and CPU figures are Sidewire's alone; -cp inproc
// keeps it in this process. Wall times include the control plane's work
// (a state-of-the-world EDS push makes go-control-plane marshal every
// assignment) and suffer from other load on the machine; the CPU time
// rows do not. -eds-cache linear serves assignments from
// go-control-plane's LinearCache, which sends a state-of-the-world
// client only the assignments that changed, each marshalled once.
// -deferred-stats creates clusters' traffic stats at first use, as the
// bootstrap's deferred_stat_options does. -trace prints when each push,
// request and response happens; -cpuprofile (with -cpuprofile-step for
// one step) and -memprofile (with -memprofilerate) write pprof profiles.
//
//	go run ./bench/cmd/xdsscale -clusters 10000 -endpoints-per-cluster 10 -listeners 1000 -reps 5
//	go run ./bench/cmd/xdsscale -delta -reps 5
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
)

type options struct {
	scale
	delta bool
	// deferStats creates clusters' traffic stats at first use, as
	// deferred_stat_options.enable_deferred_creation_stats does.
	deferStats bool
	reps       int
	cp         string
	timeout    time.Duration
	// cpuProfile and heapProfile name pprof output files; the heap
	// profile is taken after the first full apply and GC.
	cpuProfile, heapProfile string
	// cpuStep, when set, limits the CPU profile to that step of the first
	// repetition (push to applied).
	cpuStep string
	// memProfileRate, when set, is runtime.MemProfileRate.
	memProfileRate int
	// trace prints when pushes, requests and responses happen.
	trace bool
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2) // the flag package printed why
	}
	if os.Getenv(cpEnv) != "" {
		os.Exit(childMain(o))
	}
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "xdsscale:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("xdsscale", flag.ContinueOnError)
	fs.IntVar(&o.Clusters, "clusters", 10000, "EDS clusters")
	fs.IntVar(&o.EndpointsPerCluster, "endpoints-per-cluster", 10, "endpoints in each cluster's load assignment")
	fs.IntVar(&o.Listeners, "listeners", 1000, "tcp_proxy listeners on 127.0.0.1 ephemeral ports, spread over the clusters")
	fs.IntVar(&o.Changed, "changed", 10, "clusters whose assignments the incremental EDS update changes")
	fs.BoolVar(&o.delta, "delta", false, "use delta xDS (DeltaAggregatedResources) instead of state of the world")
	fs.BoolVar(&o.deferStats, "deferred-stats", false, "create each cluster's traffic stats (upstream_cx_*, upstream_rq_*) at its first use, as a bootstrap with deferred_stat_options.enable_deferred_creation_stats does")
	fs.StringVar(&o.EDSCache, "eds-cache", edsSnapshot, "how the control plane serves assignments: snapshot (go-control-plane's snapshot cache: every assignment in every response, each marshalled again) or linear (a LinearCache: the changed ones, each marshalled once)")
	fs.IntVar(&o.reps, "reps", 5, "repetitions, each with a fresh Sidewire")
	fs.StringVar(&o.cp, "cp", "process", "where the control plane runs: process (a child process) or inproc")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "bound on each wait for an update to be applied")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the repetitions to this file")
	fs.StringVar(&o.cpuStep, "cpuprofile-step", "", "profile only this step of the first repetition: full, eds-n, eds-1 or cds-1")
	fs.StringVar(&o.heapProfile, "memprofile", "", "write a heap profile, taken after the first full apply and a GC, to this file")
	fs.IntVar(&o.memProfileRate, "memprofilerate", 0, "runtime.MemProfileRate for -memprofile (1 records every allocation and slows the run; 0 keeps the default)")
	fs.BoolVar(&o.trace, "trace", false, "print on stderr when each push, ADS request and response happens")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "xdsscale: unexpected arguments %q\n", fs.Args())
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}

// childMain runs the control plane child (see runChild) and returns its
// exit code.
func childMain(o options) int {
	if err := runChild(o.scale, o.trace, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "xdsscale control plane:", err)
		return 1
	}
	return 0
}

func run(o options, w io.Writer) error {
	if o.reps < 1 {
		return fmt.Errorf("-reps must be at least 1")
	}
	if o.memProfileRate > 0 {
		runtime.MemProfileRate = o.memProfileRate
	}
	if err := raiseFDLimit(uint64(o.Listeners) + 1024); err != nil {
		return err
	}
	var cp controlPlane
	var err error
	switch o.cp {
	case "process":
		cp, err = startChildCP(o.scale, o.trace)
	case "inproc":
		cp, err = startLocalCP(o.scale, o.trace)
	default:
		return fmt.Errorf("-cp must be process or inproc, not %q", o.cp)
	}
	if err != nil {
		return err
	}
	defer cp.Close()
	if o.cpuProfile != "" && o.cpuStep == "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var results []repResult
	for i := range o.reps {
		r, err := runRep(cp, o, i)
		if err != nil {
			return fmt.Errorf("repetition %d: %w", i+1, err)
		}
		results = append(results, r)
	}
	return writeTable(w, o, results)
}

// raiseFDLimit raises the soft RLIMIT_NOFILE to at least need (within
// the hard limit): every listener holds a socket.
func raiseFDLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("get fd limit: %w", err)
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max < need {
		return fmt.Errorf("raise fd limit: need %d open files, hard limit is %d (ulimit -Hn)", need, lim.Max)
	}
	lim.Cur = need
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise fd limit to %d: %w", need, err)
	}
	return nil
}

func writeTable(w io.Writer, o options, rs []repResult) error {
	mode := "state of the world"
	if o.delta {
		mode = "delta"
	}
	edsCache := o.EDSCache
	if edsCache == "" {
		edsCache = edsSnapshot
	}
	stats := ""
	if o.deferStats {
		stats = ", deferred cluster traffic stats"
	}
	fmt.Fprintf(w, "xdsscale: %d EDS clusters x %d endpoints, %d tcp_proxy listeners, %s ADS, control plane %s (%s EDS cache)%s, %d reps, GOMAXPROCS %d, %s\n\n",
		o.Clusters, o.EndpointsPerCluster, o.Listeners, mode, o.cp, edsCache, stats, len(rs), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintln(w, "| measure | median | min | max | target |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	ms := func(name, target string, f func(repResult) time.Duration) {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = float64(f(r)) / float64(time.Millisecond)
		}
		writeRow(w, name, "ms", target, v)
	}
	mb := func(name, target string, f func(repResult) uint64) {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = float64(f(r)) / (1 << 20)
		}
		writeRow(w, name, "MiB", target, v)
	}
	step := func(name, target, st string) {
		ms(name+": push to applied", target, func(r repResult) time.Duration { return r.wall[st] })
		ms(name+": CPU time of Sidewire (user+sys)", "", func(r repResult) time.Duration { return r.cpu[st] })
	}
	step("full apply (every listener bound, every cluster with its endpoints)", "< 1000 ms", stepFull)
	mb("VmRSS after full apply", "< 150 MiB", func(r repResult) uint64 { return r.rss })
	mb("VmHWM (peak RSS) during full apply", "", func(r repResult) uint64 { return r.hwm })
	mb("VmRSS after GC (debug.FreeOSMemory)", "< 150 MiB", func(r repResult) uint64 { return r.rssGC })
	mb("Go heap live after GC", "", func(r repResult) uint64 { return r.heapGC })
	n := min(o.Changed, o.Clusters)
	step(fmt.Sprintf("EDS update, %d assignments (%d endpoints) changed", n, n*o.EndpointsPerCluster), "< 50 ms", stepEDSN)
	step("EDS update, 1 assignment changed", "< 50 ms", stepEDS1)
	step("CDS update, 1 cluster changed", "", stepCDS1)
	return nil
}
