package cluster

import (
	"context"
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

	// ctx ends the cluster's goroutines (DNS, discovery, health checks,
	// outlier detection); it exists only for clusters that run some,
	// from start on.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu serializes membership changes and state rebuilds.
	mu      sync.Mutex
	hosts   []*Host
	carry   map[string]*carried // previous version's health by address, until the first membership
	stopped bool
	done    atomic.Bool // stopped, readable without mu
	state   atomic.Pointer[lbState]
	// kick asks the outlier detection goroutine to rebuild the state; the
	// request path sends on it without blocking. nil without outlier
	// detection.
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
		stats:   newClusterStats(m.root, cfg, m.deferStats),
		lbOpts:  lb.OptionsFor(cfg),
		timeout: cfg.ConnectTimeout,
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
		c.kick = make(chan struct{}, 1)
	}
	if cfg.TLS != nil {
		if c.tls, c.tlsErr = newClientTLS(cfg.TLS, m.secrets, clusterScope(m.root, cfg.Name)); c.tlsErr != nil {
			c.Logger().Error("upstream tls unusable: connects will fail", "error", c.tlsErr)
		}
	}
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
	if cfg.Type == config.StrictDNS || cfg.Type == config.LogicalDNS || c.provider != nil ||
		c.od != nil || len(cfg.HealthChecks) > 0 {
		c.ctx, c.cancel = context.WithCancel(context.Background())
	}
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
	if c.cancel != nil {
		c.cancel()
	}
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
	if c.kick == nil {
		return
	}
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
		c.Logger().Error("rebuild load balancer", "error", err)
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
	find := c.hostIndex()
	kept := make([]bool, len(c.hosts))
	for i, s := range specs {
		var h *Host
		if j := find(s.key); j >= 0 && !kept[j] {
			h, kept[j] = c.hosts[j], true
		}
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
	}
	for j, h := range c.hosts {
		if kept[j] {
			continue
		}
		if h.hc != nil && h.hc.cancel != nil {
			h.hc.cancel()
		}
		if c.od != nil {
			c.od.forget(h)
		}
	}
	c.hosts = next
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

// hostIndex returns a function finding the index of the current host
// with a key, or -1: a scan for a few hosts, a map for many. Called with
// c.mu held; the function is valid until c.hosts changes.
func (c *Cluster) hostIndex() func(key string) int {
	hosts := c.hosts
	if len(hosts) <= smallMembership {
		return func(key string) int {
			for j, h := range hosts {
				if h.key == key {
					return j
				}
			}
			return -1
		}
	}
	idx := make(map[string]int, len(hosts))
	for j, h := range hosts {
		idx[h.key] = j
	}
	return func(key string) int {
		if j, ok := idx[key]; ok {
			return j
		}
		return -1
	}
}

// smallMembership is the most hosts setHosts scans instead of indexing.
const smallMembership = 16

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
	n := 0
	for _, loc := range la.Localities {
		n += len(loc.Endpoints)
	}
	specs := make([]hostSpec, 0, n)
	var seen map[string]int // addresses seen, for large assignments
	if n > smallMembership {
		seen = make(map[string]int, n)
	}
	var last *hostMeta // endpoints of a locality mostly share one (immutable) meta
	for _, loc := range la.Localities {
		for _, ep := range loc.Endpoints {
			ap, err := ipAddrPort(ep.Address)
			if err != nil {
				return nil, err
			}
			t := newTarget(ap)
			key := t.str
			if dup := seenBefore(specs, seen, t); dup > 0 {
				key += "#" + strconv.Itoa(dup)
			}
			if last == nil || !metaOf(last, loc, ep) {
				last = sharedEndpointMeta(loc, ep)
			}
			specs = append(specs, hostSpec{key: key, target: t, meta: last})
		}
	}
	return specs, nil
}

// seenBefore counts the specs at t's address so far, and notes one more:
// a scan of specs when seen is nil (few endpoints), seen otherwise.
func seenBefore(specs []hostSpec, seen map[string]int, t *hostTarget) int {
	if seen != nil {
		n := seen[t.str]
		seen[t.str] = n + 1
		return n
	}
	n := 0
	for _, s := range specs {
		if s.target.ap == t.ap {
			n++
		}
	}
	return n
}

// applyAssignment makes a validated load assignment the membership of a
// STATIC or EDS cluster.
func (c *Cluster) applyAssignment(la *config.LoadAssignment) {
	c.stats.updateAttempt.Inc()
	specs, err := assignmentSpecs(la)
	if err != nil { // validated before; keep the hosts we have
		c.stats.updateFailure.Inc()
		c.Logger().Error("apply load assignment", "error", err)
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

// defaultMeta is the meta of an endpoint with nothing set, shared by
// every such host (most of them, with many clusters). Never modified.
var defaultMeta = &hostMeta{weight: 1}

// sharedEndpointMeta is endpointMeta, or defaultMeta when that is what
// it would make. The caller must not modify it.
func sharedEndpointMeta(loc config.LocalityEndpoints, ep config.Endpoint) *hostMeta {
	if metaOf(defaultMeta, loc, ep) {
		return defaultMeta
	}
	return endpointMeta(loc, ep)
}

// endpointMeta returns a new meta for ep in loc.
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

// metaOf reports whether m is what endpointMeta makes of ep in loc.
func metaOf(m *hostMeta, loc config.LocalityEndpoints, ep config.Endpoint) bool {
	return m.hostname == ep.Hostname && m.weight == max(ep.Weight, 1) && m.priority == loc.Priority &&
		m.locality == (Locality{Region: loc.Region, Zone: loc.Zone, SubZone: loc.SubZone}) &&
		m.health == ep.Health && maps.Equal(m.metadata, ep.Metadata)
}
