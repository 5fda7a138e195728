package cluster

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/lb"
)

// Cluster is one running upstream cluster. Its config never changes: a new
// config makes a new *Cluster (EDS endpoint updates excepted, which only
// replace the load assignment). All methods are safe for concurrent use.
type Cluster struct {
	name    string
	m       *Manager
	log     *slog.Logger
	cfg     atomic.Pointer[config.Cluster]
	stats   *clusterStats
	breaker *Breaker
	lbOpts  lb.Options
	timeout time.Duration // connect timeout
	od      *outlierDetector
	// provider discovers the hosts of cluster types that find their own
	// (envoy.clusters.redis); nil for the others.
	provider Provider
	// tls originates TLS to the hosts; nil for plaintext clusters. tlsErr
	// is why a TLS context could not be built (connects then fail: a
	// TLS cluster never falls back to plaintext).
	tls    *clientTLS
	tlsErr error

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu serializes membership changes and state rebuilds.
	mu      sync.Mutex
	hosts   []*Host
	byKey   map[string]*Host
	carry   map[string]*carried // previous version's health by address, until the first membership
	stopped bool
	done    atomic.Bool // stopped, readable without mu
	state   atomic.Pointer[lbState]
	// kick asks the outlier detection goroutine to rebuild the state; the
	// request path sends on it without blocking.
	kick chan struct{}

	warm warmTracker
}

const defaultConnectTimeout = 5 * time.Second

// newCluster builds a cluster from a validated config. prev, when not
// nil, is the version being replaced; hosts at the same addresses keep
// its health state. Nothing runs until start.
func newCluster(m *Manager, cfg *config.Cluster, prev *Cluster) *Cluster {
	c := &Cluster{
		name:    cfg.Name,
		m:       m,
		log:     m.log.With("cluster", cfg.Name),
		stats:   newClusterStats(m.root, cfg),
		lbOpts:  lb.OptionsFor(cfg),
		timeout: cfg.ConnectTimeout,
		kick:    make(chan struct{}, 1),
		byKey:   map[string]*Host{},
	}
	if c.timeout <= 0 {
		c.timeout = defaultConnectTimeout
	}
	cb := cfg.CircuitBreakers
	if cb == (config.CircuitBreakers{}) {
		cb = config.DefaultCircuitBreakers()
	}
	c.breaker = newBreaker(cb, c.stats)
	if cfg.OutlierDetection != nil {
		c.od = newOutlierDetector(c, *cfg.OutlierDetection)
	}
	if cfg.TLS != nil {
		scope := m.root.Sub("cluster").Tagged("envoy_cluster_name", cfg.Name)
		if c.tls, c.tlsErr = newClientTLS(cfg.TLS, m.secrets, scope); c.tlsErr != nil {
			c.log.Error("upstream tls unusable: connects will fail", "error", c.tlsErr)
		}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.state.Store(emptyState)
	c.warm.init()
	if prev != nil {
		c.carry = prev.carryState()
		if cfg.Type == config.EDS && cfg.LoadAssignment == nil && prev.Config().Type == config.EDS {
			if la := prev.Config().LoadAssignment; la != nil {
				cp := *cfg
				cp.LoadAssignment = la
				cfg = &cp
			}
		}
	}
	c.cfg.Store(cfg)
	if f := providerFactory(cfg.Type); f != nil {
		c.provider = f(c)
	}
	return c
}

// start begins endpoint discovery, health checking and outlier detection.
func (c *Cluster) start() {
	cfg := c.Config()
	switch cfg.Type {
	case config.Static:
		c.applyAssignment(cfg.LoadAssignment)
	case config.StrictDNS:
		c.goRun(c.runStrictDNS)
	case config.LogicalDNS:
		c.goRun(c.runLogicalDNS)
	case config.EDS:
		if cfg.LoadAssignment != nil {
			c.applyAssignment(cfg.LoadAssignment)
		}
	default:
		if c.provider != nil {
			c.goRun(c.provider.Run)
		}
	}
	if c.od != nil {
		c.goRun(c.od.run)
	}
}

func (c *Cluster) goRun(f func(ctx context.Context)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f(c.ctx)
	}()
}

