package rediscluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
)

func init() {
	cluster.RegisterProvider(config.RedisClusterType, func(c *cluster.Cluster) cluster.Provider {
		return newDiscovery(c)
	})
}

// Discovery keeps the topology of one envoy.clusters.redis cluster: its
// hosts and its slot table. It is the cluster's cluster.Provider.
type Discovery struct {
	cl    *cluster.Cluster
	cfg   config.RedisClusterConfig
	stats *Stats
	table atomic.Pointer[Table]

	trigger   chan struct{} // a refresh is wanted; capacity 1
	redirects atomic.Uint32
	failures  atomic.Uint32
	degraded  atomic.Uint32
	lastKick  atomic.Int64 // unix nanos of the last triggered refresh
}

var _ cluster.Provider = (*Discovery)(nil)

func newDiscovery(c *cluster.Cluster) *Discovery {
	d := &Discovery{cl: c, stats: newStats(c.StatsScope()), trigger: make(chan struct{}, 1)}
	if rc := c.Config().RedisCluster; rc != nil {
		d.cfg = *rc
	}
	def := func(v *time.Duration, dv time.Duration) {
		if *v <= 0 {
			*v = dv
		}
	}
	def(&d.cfg.ClusterRefreshRate, config.DefaultRedisClusterRefreshRate)
	def(&d.cfg.ClusterRefreshTimeout, config.DefaultRedisClusterRefreshTimeout)
	def(&d.cfg.RedirectRefreshInterval, config.DefaultRedisRedirectRefreshInterval)
	d.table.Store(emptyTable)
	return d
}

// Of returns the Discovery of an envoy.clusters.redis cluster, nil for
// other clusters.
func Of(c *cluster.Cluster) *Discovery {
	d, _ := c.Provider().(*Discovery)
	return d
}

// Table returns the current slot table; it is never nil.
func (d *Discovery) Table() *Table { return d.table.Load() }

// Stats returns the cluster's redis_cluster stats.
func (d *Discovery) Stats() *Stats { return d.stats }

// Refresh asks for a topology refresh soon. It never blocks.
func (d *Discovery) Refresh() {
	select {
	case d.trigger <- struct{}{}:
	default:
	}
}

// Redirected counts a MOVED or ASK redirection; reaching
// redirect_refresh_threshold triggers a refresh. It never blocks.
func (d *Discovery) Redirected() { d.count(&d.redirects, d.cfg.RedirectRefreshThreshold) }

// Failed counts an upstream failure; reaching failure_refresh_threshold
// triggers a refresh. It never blocks.
func (d *Discovery) Failed() { d.count(&d.failures, d.cfg.FailureRefreshThreshold) }

// count adds an event to c and triggers a refresh when c reaches
// threshold (0 disables) and the last triggered refresh is at least
// redirect_refresh_interval ago; the counts start again then.
func (d *Discovery) count(c *atomic.Uint32, threshold uint32) {
	if threshold == 0 || c.Add(1) < threshold {
		return
	}
	now := time.Now().UnixNano()
	last := d.lastKick.Load()
	if last != 0 && now-last < int64(d.cfg.RedirectRefreshInterval) {
		return
	}
	if !d.lastKick.CompareAndSwap(last, now) {
		return
	}
	d.redirects.Store(0)
	d.failures.Store(0)
	d.degraded.Store(0)
	d.Refresh()
}

// healthPoll is how often hosts are checked for turning degraded or
// unhealthy when host_degraded_refresh_threshold is set.
const healthPoll = time.Second

// Run implements cluster.Provider: it refreshes the topology at once,
// then every cluster_refresh_rate and when triggered, until ctx ends.
func (d *Discovery) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	var poll <-chan time.Time
	if d.cfg.HostDegradedRefreshThreshold > 0 {
		tk := time.NewTicker(healthPoll)
		defer tk.Stop()
		poll = tk.C
	}
	healthy := map[*cluster.Host]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll:
			d.pollHealth(healthy)
			continue
		case <-d.trigger:
		case <-t.C:
		}
		d.refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		t.Reset(d.cfg.ClusterRefreshRate)
	}
}

// pollHealth counts the hosts that turned degraded or unhealthy since
// the last poll.
func (d *Discovery) pollHealth(healthy map[*cluster.Host]bool) {
	seen := make(map[*cluster.Host]bool, len(healthy))
	for _, h := range d.cl.Hosts() {
		ok := h.Healthy() && !h.Degraded()
		if was, known := healthy[h]; known && was && !ok {
			d.count(&d.degraded, d.cfg.HostDegradedRefreshThreshold)
		}
		healthy[h] = ok
		seen[h] = true
	}
	for h := range healthy {
		if !seen[h] {
			delete(healthy, h)
		}
	}
}

// resolvedRange is a slotRange whose nodes are addresses.
type resolvedRange struct {
	start, end uint16
	nodes      []netip.AddrPort
}

// refresh asks a node for the topology and publishes it; on failure the
// hosts and table stay as they are.
func (d *Discovery) refresh(ctx context.Context) {
	ranges, from, err := d.discover(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.cl.ProvidedUpdateFailed()
			d.cl.Logger().Warn("redis cluster discovery failed, keeping the last topology", "error", err)
		}
		return
	}
	res := d.resolveRanges(ctx, ranges, from)
	var addrs []netip.AddrPort
	for _, r := range res {
		addrs = append(addrs, r.nodes...)
	}
	d.cl.SetProvidedHosts(addrs)
	d.table.Store(buildTable(res, d.cl.Hosts()))
}

