// Command dubboload compares Dubbo calls made directly to a dubbo-go
// provider with the same calls through Sidewire's dubbo_proxy listener,
// on loopback: at a fixed rate (open loop, default 2000 calls/s) and at
// the maximum rate N concurrent callers reach. It reports the throughput
// ratio, the latency Sidewire adds (p50, p99), Sidewire's CPU time per
// call (from /proc/PID/task/*/schedstat) and its memory (VmRSS, VmHWM)
// as a markdown table, with the medians of -reps interleaved runs.
//
//	go run ./dubbo/cmd/dubboload                 # builds sidewire from ../
//	go run ./dubbo/cmd/dubboload -sidewire ../bin/sidewire -d 10s -reps 5
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
	s, err := harness.StartSidewire(sw, dir, loadBootstrap(p.Addr, f.upstreamConns))
	if err != nil {
		return err
	}
	defer s.Stop(10 * time.Second)
	via, err := s.Listener("dubbo_load")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	loadBefore := loadAvg()
	res, err := measure(ctx, f, p.Addr, via, s.PID(), p.PID())
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

// loadBootstrap is one dubbo_proxy listener routing every Greeter call to
// the provider at addr.
func loadBootstrap(addr string, conns int) string {
	host, port, _ := harness.HostPort(addr)
	return fmt.Sprintf(`admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  listeners:
  - name: dubbo_load
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.dubbo_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
          stat_prefix: dubbo_load
          route_config:
          - interface: org.sidewire.interop.Greeter
            routes:
            - match: {method: {name: {safe_regex: {regex: ".*"}}}}
              route: {cluster: greeter}
          dubbo_filters:
          - name: envoy.filters.dubbo.router
            config:
              "@type": type.googleapis.com/xds.type.v3.TypedStruct
              type_url: sidewire.io/sidewire.filters.dubbo.v1.Router
              value: {upstream_connections: %d}
  clusters:
  - name: greeter
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: greeter
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: %s, port_value: %d}}}
`, conns, host, port)
}
