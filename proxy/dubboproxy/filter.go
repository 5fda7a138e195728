package dubboproxy

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/session"
	"github.com/sidewire/sidewire/telemetry"
)

// Deps are the filter's runtime dependencies.
type Deps struct {
	Clusters *cluster.Manager
	// Stats is the root stats scope; its store also holds the
	// sidewire_dubbo_* Prometheus families.
	Stats  *telemetry.Scope
	Logger *slog.Logger
	// Routes holds the discovered route tables a filter with a
	// RouteConfigName routes with; nil gives such a filter an empty
	// store of its own (no routes).
	Routes *RouteStore
}

// Filter is one configured dubbo_proxy. It is safe for concurrent use by
// every connection of its filter chain; they share its upstream pools.
type Filter struct {
	cfg     *config.DubboProxy
	router  config.DubboRouter // cfg.Router with defaults
	deps    Deps
	codec   *dubbo.Codec
	limits  codecs.Limits
	routes  *routeTable // static route configs
	rds     *routeSlot  // discovered routes, when cfg.RouteConfigName is set
	faults  []fault
	mirrors []mirror
	ups     *upstreams
	stats   *stats
	metrics *metrics

	// ctx is canceled by Close; it bounds mirrored requests' wait for a
	// connection.
	ctx    context.Context
	cancel context.CancelFunc
	sink   mirrorSink
}

var _ listener.ConnHandler = (*Filter)(nil)

// New builds a dubbo_proxy from its validated config. Upstream pools are
// created on first use; Close releases them.
func New(cfg *config.DubboProxy, deps Deps) *Filter {
	return newFilter(cfg, deps, sweepInterval)
}

func newFilter(cfg *config.DubboProxy, deps Deps, sweep time.Duration) *Filter {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Stats == nil {
		deps.Stats = telemetry.NewStore().Root()
	}
	f := &Filter{
		cfg:     cfg,
		router:  routerDefaults(cfg.Router),
		deps:    deps,
		codec:   dubbo.New(dubbo.Limits{}),
		limits:  codecs.Limits{}.WithDefaults(),
		routes:  newRouteTable(cfg.RouteConfigs),
		faults:  newFaults(cfg.Faults),
		mirrors: newMirrors(cfg.Mirrors),
		stats:   newStats(deps.Stats, cfg.StatPrefix),
		metrics: newMetrics(deps.Stats.Store(), routerDefaults(cfg.Router).MaxMetricPairs),
	}
	if cfg.RouteConfigName != "" {
		if deps.Routes == nil {
			deps.Routes = NewRouteStore()
		}
		f.rds = deps.Routes.Slot(cfg.RouteConfigName)
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.ups = newUpstreams(deps.Clusters, f.newPool, sweep)
	return f
}

// routerDefaults fills zero router settings (an IR built by hand).
func routerDefaults(r config.DubboRouter) config.DubboRouter {
	if r.DefaultTimeout <= 0 {
		r.DefaultTimeout = config.DefaultDubboTimeout
	}
	if r.MaxTimeout <= 0 {
		r.MaxTimeout = max(config.DefaultDubboMaxTimeout, r.DefaultTimeout)
	}
	if r.UpstreamConnections <= 0 {
		r.UpstreamConnections = config.DefaultDubboUpstreamConnections
	}
	if r.MaxMetricPairs <= 0 {
		r.MaxMetricPairs = config.DefaultDubboMaxMetricPairs
	}
	return r
}

// newPool returns the multiplexed pool to h of cl: a few connections
// shared by every client connection, ids rewritten per connection.
func (f *Filter) newPool(cl *cluster.Cluster, h *cluster.Host) *pool.Multiplex {
	r := &f.router
	return pool.NewMultiplex(&hostDialer{cl: cl, h: h}, f.codec, pool.Options{
		Conns:             r.UpstreamConnections,
		Timeout:           r.MaxTimeout,
		Limits:            f.limits,
		HeartbeatInterval: r.HeartbeatInterval,
		HeartbeatTimeout:  r.HeartbeatTimeout,
		BackoffMax:        time.Second,
	})
}

// Close releases the upstream pools, failing what is still in flight on
// them (mirrored requests among them). The server calls it once every
// connection served with this filter has ended.
func (f *Filter) Close() {
	f.cancel()
	f.ups.close()
}

// ServeConn implements listener.ConnHandler: it serves the connection as
// a Dubbo session until the client leaves, the connection fails, or the
// listener drains (then in-flight requests are answered first).
func (f *Filter) ServeConn(ctx context.Context, c *listener.Conn) {
	f.stats.cxTotal.Inc()
	f.stats.cxActive.Inc()
	defer f.stats.cxActive.Dec()
	cfg := session.Config{
		Codec:   eventCounting{Codec: f.codec, events: f.stats.requestEvent},
		Limits:  f.limits,
		Handler: &router{f: f},
		Inline:  true,
	}
	if c.Listener != nil && c.Listener.PerConnectionBufferLimit > 0 {
		cfg.BufferLimit = int(c.Listener.PerConnectionBufferLimit)
	}
	s := session.New(c.Stream(), cfg)
	err := s.ServeDraining(ctx, c.Draining(), f.stats.cxDrainClose.Inc)
	var pe *codecs.ProtocolError
	if errors.As(err, &pe) {
		f.stats.requestDecodingError.Inc()
		f.deps.Logger.Debug("dubbo protocol error", "connection", c.ID, "error", err)
	}
}

// eventCounting is the Dubbo codec with its server side counting the
// events (heartbeats) clients send, which the session answers itself.
type eventCounting struct {
	*dubbo.Codec
	events *telemetry.Counter
}

// NewServerCodec implements codecs.Codec.
func (c eventCounting) NewServerCodec(l codecs.Limits) codecs.ServerCodec {
	return &eventCounter{ServerCodec: c.Codec.NewServerCodec(l), events: c.events}
}

type eventCounter struct {
	codecs.ServerCodec
	events *telemetry.Counter
}

// AppendEventResponse counts the event and answers it.
func (e *eventCounter) AppendEventResponse(dst []byte, ev *codecs.Frame) []byte {
	e.events.Inc()
	return e.ServerCodec.AppendEventResponse(dst, ev)
}