// stop ends every goroutine of the cluster and waits for them. Live
// Upstreams keep working; closing them still updates the stats.
func (c *Cluster) stop() {
	c.mu.Lock()
	c.stopped = true
	c.done.Store(true)
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.warm.abandon()
}

// Name is the cluster's name.
func (c *Cluster) Name() string { return c.name }

// Config is the cluster's config. For EDS clusters its LoadAssignment is
// the last one applied. It must not be modified.
func (c *Cluster) Config() *config.Cluster { return c.cfg.Load() }

// Breaker is the cluster's circuit breaker.
func (c *Cluster) Breaker() *Breaker { return c.breaker }

// Hosts returns every host of the cluster, healthy or not, in config
// order (DNS hosts in resolution order).
func (c *Cluster) Hosts() []*Host { return slices.Clone(c.state.Load().all) }

// Pick chooses a host for a request: a priority level by the priority
// loads, then a host of that level with the cluster's lb policy. It
// returns an error wrapping ErrNoHealthyUpstream when there is none.
func (c *Cluster) Pick(lbctx LBContext) (*Host, error) {
	if h := c.state.Load().pick(lbctx, c.stats); h != nil {
		return h, nil
	}
	return nil, errNoHealthy
}

var errNoHealthy = &noHealthyError{}

// noHealthyError is ErrNoHealthyUpstream without an allocation per call.
type noHealthyError struct{}

func (*noHealthyError) Error() string        { return "pick host: " + ErrNoHealthyUpstream.Error() }
func (*noHealthyError) Unwrap() error        { return ErrNoHealthyUpstream }
func (*noHealthyError) Is(target error) bool { return target == ErrNoHealthyUpstream }

// kickRebuild asks for a state rebuild soon, off the caller's path.
func (c *Cluster) kickRebuild() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// rebuild publishes a new load balancing state from the current hosts.
func (c *Cluster) rebuild() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rebuildLocked()
}

func (c *Cluster) rebuildLocked() {
	if c.stopped {
		return
	}
	cfg := c.Config()
	st, err := buildState(c.hosts, cfg, c.lbOpts)
	if err != nil {
		// Options were validated when the cluster was built.
		c.log.Error("rebuild load balancer", "error", err)
		return
	}
	c.state.Store(st)
	var healthy, degraded, hcOK int64
	var maxW uint32
	for _, h := range c.hosts {
		f := h.flags.Load()
		switch healthClass(f) {
		case classHealthy:
			healthy++
		case classDegraded:
			degraded++
		}
		if f&hcFailMask == 0 {
			hcOK++
		}
		maxW = max(maxW, h.Weight())
	}
	c.stats.membershipTotal.Set(int64(len(c.hosts)))
	c.stats.membershipHealthy.Set(healthy)
	c.stats.membershipDegraded.Set(degraded)
	c.stats.membershipExcluded.Set(0)
	c.stats.maxHostWeight.Set(int64(maxW))
	if c.stats.hc != nil {
		c.stats.hc.healthy.Set(hcOK)
	}
}

