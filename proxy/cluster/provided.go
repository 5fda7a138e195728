package cluster

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// A Provider discovers the hosts of a cluster whose type finds them
// itself rather than from its config (envoy.clusters.redis asks the
// Redis Cluster for its topology). The package that implements a cluster
// type registers a ProviderFactory for it; the cluster runs the Provider
// on a goroutine of its own from start to stop, and the Provider reports
// each membership it discovers with SetProvidedHosts.
type Provider interface {
	// Run discovers hosts until ctx ends.
	Run(ctx context.Context)
}

// ProviderFactory builds the Provider of a new cluster of its type from
// the cluster's validated config. It must not start anything: Run does.
type ProviderFactory func(c *Cluster) Provider

var providers struct {
	mu sync.RWMutex
	m  map[config.ClusterType]ProviderFactory
}

// RegisterProvider makes f the factory of cluster type t (nil removes
// it); the package implementing t calls it from init. A cluster type
// without a registered factory is rejected by Manager.Update.
func RegisterProvider(t config.ClusterType, f ProviderFactory) {
	providers.mu.Lock()
	defer providers.mu.Unlock()
	if f == nil {
		delete(providers.m, t)
		return
	}
	if providers.m == nil {
		providers.m = map[config.ClusterType]ProviderFactory{}
	}
	providers.m[t] = f
}

func providerFactory(t config.ClusterType) ProviderFactory {
	providers.mu.RLock()
	defer providers.mu.RUnlock()
	return providers.m[t]
}

// Provider returns the cluster's Provider, nil for cluster types whose
// hosts come from config, DNS or EDS.
func (c *Cluster) Provider() Provider { return c.provider }

// SetProvidedHosts makes addrs the membership of a cluster with a
// Provider: hosts at addresses it already had keep their state, the
// others are created or stopped. It counts update_attempt,
// update_success, update_empty and update_no_rebuild, marks the initial
// membership known (for warming), and reports whether the hosts changed.
func (c *Cluster) SetProvidedHosts(addrs []netip.AddrPort) bool {
	c.stats.updateAttempt.Inc()
	specs := make([]hostSpec, 0, len(addrs))
	seen := make(map[netip.AddrPort]bool, len(addrs))
	for _, ap := range addrs {
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if seen[ap] {
			continue
		}
		seen[ap] = true
		t := newTarget(ap)
		specs = append(specs, hostSpec{key: t.str, target: t, meta: &hostMeta{weight: 1}})
	}
	if len(specs) == 0 {
		c.stats.updateEmpty.Inc()
	}
	changed := c.setHosts(specs)
	if !changed {
		c.stats.updateNoRebuild.Inc()
	}
	c.stats.updateSuccess.Inc()
	c.warm.membershipKnown()
	return changed
}

// ProvidedUpdateFailed records a discovery attempt that failed
// (update_attempt, update_failure); the hosts stay as they are. The
// first one marks the initial membership known, so a cluster whose
// discovery fails at startup does not hold up warming forever.
func (c *Cluster) ProvidedUpdateFailed() {
	c.stats.updateAttempt.Inc()
	c.stats.updateFailure.Inc()
	c.warm.membershipKnown()
}

// DetachedHost returns a host of the cluster at ap that is not part of
// its membership: nothing picks it and it has no health checks, but
// connections to it go through the cluster (circuit breaker, connect
// timeout, stats). Redis Cluster redirections use it for nodes the last
// discovery did not know yet.
func (c *Cluster) DetachedHost(ap netip.AddrPort) *Host {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	t := newTarget(ap)
	h := &Host{key: "detached/" + t.str, c: c}
	h.target.Store(t)
	h.meta.Store(&hostMeta{weight: 1})
	return h
}

// Resolve looks name up with the cluster's dns_lookup_family.
func (c *Cluster) Resolve(ctx context.Context, name string) ([]netip.Addr, error) {
	return c.resolve(ctx, name)
}

// Logger is the cluster's logger (it carries the cluster name). It is
// made on each call, not kept: clusters are many and log rarely.
func (c *Cluster) Logger() *slog.Logger { return c.m.log.With("cluster", c.name) }

// StatsScope is the cluster's stats scope, cluster.<name>, for the stats
// of its type (cluster.<name>.redis_cluster.*).
func (c *Cluster) StatsScope() *telemetry.Scope {
	return clusterScope(c.m.root, c.name)
}

// ConnectTimeout is the cluster's connect_timeout.
func (c *Cluster) ConnectTimeout() time.Duration { return c.timeout }
