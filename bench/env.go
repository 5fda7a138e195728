package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configure a harness run. Zero values take the defaults noted.
type Options struct {
	// Requests is the base request count of one load run (default 100000).
	// Cases scale it so that every run lasts about as long (see Case).
	Requests int
	// Reps is how many times every run is repeated; reports show medians
	// (default 3).
	Reps int
	// Warmup runs one short unrecorded load per target before measuring.
	Warmup bool
	// MaxForeign is the share of the machine's CPU other processes may use
	// during a run (default 0.10); a run above it is repeated up to
	// NoisyRetries times and the quietest attempt kept.
	MaxForeign   float64
	NoisyRetries int

	// Binaries. Sidewire empty means the Sidewire targets are skipped.
	Sidewire       string
	Haproxy        string // default /usr/sbin/haproxy
	Nutcracker     string // default /usr/sbin/nutcracker
	RedisServer    string // default /usr/bin/redis-server
	RedisBenchmark string // default /usr/bin/redis-benchmark

	// HaproxyThreads is haproxy's nbthread (default 2, the cores of the
	// reference machine; Sidewire uses GOMAXPROCS, which defaults to the
	// core count).
	HaproxyThreads int
	// SidewireConcurrency is passed as `sidewire run --concurrency`
	// (GOMAXPROCS); 0 leaves Sidewire's default, every core.
	SidewireConcurrency int

	// ReadyTimeout bounds the wait for a started process to serve
	// (default 10s); RunTimeout bounds one load run (default 2m).
	ReadyTimeout time.Duration
	RunTimeout   time.Duration

	// Log receives progress lines; nil discards them.
	Log io.Writer
}

func (o *Options) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.Haproxy, "/usr/sbin/haproxy")
	def(&o.Nutcracker, "/usr/sbin/nutcracker")
	def(&o.RedisServer, "/usr/bin/redis-server")
	def(&o.RedisBenchmark, "/usr/bin/redis-benchmark")
	if o.Requests <= 0 {
		o.Requests = 100000
	}
	if o.Reps <= 0 {
		o.Reps = 3
	}
	if o.MaxForeign <= 0 {
		o.MaxForeign = 0.10
	}
	if o.NoisyRetries < 0 {
		o.NoisyRetries = 0
	}
	if o.HaproxyThreads <= 0 {
		o.HaproxyThreads = 2
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	if o.RunTimeout <= 0 {
		o.RunTimeout = 2 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Env is one harness run's shared state: options, a private temporary
// directory for generated configs, and every process started, which Close
// stops.
type Env struct {
	Opts Options
	// Dir is a temporary directory removed by Close.
	Dir string

	mu     sync.Mutex
	procs  []*Process
	closed bool
}

// NewEnv applies defaults to opts and creates the run's directory.
func NewEnv(opts Options) (*Env, error) {
	opts.setDefaults()
	for _, bin := range []*string{&opts.Sidewire, &opts.Haproxy, &opts.Nutcracker, &opts.RedisServer, &opts.RedisBenchmark} {
		*bin = resolveBinary(*bin)
	}
	dir, err := os.MkdirTemp("", "sidewire-bench-")
	if err != nil {
		return nil, fmt.Errorf("create bench dir: %w", err)
	}
	return &Env{Opts: opts, Dir: dir}, nil
}

// Logf writes one progress line.
func (e *Env) Logf(format string, args ...any) {
	fmt.Fprintf(e.Opts.Log, format+"\n", args...)
}

// Start starts argv (whose binary must exist) as a registered process that
// Close will stop. name labels it in messages.
func (e *Env) Start(name string, argv []string) (*Process, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("start %s: empty command", name)
	}
	if err := needBinary(argv[0]); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, fmt.Errorf("start %s: %w", name, errEnvClosed)
	}
	p, err := startProcess(name, argv, e.Dir)
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, p)
	return p, nil
}

var errEnvClosed = errors.New("bench env closed")

// pids lists the processes started and not yet stopped by Close.
func (e *Env) pids() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	pids := make([]int, 0, len(e.procs))
	for _, p := range e.procs {
		pids = append(pids, p.PID())
	}
	return pids
}

// WriteFile writes a generated file into the run's directory and returns
// its path.
func (e *Env) WriteFile(name, content string) (string, error) {
	path := filepath.Join(e.Dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return path, nil
}

// Close stops every process in reverse start order (proxies before the
// upstreams they use) and removes the directory.
func (e *Env) Close() error {
	e.mu.Lock()
	e.closed = true
	procs := e.procs
	e.procs = nil
	e.mu.Unlock()
	var errs []error
	for i := len(procs) - 1; i >= 0; i-- {
		errs = append(errs, procs[i].Stop())
	}
	if err := os.RemoveAll(e.Dir); err != nil {
		errs = append(errs, fmt.Errorf("remove bench dir: %w", err))
	}
	return errors.Join(errs...)
}

// installHints says how to get each baseline binary on Debian.
var installHints = map[string]string{
	"redis-server":    "apt-get install -y redis-server",
	"redis-benchmark": "apt-get install -y redis-tools",
	"haproxy":         "apt-get install -y haproxy",
	"nutcracker":      "apt-get install -y nutcracker",
	"sidewire":        "make build, then pass -sidewire bin/sidewire",
}

// resolveBinary makes a binary path independent of the working directory
// (children run in Env.Dir): a bare name is looked up in PATH, a relative
// path made absolute. Failures leave it as given for needBinary to report.
func resolveBinary(bin string) string {
	if bin == "" {
		return ""
	}
	if !strings.ContainsRune(bin, filepath.Separator) {
		if p, err := exec.LookPath(bin); err == nil {
			return p
		}
		return bin
	}
	if abs, err := filepath.Abs(bin); err == nil {
		return abs
	}
	return bin
}

// needBinary reports a missing or non-executable binary with the command
// that installs it.
func needBinary(path string) error {
	st, err := os.Stat(path)
	if err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return nil
	}
	msg := fmt.Sprintf("binary %s not found or not executable", path)
	if hint, ok := installHints[filepath.Base(path)]; ok {
		msg += " (install: " + hint + ")"
	}
	return errors.New(msg)
}

// freeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment
// ago. Another process may take it before the caller binds it; a target
// whose bind fails reports so when it does not become ready.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("reserve loopback port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("release loopback port: %w", err)
	}
	return addr, nil
}

// splitPort returns the port of a host:port address.
func splitPort(addr string) (string, error) {
	_, port, err := splitHostPort(addr)
	return port, err
}
