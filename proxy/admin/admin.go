package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/proxy/server"
	"github.com/sidewire/sidewire/telemetry"
)

// Options are the admin server's dependencies.
type Options struct {
	Server *server.Server
	// ConfigDump renders /config_dump for the request's query parameters;
	// nil answers 501. A *BadRequestError answers 400 with its message.
	ConfigDump func(query url.Values) ([]byte, error)
	// Quit is called by /quitquitquit (the process should drain and exit).
	Quit   func()
	Logger *slog.Logger
}

// Admin serves the admin endpoints.
type Admin struct {
	opts     Options
	hcFailed atomic.Bool
	srv      *http.Server
	ln       net.Listener
	done     chan struct{}
}

// New binds addr ("host:port").
func New(addr string, opts Options) (*Admin, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bind admin: %w", err)
	}
	a := &Admin{opts: opts, ln: ln, done: make(chan struct{})}
	a.srv = &http.Server{Handler: a.mux(), ReadHeaderTimeout: 10 * time.Second}
	return a, nil
}

// Addr is the bound address.
func (a *Admin) Addr() net.Addr { return a.ln.Addr() }

// Serve serves until Close.
func (a *Admin) Serve() {
	defer close(a.done)
	if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.opts.Logger.Error("admin server failed", "error", err)
	}
}

// Close stops the admin server.
func (a *Admin) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if err != nil {
		a.srv.Close()
	}
	return err
}

// HealthCheckFailed reports whether /healthcheck/fail is in force.
func (a *Admin) HealthCheckFailed() bool { return a.hcFailed.Load() }

func (a *Admin) mux() *http.ServeMux {
	m := http.NewServeMux()
	st := a.opts.Server.Stats()
	m.HandleFunc("GET /{$}", a.index)
	m.HandleFunc("GET /ready", a.ready)
	m.Handle("GET /stats", st.EnvoyTextHandler())
	m.Handle("GET /stats/prometheus", st.PrometheusHandler())
	m.HandleFunc("GET /config_dump", a.configDump)
	m.HandleFunc("GET /clusters", a.clusters)
	m.HandleFunc("GET /listeners", a.listeners)
	m.HandleFunc("POST /healthcheck/fail", a.healthcheck(true))
	m.HandleFunc("POST /healthcheck/ok", a.healthcheck(false))
	m.HandleFunc("POST /quitquitquit", a.quit)
	m.HandleFunc("POST /reopen_logs", a.reopenLogs)
	m.HandleFunc("GET /server_info", a.serverInfo)
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return m
}

var endpoints = []struct{ path, help string }{
	{"/ready", "200 LIVE when serving; 503 while initializing, draining or after /healthcheck/fail"},
	{"/stats", "stats in Envoy text format (?filter=REGEX, ?usedonly, ?format=json)"},
	{"/stats/prometheus", "stats in Prometheus exposition format"},
	{"/config_dump", "the running configuration as Envoy's ConfigDump JSON (?resource=FIELD, ?mask=PATHS, ?name_regex=REGEX, ?include_eds)"},
	{"/clusters", "upstream clusters, hosts, health and weights (?format=json)"},
	{"/listeners", "listeners and their bound addresses (?format=json)"},
	{"/healthcheck/fail", "POST: make /ready fail so load balancers drain this instance"},
	{"/healthcheck/ok", "POST: undo /healthcheck/fail"},
	{"/quitquitquit", "POST: drain and exit"},
	{"/reopen_logs", "POST: reopen access log files (after rotation; SIGUSR1 does the same)"},
	{"/server_info", "state, uptime, version"},
	{"/debug/pprof/", "Go profiling"},
}

func (a *Admin) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, e := range endpoints {
		fmt.Fprintf(w, "  %s: %s\n", e.path, e.help)
	}
}

func (a *Admin) ready(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	st := a.opts.Server.State()
	switch {
	case a.hcFailed.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "DRAINING")
	case st != server.StateLive:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, st)
	default:
		fmt.Fprintln(w, st)
	}
}

func (a *Admin) healthcheck(fail bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		a.hcFailed.Store(fail)
		fmt.Fprintln(w, "OK")
	}
}

func (a *Admin) quit(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprintln(w, "OK")
	if a.opts.Quit != nil {
		go a.opts.Quit()
	}
}

func (a *Admin) reopenLogs(w http.ResponseWriter, _ *http.Request) {
	if err := telemetry.ReopenAccessLogs(); err != nil {
		http.Error(w, "reopen access logs: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "OK")
}

// BadRequestError is a ConfigDump error the request caused (a bad query
// parameter): it answers 400 with Err's message.
type BadRequestError struct{ Err error }

func (e *BadRequestError) Error() string { return e.Err.Error() }

func (e *BadRequestError) Unwrap() error { return e.Err }

func (a *Admin) configDump(w http.ResponseWriter, r *http.Request) {
	if a.opts.ConfigDump == nil {
		http.Error(w, "config dump not available", http.StatusNotImplemented)
		return
	}
	b, err := a.opts.ConfigDump(r.URL.Query())
	var bad *BadRequestError
	switch {
	case errors.As(err, &bad):
		http.Error(w, bad.Error(), http.StatusBadRequest)
		return
	case err != nil:
		http.Error(w, "render config dump: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
