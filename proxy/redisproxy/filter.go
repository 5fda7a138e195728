package redisproxy

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/filter"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/proxy/session"
	"github.com/sidewire/sidewire/telemetry"
)

// Deps are the filter's runtime dependencies.
type Deps struct {
	Clusters *cluster.Manager
	// Stats is the root stats scope; its store also holds the
	// sidewire_redis_* Prometheus families.
	Stats  *telemetry.Scope
	Logger *slog.Logger
	// CommandPolicy is the chain's Sidewire command policy, enforced by
	// the filter; nil: every command is allowed.
	CommandPolicy *config.RedisCommandPolicy
}

// Filter is one configured redis_proxy. It is safe for concurrent use by
// every connection of its filter chain; they share its upstream pools.
type Filter struct {
	cfg     *config.RedisProxy
	deps    Deps
	codec   *redis.Codec
	limits  codecs.Limits
	cmds    *commandTable
	auth    downstreamAuth
	routes  *routeTable
	ups     *upstreams
	stats   *stats
	metrics *metrics
	faults  *faults
	// policy is the compiled command policy; nil: none.
	policy *policy
	// clusterStats are enable_command_stats' per-cluster command stats;
	// nil: disabled.
	clusterStats *clusterStats
	// connectRate applies settings.connection_rate_limit.
	connectRate connectLimits
	// middleware wraps the router on every connection; nil entries are
	// skipped.
	middleware []filter.Middleware
}

var _ listener.ConnHandler = (*Filter)(nil)

// New builds a redis_proxy from its validated config. Its upstream pools
// are created on first use; Close releases them.
func New(cfg *config.RedisProxy, deps Deps) *Filter {
	return newFilter(cfg, deps, sweepInterval)
}

func newFilter(cfg *config.RedisProxy, deps Deps, sweep time.Duration) *Filter {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Stats == nil {
		deps.Stats = telemetry.NewStore().Root()
	}
	f := &Filter{
		cfg:    cfg,
		deps:   deps,
		codec:  redis.New(redis.Limits{}),
		cmds:   newCommandTable(cfg.CustomCommands),
		auth:   downstreamAuth{passwords: cfg.DownstreamAuthPasswords, username: cfg.DownstreamAuthUsername},
		routes: newRouteTable(&cfg.Routes),
	}
	f.limits = codecs.Limits{}.WithDefaults()
	f.faults = newFaults(cfg.Faults)
	f.connectRate.rate = float64(cfg.Settings.ConnectionRateLimit)
	f.stats = newStats(deps.Stats, cfg.StatPrefix, len(f.cmds.infos), cfg.LatencyInMicros)
	f.metrics = newMetrics(deps.Stats.Store(), len(f.cmds.infos), len(f.routes.all))
	f.policy = newPolicy(deps.CommandPolicy, f.cmds, f.routes)
	if cfg.Settings.EnableCommandStats {
		f.clusterStats = newClusterStats(deps.Stats, f.stats.unit)
	}
	f.ups = newUpstreams(deps.Clusters, deps.Stats, f.newPool, sweep)
	return f
}

// Close releases the upstream pools. The server calls it once every
// connection served with this filter has ended.
func (f *Filter) Close() { f.ups.close() }

// ServeConn implements listener.ConnHandler: it serves the connection as
// a Redis session until the client leaves, the connection fails, or the
// listener drains (then in-flight commands are answered first).
func (f *Filter) ServeConn(ctx context.Context, c *listener.Conn) {
	f.stats.cxTotal.Inc()
	f.stats.cxActive.Inc()
	defer f.stats.cxActive.Dec()
	conn := newCountingConn(c.Stream(), f.stats.cxRxBytes, f.stats.cxTxBytes)
	st := newConnState(f, c.ID, f.limits)
	r := &router{f: f, st: st}
	conn.onReadErr = r.b.clientGone
	cfg := session.Config{
		Codec:   connCodec{Codec: f.codec, st: st},
		Limits:  f.limits,
		Handler: filter.Chain(r, f.middleware...),
		Inline:  true,
	}
	if c.Listener != nil && c.Listener.PerConnectionBufferLimit > 0 {
		cfg.BufferLimit = int(c.Listener.PerConnectionBufferLimit)
	}
	s := session.New(conn.session(), cfg)
	err := s.ServeDraining(ctx, c.Draining(), f.stats.cxDrainClose.Inc)
	var pe *codecs.ProtocolError
	if errors.As(err, &pe) {
		f.stats.cxProtocolError.Inc()
		f.deps.Logger.Debug("redis protocol error", "connection", c.ID, "error", err)
	}
}
