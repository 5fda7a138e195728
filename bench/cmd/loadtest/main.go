// Command loadtest runs Sidewire's loopback load harness: the same load
// direct, through Sidewire and through baseline proxies in one run, printed
// as a table of medians and ratios. See docs/performance.md.
//
//	go run ./bench/cmd/loadtest -sidewire bin/sidewire
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sidewire/sidewire/bench"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type config struct {
	opts      bench.Options
	scenarios []string
	targets   map[string]bool // nil: all
	markdown  bool
	timeout   time.Duration
	quiet     bool
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.StringVar(&c.opts.Sidewire, "sidewire", "", "sidewire binary; empty skips the Sidewire targets")
	fs.IntVar(&c.opts.Requests, "n", 100000, "base requests per run (pipelined cases run 10x, single-client cases 0.2x)")
	fs.IntVar(&c.opts.Reps, "reps", 3, "repetitions of every run; reports show medians")
	scen := fs.String("scenarios", "redis-tcp", "comma-separated scenarios, or \"all\" (known: "+strings.Join(bench.ScenarioNames(), ", ")+")")
	targ := fs.String("targets", "all", "comma-separated targets to include, or \"all\" (known: "+strings.Join(bench.TargetNames(), ", ")+")")
	fs.BoolVar(&c.markdown, "markdown", false, "print markdown tables (for docs/performance.md)")
	fs.BoolVar(&c.opts.Warmup, "warmup", true, "run one short unrecorded load per target first")
	fs.Float64Var(&c.opts.MaxForeign, "max-foreign", 0.10, "share of the machine's CPU other processes may use during a run before it is measured again")
	fs.IntVar(&c.opts.NoisyRetries, "noisy-retries", 2, "how many times a run above -max-foreign is measured again (the quietest attempt is kept)")
	fs.IntVar(&c.opts.HaproxyThreads, "haproxy-threads", 2, "haproxy nbthread")
	fs.IntVar(&c.opts.SidewireConcurrency, "sidewire-concurrency", 0, "sidewire run --concurrency (GOMAXPROCS); 0: Sidewire's default")
	fs.StringVar(&c.opts.Haproxy, "haproxy", "/usr/sbin/haproxy", "haproxy binary")
	fs.StringVar(&c.opts.Nutcracker, "nutcracker", "/usr/sbin/nutcracker", "twemproxy (nutcracker) binary")
	fs.StringVar(&c.opts.RedisServer, "redis-server", "/usr/bin/redis-server", "redis-server binary")
	fs.StringVar(&c.opts.RedisBenchmark, "redis-benchmark", "/usr/bin/redis-benchmark", "redis-benchmark binary")
	fs.DurationVar(&c.opts.ReadyTimeout, "ready-timeout", 10*time.Second, "deadline for a started process to serve")
	fs.DurationVar(&c.opts.RunTimeout, "run-timeout", 2*time.Minute, "deadline of one load run")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "deadline of the whole harness run")
	fs.BoolVar(&c.quiet, "q", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("parse flags: unexpected arguments %q", fs.Args())
	}
	if c.opts.Requests <= 0 || c.opts.Reps <= 0 || c.opts.HaproxyThreads <= 0 {
		return c, errors.New("parse flags: -n, -reps and -haproxy-threads must be positive")
	}
	if c.opts.MaxForeign <= 0 || c.opts.MaxForeign > 1 || c.opts.NoisyRetries < 0 {
		return c, errors.New("parse flags: -max-foreign must be in (0, 1] and -noisy-retries not negative")
	}
	var err error
	if c.scenarios, err = pick(*scen, bench.ScenarioNames(), bench.LookupScenario); err != nil {
		return c, err
	}
	if *targ != "all" {
		names, err := pick(*targ, bench.TargetNames(), bench.LookupTarget)
		if err != nil {
			return c, err
		}
		c.targets = map[string]bool{bench.Direct: true}
		for _, n := range names {
			c.targets[n] = true
		}
	}
	return c, nil
}

// pick splits a comma-separated list ("all" for every known name) and
// checks each name with lookup.
func pick[T any](list string, all []string, lookup func(string) (T, error)) ([]string, error) {
	if list == "all" {
		return all, nil
	}
	var names []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, err := lookup(n); err != nil {
			return nil, fmt.Errorf("parse flags: %w", err)
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, errors.New("parse flags: empty list")
	}
	return names, nil
}

func run(args []string) (err error) {
	c, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.quiet {
		c.opts.Log = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	env, err := bench.NewEnv(c.opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := env.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("stop processes: %w", cerr)
		}
	}()

	var include func(string) bool
	if c.targets != nil {
		include = func(n string) bool { return c.targets[n] }
	}
	meta := bench.CollectMeta("loadtest " + strings.Join(args, " "))
	var results []*bench.ScenarioResult
	var runErr error
	for _, name := range c.scenarios {
		sc, err := bench.LookupScenario(name)
		if err != nil {
			return err
		}
		res, err := bench.RunScenario(ctx, env, sc, include)
		results = append(results, res)
		if err != nil {
			runErr = err
			break
		}
	}
	format := bench.Text
	if c.markdown {
		format = bench.Markdown
	}
	if err := bench.WriteReport(os.Stdout, format, meta, results); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if runErr != nil {
		return runErr
	}
	for _, r := range results {
		if r.Failed() {
			return fmt.Errorf("scenario %s: a target failed (see report)", r.Name)
		}
	}
	return nil
}
