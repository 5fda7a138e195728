package httpproxy

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/telemetry"
)

// Deps are the filter's runtime dependencies.
type Deps struct {
	Clusters *cluster.Manager
	// Stats is the root stats scope; its store also holds the
	// sidewire_http_* and sidewire_grpc_* Prometheus families.
	Stats  *telemetry.Scope
	Logger *slog.Logger
	// Routes holds the discovered route tables a filter with a
	// RouteConfigName routes with; nil gives such a filter an empty
	// store of its own (every request 404 until something replaces it).
	Routes *RouteStore
}

// Filter is one configured HTTP connection manager with its router. It
// is safe for concurrent use by every connection of its filter chain;
// they share its upstream connection pools.
type Filter struct {
	cfg     *config.HTTPConnectionManager
	deps    Deps
	routes  *routeTable // inline route_config
	rds     *routeSlot  // discovered routes, when cfg.RouteConfigName is set
	stats   *stats
	metrics *metrics
	logs    []*telemetry.AccessLogger
	ups     *upstreams
	errLog  *log.Logger // net/http's own errors, at debug level
	maxHdr  int

	// ctx is cancelled by Close; mirrored requests run under it.
	ctx       context.Context
	cancel    context.CancelFunc
	mirrorMu  sync.Mutex // orders mirrorsWG.Add before Close's Wait
	closed    bool       // guarded by mirrorMu
	mirrorsWG sync.WaitGroup
	mirrorsN  atomic.Int64
	closeOnce sync.Once
}

var _ listener.ConnHandler = (*Filter)(nil)

// New builds an HTTP connection manager from its validated config: it
// compiles the inline route table and opens the access logs. Upstream
// connection pools are made on first use; Close releases everything.
func New(cfg *config.HTTPConnectionManager, deps Deps) (*Filter, error) {
	if deps.Clusters == nil {
		return nil, errors.New("new http connection manager: no cluster manager")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Stats == nil {
		deps.Stats = telemetry.NewStore().Root()
	}
	kb := cfg.MaxRequestHeadersKB
	if kb == 0 {
		kb = config.DefaultHTTPMaxRequestHeadersKB
	}
	f := &Filter{
		cfg:     cfg,
		deps:    deps,
		routes:  emptyTable,
		stats:   newStats(deps.Stats, cfg.StatPrefix),
		metrics: newMetrics(deps.Stats.Store()),
		errLog:  slog.NewLogLogger(deps.Logger.Handler(), slog.LevelDebug),
		maxHdr:  int(kb) << 10,
	}
	if cfg.RouteConfig != nil {
		t, err := compileTable(cfg.RouteConfig)
		if err != nil {
			return nil, fmt.Errorf("new http connection manager %q: %w", cfg.StatPrefix, err)
		}
		f.routes = t
	}
	if cfg.RouteConfigName != "" {
		if deps.Routes == nil {
			deps.Routes = NewRouteStore()
			f.deps.Routes = deps.Routes
		}
		f.rds = deps.Routes.Slot(cfg.RouteConfigName)
	}
	for _, al := range cfg.AccessLogs {
		l, err := telemetry.NewAccessLogger(al)
		if err != nil {
			f.closeLogs()
			return nil, fmt.Errorf("new http connection manager %q: %w", cfg.StatPrefix, err)
		}
		f.logs = append(f.logs, l)
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.ups = newUpstreams(deps.Clusters, int64(max(f.maxHdr, 64<<10)), sweepInterval)
	return f, nil
}

// Close cancels mirrored requests still in flight, waits for them,
// closes the upstream connection pools and the access logs. The server
// calls it once every connection served with this filter has ended.
func (f *Filter) Close() {
	f.closeOnce.Do(func() {
		f.mirrorMu.Lock()
		f.closed = true
		f.mirrorMu.Unlock()
		f.cancel()
		f.mirrorsWG.Wait()
		f.ups.close()
		f.closeLogs()
	})
}

func (f *Filter) closeLogs() {
	for _, l := range f.logs {
		l.Close()
	}
}
