package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sidewire/sidewire/proxy/version"
	xdsserver "github.com/sidewire/sidewire/xds/server"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/credentials"
)

type controlPlaneFlags struct {
	dir          string
	listen       string
	admin        string
	nodes        []string
	checks       string
	pollInterval time.Duration
	tlsCert      string
	tlsKey       string
	check        bool
	logLevel     string
	logFormat    string
}

func controlPlaneCmd() *cobra.Command {
	var f controlPlaneFlags
	cmd := &cobra.Command{
		Use:   "control-plane",
		Short: "Serve a directory of Envoy resources over ADS (state of the world and delta), reloading it on change",
		Long: `control-plane serves the Envoy v3 resources in --dir (listeners, clusters,
cluster load assignments, route configurations, secrets) to xDS clients over
the Aggregated Discovery Service, state of the world and delta. Each file is
in Envoy's DiscoveryResponse file format ("resources:" list, as
path_config_source reads it) or holds one resource with "@type". Files in
nodes/<node-id>/ add or replace resources for that node only.

The directory is reloaded when it changes. Every resource is checked strictly,
with Envoy's validation rules and (with --checks sidewire, the default) with
Sidewire's own translators; a directory with a problem is reported and the
last good configuration stays served.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return controlPlane(cmd.Context(), f, cmd)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "", "directory of resource files (required)")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:18000", "gRPC address to serve ADS on")
	fl.StringVar(&f.admin, "admin", "", "optional HTTP address for GET /ready and /status")
	fl.StringSliceVar(&f.nodes, "node", nil, "serve only these node ids (repeatable); default: every node")
	fl.StringVar(&f.checks, "checks", "sidewire", "sidewire: refuse what Sidewire would reject; envoy: Envoy's validation rules only")
	fl.DurationVar(&f.pollInterval, "poll-interval", 250*time.Millisecond, "how often the directory is scanned for changes")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate file: serve gRPC over TLS (with --tls-key)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file for --tls-cert")
	fl.BoolVar(&f.check, "check", false, "load and validate the directory, print a summary and exit")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "json", "json or text")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

func controlPlane(ctx context.Context, f controlPlaneFlags, cmd *cobra.Command) error {
	log, err := newLogger(f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	opts := xdsserver.Options{Dir: f.dir, Nodes: f.nodes, PollInterval: f.pollInterval, Logger: log}
	switch f.checks {
	case "sidewire":
		opts.Checks = xdsserver.CheckSidewire
	case "envoy":
		opts.Checks = xdsserver.CheckEnvoy
	default:
		return fmt.Errorf("parse --checks: want sidewire or envoy, got %q", f.checks)
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("parse --tls-cert: --tls-cert and --tls-key go together")
	}
	if f.tlsCert != "" {
		if opts.TLS, err = credentials.NewServerTLSFromFile(f.tlsCert, f.tlsKey); err != nil {
			return fmt.Errorf("load tls certificate: %w", err)
		}
	}
	if f.check {
		cfg, err := xdsserver.Load(f.dir, opts.Checks)
		if err != nil {
			return &configError{source: f.dir, err: err}
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: valid %v, node overrides %v\n", f.dir, cfg.Counts(""), cfg.Nodes())
		return nil
	}
	srv, err := xdsserver.New(opts)
	if err != nil {
		return &configError{source: f.dir, err: err}
	}
	lis, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen on --listen: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("control plane listening", "address", lis.Addr().String(), "tls", opts.TLS != nil,
		"dir", f.dir, "version", version.String())
	fmt.Fprintf(os.Stdout, "sidewire control-plane: serving ADS on %s\n", lis.Addr())
	if f.admin != "" {
		closeAdmin, err := serveCPAdmin(f.admin, srv, log)
		if err != nil {
			lis.Close()
			return err
		}
		defer closeAdmin()
	}
	err = srv.Serve(ctx, lis)
	log.Info("control plane stopped")
	return err
}

// serveCPAdmin serves the control plane's /ready and /status on addr.
func serveCPAdmin(addr string, srv *xdsserver.Server, log *slog.Logger) (func(), error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --admin: %w", err)
	}
	hs := &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("control plane admin stopped", "error", err)
		}
	}()
	log.Info("admin listening", "address", lis.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		<-done
	}, nil
}
