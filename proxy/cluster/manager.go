package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/tlsctx"
	"github.com/sidewire/sidewire/telemetry"
)

// Options are a Manager's dependencies.
type Options struct {
	// Stats is the root stats scope; nil uses a private store.
	Stats *telemetry.Scope
	// Logger receives health transitions, ejections and DNS failures; nil
	// uses slog.Default().
	Logger *slog.Logger
	// Resolver resolves STRICT_DNS and LOGICAL_DNS hostnames; nil uses
	// net.DefaultResolver.
	Resolver *net.Resolver
	// Secrets holds the SDS secrets upstream TLS contexts name; nil when
	// no cluster names any.
	Secrets *tlsctx.Store
	// DeferTrafficStats creates a cluster's traffic stats (upstream_cx_*,
	// upstream_rq_*) when it first carries traffic rather than with the
	// cluster, as Envoy does with deferred_stat_options
	// enable_deferred_creation_stats: /stats then shows them only for
	// clusters that were used. It saves about 1 KB per cluster.
	DeferTrafficStats bool
}

// Manager owns the running clusters. Get and All are lock-free; Update,
// UpdateEndpoints and Close are serialized.
type Manager struct {
	root     *telemetry.Scope
	log      *slog.Logger
	resolver *net.Resolver
	secrets  *tlsctx.Store
	stats    *managerStats
	// deferStats is Options.DeferTrafficStats.
	deferStats bool

	mu     sync.Mutex // serializes changes
	closed bool
	set    atomic.Pointer[clusterSet]
	// applied holds, by name, the config each running cluster was last
	// given by Update, if nothing changed it since: Update skips a
	// cluster given the same (immutable) *config.Cluster again without
	// validating or comparing it. Guarded by mu.
	applied map[string]*config.Cluster
}

// clusterSet is an immutable published set of clusters.
type clusterSet struct {
	byName map[string]*Cluster
	sorted []*Cluster
}

// NewManager returns a Manager without clusters.
func NewManager(opts Options) *Manager {
	m := &Manager{root: opts.Stats, log: opts.Logger, resolver: opts.Resolver, secrets: opts.Secrets, deferStats: opts.DeferTrafficStats}
	if m.root == nil {
		m.root = telemetry.NewStore().Root()
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.resolver == nil {
		m.resolver = net.DefaultResolver
	}
	m.stats = newManagerStats(m.root)
	m.applied = map[string]*config.Cluster{}
	m.set.Store(&clusterSet{byName: map[string]*Cluster{}})
	return m
}

// Get returns the cluster named name, or nil.
func (m *Manager) Get(name string) *Cluster { return m.set.Load().byName[name] }

// All returns every cluster, sorted by name.
func (m *Manager) All() []*Cluster { return slices.Clone(m.set.Load().sorted) }

// Update makes clusters the running set. Configs are validated first; on
// any error nothing changes. A cluster whose config is unchanged keeps
// running as is (for EDS clusters the load assignment is not part of the
// comparison: a new non-nil one is applied as an endpoint update); a
// changed one is replaced by a new *Cluster that inherits the health of
// hosts at the same addresses; a missing one is stopped.
func (m *Manager) Update(clusters []*config.Cluster) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	// same[i]: clusters[i] is the config last applied to its cluster, so
	// it was validated then and nothing about the cluster changes. An xDS
	// update passes most clusters that way; the work for them is two map
	// lookups.
	same := make([]bool, len(clusters))
	if err := m.check(clusters, same); err != nil {
		return fmt.Errorf("update clusters: %w", err)
	}
	if m.closed {
		return fmt.Errorf("update clusters: %w", ErrClosed)
	}
	cur := m.set.Load()
	var next map[string]*Cluster // nil while the set stays cur's
	set := func(name string, c *Cluster) {
		if next == nil {
			next = maps.Clone(cur.byName)
		}
		if c == nil {
			delete(next, name)
		} else {
			next[name] = c
		}
	}
	var started, stopped []*Cluster
	var edsUpdates []func()
	kept := 0
	for i, cfg := range clusters {
		old := cur.byName[cfg.Name]
		if old != nil {
			kept++
		}
		if same[i] {
			continue
		}
		m.applied[cfg.Name] = cfg
		switch {
		case old == nil:
			c := newCluster(m, cfg, nil)
			set(cfg.Name, c)
			started = append(started, c)
			m.stats.clusterAdded.Inc()
		case sameConfig(old.Config(), cfg):
			if cfg.Type == config.EDS && cfg.LoadAssignment != nil && !reflect.DeepEqual(cfg.LoadAssignment, old.Config().LoadAssignment) {
				edsUpdates = append(edsUpdates, func() { old.updateEndpoints(cfg.LoadAssignment) })
			}
		default:
			c := newCluster(m, cfg, old)
			set(cfg.Name, c)
			started = append(started, c)
			stopped = append(stopped, old)
			c.stats.zeroDropped(old.stats)
			m.stats.clusterModified.Inc()
			m.log.Info("cluster modified", "cluster", cfg.Name)
		}
	}
	var removed []*Cluster
	if kept < len(cur.byName) {
		want := make(map[string]bool, len(clusters))
		for _, cfg := range clusters {
			want[cfg.Name] = true
		}
		for name, c := range cur.byName {
			if !want[name] {
				set(name, nil)
				delete(m.applied, name)
				stopped = append(stopped, c)
				removed = append(removed, c)
				m.stats.clusterRemoved.Inc()
				m.log.Info("cluster removed", "cluster", name)
			}
		}
	}
	for _, c := range started {
		c.start()
	}
	for _, f := range edsUpdates {
		f()
	}
	if next != nil {
		m.publish(next)
	}
	for _, c := range stopped {
		c.stop()
	}
	for _, c := range removed {
		c.zeroGauges()
	}
	return nil
}

