package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
	"golang.org/x/sys/unix"
)

// Options are a listener's dependencies.
type Options struct {
	// Stats is the root stats scope.
	Stats  *telemetry.Scope
	Logger *slog.Logger
	// NextConnID hands out process-wide connection ids.
	NextConnID func() uint64
}

// Listener accepts connections on one socket and serves each with the
// filter chain it matches. Its Config can be swapped with Update; live
// connections keep the chain they were accepted with.
type Listener struct {
	ln     *net.TCPListener
	cfg    atomic.Pointer[Config]
	cfgMu  sync.Mutex
	opts   Options
	stats  *stats
	tls    *inspectorStats
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	conns    map[*Conn]struct{}
	draining chan struct{}
	drained  bool
	idle     chan struct{} // closed when draining and no conns are left
	loopDone chan struct{}
	stopOnce sync.Once
}

// New binds the listener's address. Call Serve to start accepting.
func New(cfg *Config, opts Options) (*Listener, error) {
	a := cfg.Listener.Address
	lc := net.ListenConfig{Control: v6only}
	ln, err := lc.Listen(context.Background(), network(a.Host), a.String())
	if err != nil {
		return nil, fmt.Errorf("bind listener %q: %w", cfg.Listener.Name, err)
	}
	return newFromSocket(ln.(*net.TCPListener), cfg, opts), nil
}

func newFromSocket(ln *net.TCPListener, cfg *Config, opts Options) *Listener {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{
		ln: ln, opts: opts, ctx: ctx, cancel: cancel,
		stats:    newStats(opts.Stats, statName(cfg.Listener, ln.Addr().(*net.TCPAddr))),
		tls:      newInspectorStats(opts.Stats),
		conns:    make(map[*Conn]struct{}),
		draining: make(chan struct{}),
		idle:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	l.cfg.Store(cfg)
	return l
}

// statName is the listener's stat segment; with port 0 it names the port
// actually bound, so two such listeners do not share stats.
func statName(l *config.Listener, bound *net.TCPAddr) string {
	if l.StatPrefix != "" {
		return l.StatPrefix
	}
	a := l.Address
	a.Port = uint32(bound.Port)
	return a.StatName()
}

// v6only makes IPv6 sockets IPv6-only, as Envoy's listeners are unless
// ipv4_compat is set: a listener on [::] does not take IPv4 connections
// that another listener on 0.0.0.0 of the same port should get.
func v6only(network, _ string, c syscall.RawConn) error {
	if network != "tcp6" {
		return nil
	}
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

func network(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "tcp6"
	}
	return "tcp4"
}

// Addr is the bound address (useful with port 0).
func (l *Listener) Addr() *net.TCPAddr { return l.ln.Addr().(*net.TCPAddr) }

// Config is the config new connections are served with.
func (l *Listener) Config() *Config { return l.cfg.Load() }

// Update swaps the config for new connections and returns the previous
// one; its Wait returns once the connections it served have ended. The
// address must not change.
func (l *Listener) Update(cfg *Config) *Config {
	l.cfgMu.Lock()
	defer l.cfgMu.Unlock()
	return l.cfg.Swap(cfg)
}

// acquire returns the current config with the connection counted against
// it, so an Update cannot slip between the load and the count.
func (l *Listener) acquire() *Config {
	l.cfgMu.Lock()
	defer l.cfgMu.Unlock()
	cfg := l.cfg.Load()
	cfg.conns.Add(1)
	return cfg
}

// Serve accepts connections until StopAccepting or Close. It returns
// when the accept loop has ended.
func (l *Listener) Serve() {
	defer close(l.loopDone)
	var backoff time.Duration
	for {
		c, err := l.ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off like net/http.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			l.opts.Logger.Warn("accept failed", "listener", l.Config().Listener.Name, "error", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-l.ctx.Done():
				return
			}
		}
		backoff = 0
		l.stats.cxTotal.Inc()
		go l.handle(c, l.acquire())
	}
}

// StopAccepting closes the socket; live connections continue.
func (l *Listener) StopAccepting() {
	l.stopOnce.Do(func() { l.ln.Close() })
	<-l.loopDone
}

// Drain stops accepting, tells live connections to drain, and waits until
// they have all ended or ctx is done, whichever is first.
func (l *Listener) Drain(ctx context.Context) {
	l.StopAccepting()
	l.mu.Lock()
	if !l.drained {
		l.drained = true
		close(l.draining)
		if len(l.conns) == 0 {
			close(l.idle)
		}
	}
	l.mu.Unlock()
	select {
	case <-l.idle:
	case <-ctx.Done():
	}
}

// Close stops accepting and closes every live connection.
func (l *Listener) Close() {
	l.StopAccepting()
	l.cancel()
	l.mu.Lock()
	for c := range l.conns {
		c.TCP.Close()
	}
	l.mu.Unlock()
}

// ActiveConns is the number of live connections.
func (l *Listener) ActiveConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *Listener) track(c *Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *Listener) untrack(c *Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	if l.drained && len(l.conns) == 0 {
		select {
		case <-l.idle:
		default:
			close(l.idle)
		}
	}
}
