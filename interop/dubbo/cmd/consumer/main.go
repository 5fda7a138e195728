// Command consumer calls org.sidewire.interop.Greeter with a dubbo-go
// consumer at one address (a provider or a proxy), directly by URL, and
// prints a JSON report: successes, errors by kind, calls per provider
// label and latency percentiles in microseconds.
//
//	consumer -addr 127.0.0.1:20880 -method Greet -arg ann -n 1000 -c 8
//	consumer -addr 127.0.0.1:20880 -version v2 -attach canary=1 -rate 2000 -d 10s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sidewire/sidewire/interop/dubbo/consumer"
	"github.com/sidewire/sidewire/interop/dubbo/dubbolog"
)

// attachFlag collects repeated -attach key=value flags.
type attachFlag map[string]string

func (a attachFlag) String() string { return fmt.Sprint(map[string]string(a)) }

func (a attachFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("parse attachment %q: want key=value", s)
	}
	a[k] = v
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
}

func run() error {
	attach := attachFlag{}
	var (
		addr     = flag.String("addr", "127.0.0.1:20880", "provider or proxy address")
		version  = flag.String("version", "", "Dubbo service version the requests carry")
		group    = flag.String("group", "", "Dubbo service group the requests carry")
		timeout  = flag.Duration("timeout", consumer.DefaultTimeout, "per-call timeout (also sent as the timeout attachment)")
		method   = flag.String("method", "Greet", "Greet, Add, Sleep, Fail or Attachment")
		arg      = flag.String("arg", "sidewire", "the argument: name (Greet), ms (Sleep), key (Attachment), a,b (Add)")
		calls    = flag.Int("n", 1000, "number of calls; 0 runs for -d")
		duration = flag.Duration("d", 0, "run this long when -n is 0")
		conc     = flag.Int("c", 1, "concurrent callers")
		rate     = flag.Float64("rate", 0, "calls per second, open loop; 0 is as fast as possible")
		logLevel = flag.String("log-level", "error", "dubbo-go log level")
	)
	flag.Var(attach, "attach", "attachment key=value (repeatable)")
	flag.Parse()
	if err := dubbolog.SetLevel(*logLevel); err != nil {
		return err
	}
	c, err := consumer.Dial(consumer.Options{Address: *addr, Version: *version, Group: *group, Timeout: *timeout})
	if err != nil {
		return err
	}
	call, err := consumer.MethodCall(c, *method, *arg, attach)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := consumer.Run(ctx, consumer.Spec{Calls: *calls, Duration: *duration, Concurrency: *conc, Rate: *rate}, call)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