// discover asks the known nodes, in random order, then the seeds, for
// CLUSTER SLOTS until one answers. It returns the answer and who gave it.
func (d *Discovery) discover(ctx context.Context) ([]slotRange, netip.AddrPort, error) {
	var errs []error
	tried := map[netip.AddrPort]bool{}
	try := func(ap netip.AddrPort) ([]slotRange, bool) {
		if tried[ap] || ctx.Err() != nil {
			return nil, false
		}
		tried[ap] = true
		r, err := d.query(ctx, ap)
		if err != nil {
			errs = append(errs, err)
			return nil, false
		}
		return r, true
	}
	known := d.cl.Hosts()
	rand.Shuffle(len(known), func(i, j int) { known[i], known[j] = known[j], known[i] })
	for _, h := range known {
		if r, ok := try(h.AddrPort()); ok {
			return r, h.AddrPort(), nil
		}
	}
	for _, seed := range d.seeds() {
		aps, err := d.resolveSeed(ctx, seed)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ap := range aps {
			if r, ok := try(ap); ok {
				return r, ap, nil
			}
		}
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("no node to ask"))
	}
	return nil, netip.AddrPort{}, fmt.Errorf("discover redis cluster topology: %w", errors.Join(errs...))
}

func (d *Discovery) seeds() []config.Address {
	var out []config.Address
	if la := d.cl.Config().LoadAssignment; la != nil {
		for _, loc := range la.Localities {
			for _, ep := range loc.Endpoints {
				out = append(out, ep.Address)
			}
		}
	}
	return out
}

func (d *Discovery) resolveSeed(ctx context.Context, a config.Address) ([]netip.AddrPort, error) {
	if ip, err := netip.ParseAddr(a.Host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(ip.Unmap(), uint16(a.Port))}, nil
	}
	ips, err := d.cl.Resolve(ctx, a.Host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, len(ips))
	for i, ip := range ips {
		out[i] = netip.AddrPortFrom(ip, uint16(a.Port))
	}
	return out, nil
}

// resolveRanges turns node endpoints into addresses: "" is the node that
// answered, host names are resolved (first address), "?" and names that
// do not resolve are left out.
func (d *Discovery) resolveRanges(ctx context.Context, ranges []slotRange, from netip.AddrPort) []resolvedRange {
	names := map[string]netip.Addr{}
	out := make([]resolvedRange, 0, len(ranges))
	for _, r := range ranges {
		rr := resolvedRange{start: r.start, end: r.end}
		for i, n := range r.nodes {
			ip, ok := d.nodeIP(ctx, n.host, from, names)
			if !ok {
				if i == 0 {
					break // no primary: the range stays unserved
				}
				continue
			}
			rr.nodes = append(rr.nodes, netip.AddrPortFrom(ip, n.port))
		}
		out = append(out, rr)
	}
	return out
}

func (d *Discovery) nodeIP(ctx context.Context, host string, from netip.AddrPort, names map[string]netip.Addr) (netip.Addr, bool) {
	switch host {
	case "":
		return from.Addr(), true
	case "?":
		return netip.Addr{}, false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap(), true
	}
	if ip, ok := names[host]; ok {
		return ip, ip.IsValid()
	}
	ips, err := d.cl.Resolve(ctx, host)
	if err != nil {
		d.cl.Logger().Warn("resolve redis cluster node", "host", host, "error", err)
		names[host] = netip.Addr{}
		return netip.Addr{}, false
	}
	names[host] = ips[0]
	return ips[0], true
}

// query asks the node at ap for CLUSTER SLOTS, after AUTH when the
// cluster's RedisProtocolOptions have a password for ap, within
// cluster_refresh_timeout.
func (d *Discovery) query(ctx context.Context, ap netip.AddrPort) ([]slotRange, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ClusterRefreshTimeout)
	defer cancel()
	var dialer net.Dialer
	raw, err := dialer.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", ap, err)
	}
	defer raw.Close()
	c, err := d.cl.Secure(ctx, raw.(*net.TCPConn))
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", ap, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var req []byte
	auth := false
	if o, ok := d.cl.Config().ProtocolOptions[config.RedisProxyFilter].(*config.RedisProtocolOptions); ok {
		user, pass := o.For(config.Address{Host: ap.Addr().String(), Port: uint32(ap.Port())})
		switch {
		case len(pass) > 0 && len(user) > 0:
			req, auth = redis.AppendCommand(req, []byte("AUTH"), user, pass), true
		case len(pass) > 0:
			req, auth = redis.AppendCommand(req, []byte("AUTH"), pass), true
		}
	}
	req = redis.AppendCommandString(req, "CLUSTER", "SLOTS")
	if _, err := c.Write(req); err != nil {
		return nil, fmt.Errorf("query %s: %w", ap, err)
	}
	br := bufio.NewReaderSize(c, 4096)
	if auth {
		v, err := readValue(br)
		if err != nil {
			return nil, fmt.Errorf("query %s: auth: %w", ap, err)
		}
		if v.kind != '+' {
			return nil, fmt.Errorf("query %s: auth: upstream replied %q", ap, v.str)
		}
	}
	v, err := readValue(br)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", ap, err)
	}
	r, err := parseSlots(v)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", ap, err)
	}
	return r, nil
}
