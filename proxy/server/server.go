package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/dubboproxy"
	"github.com/sidewire/sidewire/proxy/httpproxy"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/telemetry"
)

// Options configure a Server.
type Options struct {
	Stats  *telemetry.Store
	Logger *slog.Logger
	// DrainTime bounds how long a removed or replaced listener's connections
	// may live on (Envoy's --drain-time-s; default 10 minutes).
	DrainTime time.Duration
	// WarmTimeout bounds how long the first Apply waits for clusters to
	// warm (first DNS answer, first health check round). Default 15s.
	WarmTimeout time.Duration
	// DeferClusterTrafficStats creates a cluster's traffic stats at its
	// first connection (see cluster.Options.DeferTrafficStats); the
	// bootstrap's config.StatsOptions.DeferredCreation.
	DeferClusterTrafficStats bool
}

// Server runs config snapshots.
type Server struct {
	stats    *telemetry.Store
	log      *slog.Logger
	opts     Options
	clusters *cluster.Manager
	secrets  *listener.SecretStore
	st       *serverStats
	nextID   atomic.Uint64
	snap     atomic.Pointer[config.Snapshot]
	started  time.Time
	// dubboRoutes are the discovered Dubbo route tables (drds) that
	// dubbo_proxy filters read per request.
	dubboRoutes *dubboproxy.RouteStore
	// httpRoutes are the discovered HTTP route tables (RDS) that HTTP
	// connection managers read per request.
	httpRoutes *httpproxy.RouteStore

	mu        sync.Mutex // serialises Apply, Shutdown and Close
	listeners map[string]*running
	bg        sync.WaitGroup // drains and deferred closes
	closed    bool
	state     atomic.Int32
	stopTick  chan struct{}
	ctx       context.Context // cancelled by Close: cuts drains short
	cancel    context.CancelFunc
}

// running is a live listener and the built chains of its current config.
type running struct {
	ln    *listener.Listener
	cfg   *listener.Config
	built []*built
}

// New creates an idle server; Apply gives it a config.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Stats == nil {
		opts.Stats = telemetry.NewStore()
	}
	if opts.DrainTime <= 0 {
		opts.DrainTime = 10 * time.Minute
	}
	if opts.WarmTimeout <= 0 {
		opts.WarmTimeout = 15 * time.Second
	}
	s := &Server{
		stats: opts.Stats, log: opts.Logger, opts: opts,
		st:        newServerStats(opts.Stats.Root()),
		listeners: make(map[string]*running),
		secrets:   listener.NewSecretStore(),
		started:   time.Now(),
		stopTick:  make(chan struct{}),
	}
	s.clusters = cluster.NewManager(cluster.Options{
		Stats: opts.Stats.Root(), Logger: opts.Logger, Secrets: s.secrets,
		DeferTrafficStats: opts.DeferClusterTrafficStats,
	})
	s.dubboRoutes = dubboproxy.NewRouteStore()
	s.httpRoutes = httpproxy.NewRouteStore()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.state.Store(int32(StateInitializing))
	s.st.state.Set(int64(StateInitializing))
	s.bg.Add(1)
	go s.tick()
	return s
}

// Clusters is the cluster manager.
func (s *Server) Clusters() *cluster.Manager { return s.clusters }

// Stats is the stats store.
func (s *Server) Stats() *telemetry.Store { return s.stats }

// Snapshot is the config in force, nil before the first Apply.
func (s *Server) Snapshot() *config.Snapshot { return s.snap.Load() }

// Apply validates snap, builds it and swaps it in. On error nothing
// changed. The first Apply waits (bounded) for clusters to warm before
// listeners accept.
func (s *Server) Apply(ctx context.Context, snap *config.Snapshot) error {
	if err := snap.Validate(); err != nil {
		return fmt.Errorf("validate config: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("apply config: server is closed")
	}
	commitSecrets, err := s.secrets.Prepare(snap.Secrets)
	if err != nil {
		return fmt.Errorf("apply config: %w", err)
	}
	plan, err := s.prepare(snap)
	if err != nil {
		s.st.lmCreateFailure.Inc()
		return err
	}
	if err := s.clusters.Update(snap.Clusters); err != nil {
		plan.abort()
		return fmt.Errorf("update clusters: %w", err)
	}
	// Secrets rotate in place: new handshakes of kept listeners use them.
	commitSecrets()
	// Discovered Dubbo routes too: the next request of a kept listener
	// routes with them.
	s.dubboRoutes.Replace(snap.DubboRoutes)
	s.httpRoutes.Replace(snap.HTTPRoutes)
	first := s.snap.Load() == nil
	if first {
		wctx, cancel := context.WithTimeout(ctx, s.opts.WarmTimeout)
		if err := s.clusters.WaitWarm(wctx); err != nil {
			s.log.Warn("clusters not warm in time; serving anyway", "error", err)
		}
		cancel()
	}
	s.commit(plan)
	s.snap.Store(snap)
	if first && s.State() == StateInitializing {
		s.setState(StateLive)
	}
	return nil
}

// Listeners returns the live listeners by name.
func (s *Server) Listeners() map[string]*listener.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*listener.Listener, len(s.listeners))
	for n, r := range s.listeners {
		out[n] = r.ln
	}
	return out
}

// sameAddress reports whether an update can keep the listener's socket.
func sameAddress(a, b *config.Listener) bool {
	return a.Address == b.Address
}

// unchanged reports whether a listener config is identical: the same
// (immutable) value, as xDS passes an unchanged listener, or an equal one.
func unchanged(a, b *config.Listener) bool { return a == b || reflect.DeepEqual(a, b) }
