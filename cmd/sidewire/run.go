package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/sidewire/sidewire/internal/autoprocs"
	"github.com/sidewire/sidewire/internal/memtrim"
	"github.com/sidewire/sidewire/proxy/admin"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/server"
	"github.com/sidewire/sidewire/proxy/version"
	"github.com/sidewire/sidewire/telemetry"
	"github.com/sidewire/sidewire/xds"
	"github.com/spf13/cobra"
)

type runFlags struct {
	config            string
	drainTime         time.Duration
	listenerDrainTime time.Duration
	logLevel          string
	logFormat         string
	concurrency       int
}

func runCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the proxy from a bootstrap file, or from the embedded default without -c",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "Envoy v3 bootstrap file (YAML or JSON); empty runs the embedded default")
	cmd.Flags().DurationVar(&f.drainTime, "drain-time", 20*time.Second, "on SIGTERM, how long open connections may finish before they are closed")
	cmd.Flags().DurationVar(&f.listenerDrainTime, "listener-drain-time", 10*time.Minute, "how long a removed or changed listener's connections may live on")
	cmd.Flags().StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().StringVar(&f.logFormat, "log-format", "json", "json or text")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 0, "how many cores run the proxy at once (GOMAXPROCS), like Envoy's --concurrency; 0 scales from one core up to every core the process may use as the load needs")
	return cmd
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("parse --log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("parse --log-format: unknown format %q", format)
}

// loaded is a bootstrap read from a file or the embedded default.
type loaded struct {
	snap *config.Snapshot
	dyn  *xds.DynamicResources // nil without dynamic_resources
	raw  []byte
}

// load reads the bootstrap named by path, or the embedded default.
func load(path string) (*loaded, error) {
	data := xds.DefaultBootstrapYAML()
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
	}
	snap, dyn, err := xds.LoadBootstrapDynamic(data)
	if err != nil {
		return nil, &configError{source: describe(path), err: err}
	}
	return &loaded{snap: snap, dyn: dyn, raw: data}, nil
}

func describe(path string) string {
	if path == "" {
		return "(embedded default)"
	}
	return path
}

func run(ctx context.Context, f runFlags) error {
	log, err := newLogger(f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	// Signals are caught from here on: a SIGTERM that arrives while the
	// config loads waits in sigs and drains the server once it is up,
	// instead of killing the process half-started.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	releaseStartupPages(log) // the package initialisers'
	stopProcs, err := setConcurrency(f.concurrency, log)
	if err != nil {
		return err
	}
	defer stopProcs()
	b, err := load(f.config)
	if err != nil {
		return err
	}
	snap, raw := b.snap, b.raw
	store := telemetry.NewStore()
	srv := server.New(server.Options{
		Stats: store, Logger: log, DrainTime: f.listenerDrainTime,
		DeferClusterTrafficStats: snap.Stats.DeferredCreation,
	})
	quit := make(chan struct{}, 1)
	dump := newDumper(raw)
	var adm *admin.Admin
	if snap.Admin != nil {
		adm, err = admin.New(snap.Admin.Address.String(), admin.Options{
			Server: srv, ConfigDump: dump.render, Logger: log,
			Quit: func() { quit <- struct{}{} },
		})
		if err != nil {
			srv.Close()
			return err
		}
		go adm.Serve()
		defer adm.Close()
		log.Info("admin listening", "address", adm.Addr().String())
	}
	if err := srv.Apply(ctx, snap); err != nil {
		srv.Close()
		return err
	}
	var dyn *dynamicConfig
	if b.dyn != nil {
		if dyn, err = startADS(srv, b, store, log, dump.setADS); err != nil {
			srv.Close()
			return err
		}
	}
	releaseStartupPages(log) // config parsing's
	log.Info("sidewire started", "version", version.String(), "config", describe(f.config),
		"listeners", len(snap.Listeners), "clusters", len(snap.Clusters))
	return serve(srv, f, log, dump, quit, sigs, dyn)
}

// serve handles signals until the process should exit.
// dyn, when not nil, is stopped before draining, so no update lands on a
// draining server.
func serve(srv *server.Server, f runFlags, log *slog.Logger, dump *dumper, quit <-chan struct{}, sigs <-chan os.Signal, dyn *dynamicConfig) error {
	for {
		select {
		case <-quit:
			dyn.Stop()
			shutdown(srv, f.drainTime, sigs, log)
			return nil
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				reload(srv, f.config, log, dump, dyn)
			case syscall.SIGUSR1:
				if err := telemetry.ReopenAccessLogs(); err != nil {
					log.Error("reopen access logs", "error", err)
				}
			default:
				dyn.Stop()
				shutdown(srv, f.drainTime, sigs, log)
				return nil
			}
		}
	}
}

// shutdown drains for up to d; a second SIGTERM or SIGINT cuts it short.
func shutdown(srv *server.Server, d time.Duration, sigs <-chan os.Signal, log *slog.Logger) {
	log.Info("draining", "drain_time", d.String())
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGTERM || sig == syscall.SIGINT {
				log.Warn("second signal: closing now")
				cancel()
				return
			}
		}
	}()
	srv.Shutdown(ctx)
	log.Info("stopped")
}

// reload re-reads the bootstrap; a bad file leaves the running config.
// With ADS, the new static resources are merged with the last update.
func reload(srv *server.Server, path string, log *slog.Logger, dump *dumper, dyn *dynamicConfig) {
	if path == "" {
		log.Warn("SIGHUP ignored: running the embedded default, nothing to reload")
		return
	}
	b, err := load(path)
	switch {
	case err != nil:
	case dyn != nil:
		err = dyn.reload(b)
	case b.dyn != nil:
		err = errors.New("reload: dynamic_resources added; restart sidewire to start them")
	default:
		err = srv.Apply(context.Background(), b.snap)
	}
	if err != nil {
		log.Error("reload failed; keeping the running config", "error", err)
		return
	}
	dump.set(b.raw)
	log.Info("reloaded", "config", path, "listeners", len(b.snap.Listeners), "clusters", len(b.snap.Clusters))
}

// setConcurrency applies --concurrency: N pins GOMAXPROCS, 0 starts an
// autoprocs.Controller (one core, more while they are saturated) unless
// the GOMAXPROCS environment variable pins it. The returned func stops
// the controller.
func setConcurrency(n int, log *slog.Logger) (func(), error) {
	switch {
	case n < 0:
		return nil, fmt.Errorf("parse --concurrency: %d is negative", n)
	case n > 0:
		runtime.GOMAXPROCS(n)
		return func() {}, nil
	case os.Getenv("GOMAXPROCS") != "":
		return func() {}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c := autoprocs.New(autoprocs.Options{Logger: log})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	return func() { cancel(); <-done }, nil
}

// releaseStartupPages gives back the resident pages of code and read-only
// data that only startup used (package initialisers, config parsing);
// serving faults back in what it needs. See internal/memtrim.
func releaseStartupPages(log *slog.Logger) {
	n, err := memtrim.ReleaseCode()
	if err != nil {
		log.Warn("release startup pages", "error", err)
		return
	}
	log.Debug("released startup pages", "bytes", n)
}