// check validates the configs of an Update that are not the ones last
// applied (noting which are in same) and looks for duplicate names.
// Called with m.mu held.
func (m *Manager) check(clusters []*config.Cluster, same []bool) error {
	var errs []error
	valid := func(c *config.Cluster) bool {
		if err := validateTLS(c, m.secrets); err != nil {
			errs = append(errs, err)
			return false
		}
		if err := validate(c); err != nil {
			errs = append(errs, err)
			return false
		}
		return true
	}
	// Names in strictly increasing order, as xDS sends them, cannot
	// repeat; otherwise a set finds duplicates.
	var seen map[string]bool
	if !strictlySorted(clusters) {
		seen = make(map[string]bool, len(clusters))
	}
	for i, c := range clusters {
		if c != nil && m.applied[c.Name] == c {
			same[i] = true
		} else if !valid(c) {
			continue
		}
		if seen == nil {
			continue
		}
		if seen[c.Name] {
			errs = append(errs, invalid(c.Name, "duplicate cluster name"))
		}
		seen[c.Name] = true
	}
	return errors.Join(errs...)
}

// strictlySorted reports whether the clusters are non-nil and their
// names strictly increasing.
func strictlySorted(clusters []*config.Cluster) bool {
	for i, c := range clusters {
		if c == nil || i > 0 && clusters[i-1].Name >= c.Name {
			return false
		}
	}
	return true
}

// sameConfig compares two cluster configs; for EDS clusters the load
// assignment is left out.
func sameConfig(a, b *config.Cluster) bool {
	if a.Type == config.EDS && b.Type == config.EDS {
		ac, bc := *a, *b
		ac.LoadAssignment, bc.LoadAssignment = nil, nil
		return reflect.DeepEqual(&ac, &bc)
	}
	return reflect.DeepEqual(a, b)
}

func (m *Manager) publish(byName map[string]*Cluster) {
	sorted := make([]*Cluster, 0, len(byName))
	for _, c := range byName {
		sorted = append(sorted, c)
	}
	slices.SortFunc(sorted, func(a, b *Cluster) int { return strings.Compare(a.name, b.name) })
	m.set.Store(&clusterSet{byName: byName, sorted: sorted})
	m.stats.activeClusters.Set(int64(len(sorted)))
}

// UpdateEndpoints applies an EDS ClusterLoadAssignment to the EDS cluster
// named name. Endpoints must be IP addresses; on error nothing changes.
func (m *Manager) UpdateEndpoints(name string, la *config.LoadAssignment) error {
	if la == nil {
		return fmt.Errorf("update endpoints of cluster %q: %w: nil load assignment", name, ErrInvalidConfig)
	}
	if err := validateAssignment(name, la); err != nil {
		return fmt.Errorf("update endpoints: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("update endpoints of cluster %q: %w", name, ErrClosed)
	}
	c := m.Get(name)
	if c == nil {
		return fmt.Errorf("update endpoints of cluster %q: %w", name, ErrUnknownCluster)
	}
	if t := c.Config().Type; t != config.EDS {
		return fmt.Errorf("update endpoints of cluster %q: %w: cluster type is %v, not EDS", name, ErrInvalidConfig, t)
	}
	delete(m.applied, name) // its endpoints no longer are the config's
	c.updateEndpoints(la)
	return nil
}

// updateEndpoints records la in the cluster's config and applies it.
// Called with m.mu held.
func (c *Cluster) updateEndpoints(la *config.LoadAssignment) {
	cp := *c.Config()
	cp.LoadAssignment = la
	c.cfg.Store(&cp)
	c.applyAssignment(la)
}

// WaitWarm waits until every current cluster has its initial membership
// (static hosts, first DNS resolution, first EDS assignment) and the first
// health check round of those hosts is done, or until ctx ends.
func (m *Manager) WaitWarm(ctx context.Context) error {
	for _, c := range m.set.Load().sorted {
		select {
		case <-c.warm.done():
		case <-ctx.Done():
			return fmt.Errorf("wait for cluster %q to warm: %w", c.name, ctx.Err())
		}
	}
	return nil
}

// Warm reports whether the cluster has finished warming up (see
// Manager.WaitWarm).
func (c *Cluster) Warm() bool { return c.warm.isWarm() }

// Close stops every cluster and its goroutines. Upstreams already handed
// out stay open.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	m.applied = nil
	cur := m.set.Load()
	m.publish(map[string]*Cluster{})
	for _, c := range cur.sorted {
		c.stop()
	}
}

// zeroGauges resets the membership gauges of a removed cluster, whose
// stats outlive it in the store.
func (c *Cluster) zeroGauges() {
	s := c.stats
	gauges := []*telemetry.Gauge{
		s.membershipTotal, s.membershipHealthy, s.membershipDegraded, s.membershipExcluded, s.maxHostWeight,
	}
	if s.hc != nil {
		gauges = append(gauges, s.hc.healthy)
	}
	if s.od != nil {
		gauges = append(gauges, s.od.ejectionsActive)
	}
	for _, g := range gauges {
		g.Set(0)
	}
}