// setHosts makes specs the cluster's membership: hosts with a known key
// are kept (EDS may change their weight, priority, metadata or health),
// new ones are created and health checked, missing ones are stopped. It
// reports whether anything changed.
func (c *Cluster) setHosts(specs []hostSpec) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return false
	}
	changed := len(specs) != len(c.hosts)
	next := make([]*Host, 0, len(specs))
	byKey := make(map[string]*Host, len(specs))
	for i, s := range specs {
		h := c.byKey[s.key]
		switch {
		case h == nil:
			h = c.newHost(s, c.carry[s.target.str])
			c.startHealthChecks(h)
			changed = true
		case h.target.Load().ap != s.target.ap:
			// Only the LOGICAL_DNS host changes address in place.
			h.target.Store(s.target)
			changed = true
		}
		if old := h.meta.Load(); !metaEqual(old, s.meta) {
			h.meta.Store(s.meta)
			if old.health != s.meta.health {
				h.setFlags(edsMask, edsFlags(s.meta.health))
			}
			changed = true
		}
		if i < len(c.hosts) && c.hosts[i] != h {
			changed = true
		}
		next = append(next, h)
		byKey[s.key] = h
	}
	for k, h := range c.byKey {
		if byKey[k] == nil {
			if h.hcCancel != nil {
				h.hcCancel()
			}
			if c.od != nil {
				c.od.forget(h)
			}
		}
	}
	c.hosts, c.byKey = next, byKey
	c.carry = nil
	if c.od != nil {
		c.od.hostCount.Store(int64(len(next)))
	}
	if changed {
		c.stats.membershipChange.Inc()
		c.rebuildLocked()
	}
	return changed
}

func metaEqual(a, b *hostMeta) bool {
	return a.hostname == b.hostname && a.weight == b.weight && a.priority == b.priority &&
		a.locality == b.locality && a.health == b.health && maps.Equal(a.metadata, b.metadata)
}

// carryState snapshots the health of the cluster's hosts by address for
// its next version.
func (c *Cluster) carryState() map[string]*carried {
	c.mu.Lock()
	defer c.mu.Unlock()
	hasHC := len(c.Config().HealthChecks) > 0
	out := make(map[string]*carried, len(c.hosts))
	for _, h := range c.hosts {
		f := h.flags.Load()
		cr := &carried{hcPassing: hasHC && f&(hcFailMask|hcPendingMask) == 0}
		if c.od != nil {
			c.od.snapshot(h, cr)
		}
		out[h.target.Load().str] = cr
	}
	return out
}

// assignmentSpecs turns a load assignment with IP endpoints into host
// specs keyed by address (a repeated address gets "#n" appended).
func assignmentSpecs(la *config.LoadAssignment) ([]hostSpec, error) {
	if la == nil {
		return nil, nil
	}
	var specs []hostSpec
	seen := map[string]int{}
	var last *hostMeta // endpoints of a locality mostly share one (immutable) meta
	for _, loc := range la.Localities {
		for _, ep := range loc.Endpoints {
			ap, err := ipAddrPort(ep.Address)
			if err != nil {
				return nil, err
			}
			t := newTarget(ap)
			key := t.str
			if n := seen[key]; n > 0 {
				key += "#" + strconv.Itoa(n)
			}
			seen[t.str]++
			if m := endpointMeta(loc, ep); last == nil || !metaEqual(last, m) {
				last = m
			}
			specs = append(specs, hostSpec{key: key, target: t, meta: last})
		}
	}
	return specs, nil
}

// applyAssignment makes a validated load assignment the membership of a
// STATIC or EDS cluster.
func (c *Cluster) applyAssignment(la *config.LoadAssignment) {
	c.stats.updateAttempt.Inc()
	specs, err := assignmentSpecs(la)
	if err != nil { // validated before; keep the hosts we have
		c.stats.updateFailure.Inc()
		c.log.Error("apply load assignment", "error", err)
		return
	}
	if len(specs) == 0 {
		c.stats.updateEmpty.Inc()
	}
	if !c.setHosts(specs) {
		c.stats.updateNoRebuild.Inc()
	}
	c.stats.updateSuccess.Inc()
	c.warm.membershipKnown()
}

func endpointMeta(loc config.LocalityEndpoints, ep config.Endpoint) *hostMeta {
	return &hostMeta{
		hostname: ep.Hostname,
		weight:   max(ep.Weight, 1),
		priority: loc.Priority,
		locality: Locality{Region: loc.Region, Zone: loc.Zone, SubZone: loc.SubZone},
		metadata: ep.Metadata,
		health:   ep.Health,
	}
}
