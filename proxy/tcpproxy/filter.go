package tcpproxy

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/telemetry"
)

// Deps are the filter's runtime dependencies.
type Deps struct {
	Clusters *cluster.Manager
	// Stats is the root stats scope.
	Stats  *telemetry.Scope
	Logger *slog.Logger
}

// Filter is one configured tcp_proxy. It is safe for concurrent use by
// every connection of its filter chain.
type Filter struct {
	cfg     *config.TCPProxy
	deps    Deps
	stats   *stats
	logs    []*telemetry.AccessLogger
	weights uint64
}

var _ listener.ConnHandler = (*Filter)(nil)

// New builds a tcp_proxy from its config, opening its access logs.
func New(cfg *config.TCPProxy, deps Deps) (*Filter, error) {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	f := &Filter{cfg: cfg, deps: deps, stats: newStats(deps.Stats, cfg.StatPrefix)}
	for _, w := range cfg.WeightedClusters {
		f.weights += uint64(w.Weight)
	}
	for _, al := range cfg.AccessLogs {
		l, err := telemetry.NewAccessLogger(al)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.logs = append(f.logs, l)
	}
	return f, nil
}

// Close releases the filter's access logs.
func (f *Filter) Close() {
	for _, l := range f.logs {
		l.Close()
	}
}

// ServeConn implements listener.ConnHandler.
func (f *Filter) ServeConn(ctx context.Context, c *listener.Conn) {
	f.stats.cxTotal.Inc()
	e := &telemetry.AccessLogEntry{
		StartTime:               c.Start,
		ConnectionID:            c.ID,
		DownstreamRemoteAddress: c.TCP.RemoteAddr().String(),
		DownstreamLocalAddress:  c.TCP.LocalAddr().String(),
		RequestedServerName:     c.ServerName,
	}
	defer c.Stream().Close()
	defer f.log(e)

	name := f.pickCluster()
	e.UpstreamCluster = name
	cl := f.deps.Clusters.Get(name)
	if cl == nil {
		f.stats.noRoute.Inc()
		e.ResponseFlags = "NR"
		return
	}
	up, flags := f.connect(ctx, cl, c)
	if up == nil {
		e.ResponseFlags = flags
		return
	}
	defer up.Close()
	e.UpstreamHost = up.Host.Address().String()
	e.UpstreamLocalAddress = up.Conn.LocalAddr().String()
	e.BytesReceived, e.BytesSent, e.ConnectionTerminationDetails = f.pipe(c, up)
}

// pickCluster returns the configured cluster or a weighted random pick.
func (f *Filter) pickCluster() string {
	if f.cfg.Cluster != "" || f.weights == 0 {
		return f.cfg.Cluster
	}
	r := rand.Uint64N(f.weights)
	for _, w := range f.cfg.WeightedClusters {
		if r < uint64(w.Weight) {
			return w.Name
		}
		r -= uint64(w.Weight)
	}
	return f.cfg.WeightedClusters[len(f.cfg.WeightedClusters)-1].Name
}

// connect makes up to MaxConnectAttempts connection attempts. On failure
// it returns Envoy's response flag.
func (f *Filter) connect(ctx context.Context, cl *cluster.Cluster, c *listener.Conn) (*cluster.Upstream, string) {
	lbctx := cluster.LBContext{}
	if f.cfg.HashSourceIP {
		lbctx = cluster.LBContext{Hash: hashIP(c.TCP.RemoteAddr()), HasHash: true}
	}
	attempts := max(f.cfg.MaxConnectAttempts, 1)
	for i := uint32(0); i < attempts; i++ {
		up, err := cl.Connect(ctx, lbctx)
		switch {
		case err == nil:
			return up, ""
		case errors.Is(err, cluster.ErrNoHealthyUpstream):
			return nil, "UH"
		case errors.Is(err, cluster.ErrOverflow):
			return nil, "UO"
		case ctx.Err() != nil:
			return nil, "UF"
		}
		f.deps.Logger.Debug("upstream connect failed", "cluster", cl.Name(), "attempt", i+1, "error", err)
	}
	if attempts > 1 {
		f.stats.connectAttemptsExceeded(cl.Name()).Inc()
	}
	return nil, "UF"
}

func hashIP(a net.Addr) uint64 {
	h := fnv.New64a()
	if ta, ok := a.(*net.TCPAddr); ok {
		h.Write(ta.IP)
	}
	return h.Sum64()
}

func (f *Filter) log(e *telemetry.AccessLogEntry) {
	if len(f.logs) == 0 {
		return
	}
	e.Duration = time.Since(e.StartTime)
	if e.ResponseFlags == "" {
		e.ResponseFlags = "-"
	}
	for _, l := range f.logs {
		l.Log(e)
	}
}
