package redisproxy

import (
	"sync"
	"time"

	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/hostpools"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/rediscluster"
	"github.com/sidewire/sidewire/telemetry"
)

// sweepInterval is how often pools of hosts that left their cluster are
// looked for.
const sweepInterval = 5 * time.Second

// errClosed fails requests that race with Filter.Close.
var errClosed = hostpools.ErrClosed

// upstream is the pipelined pool to one host in one RESP version, shared
// by every connection of the filter.
type upstream struct {
	p       *pool.Pipeline
	cluster *cluster.Cluster
	host    *cluster.Host
	proto   redis.Proto
	// disc is the topology of a Redis Cluster's node, nil for other
	// clusters.
	disc *rediscluster.Discovery
	// rqTime is the cluster's upstream_commands.upstream_rq_time.
	rqTime *telemetry.Histogram

	// ask carries ASK redirections to the node: ASKING and the command,
	// back to back on one connection that carries nothing else (askMu
	// keeps each pair together). Created on first use.
	askMu     sync.Mutex
	ask       *pool.Pipeline
	askClosed bool
	newP      func() *pool.Pipeline
}

var _ hostpools.Member = (*upstream)(nil)

// Where implements hostpools.Member.
func (up *upstream) Where() (*cluster.Cluster, *cluster.Host) { return up.cluster, up.host }

// Close implements hostpools.Member: it closes the upstream's pools.
func (up *upstream) Close() {
	_ = up.p.Close()
	up.askMu.Lock()
	ask := up.ask
	up.ask, up.askClosed = nil, true
	up.askMu.Unlock()
	if ask != nil {
		_ = ask.Close()
	}
}

type poolKey struct {
	host  *cluster.Host
	proto redis.Proto
}

// upstreams holds a filter's pools, one per (host, RESP version) (see
// package hostpools).
type upstreams struct {
	set     *hostpools.Set[poolKey, *upstream]
	newPool func(*cluster.Cluster, *cluster.Host, redis.Proto) *pool.Pipeline
	stats   *telemetry.Scope // root scope, for upstreamRqTime

	// detached are the hosts made for redirections to Redis Cluster
	// nodes the topology did not know yet, by cluster and address;
	// guarded by mu.
	mu       sync.Mutex
	detached map[detachedKey]*cluster.Host
}

func newUpstreams(m *cluster.Manager, stats *telemetry.Scope, newPool func(*cluster.Cluster, *cluster.Host, redis.Proto) *pool.Pipeline, interval time.Duration) *upstreams {
	u := &upstreams{newPool: newPool, stats: stats}
	u.set = hostpools.New[poolKey, *upstream](m, interval, u.swept)
	return u
}

// get returns the pool to h of cl in RESP p, creating it if needed.
func (u *upstreams) get(cl *cluster.Cluster, h *cluster.Host, p redis.Proto) (*upstream, error) {
	return u.set.Get(poolKey{h, p}, func() *upstream {
		up := &upstream{p: u.newPool(cl, h, p), cluster: cl, host: h, proto: p, disc: rediscluster.Of(cl), rqTime: upstreamRqTime(u.stats, cl)}
		up.newP = func() *pool.Pipeline { return u.newPool(cl, h, p) }
		return up
	})
}

// len returns the number of pools.
func (u *upstreams) len() int { return u.set.Len() }

// swept counts the Redis Cluster pools a sweep closes idle
// (upstream_cx_drained) and forgets their detached hosts.
func (u *upstreams) swept(gone []*upstream) {
	for _, up := range gone {
		if up.disc != nil && up.p.Pending() == 0 {
			up.disc.Stats().UpstreamCxDrained.Inc()
		}
	}
	u.forgetDetached(gone)
}

// close stops the sweeper and closes every pool.
func (u *upstreams) close() { u.set.Close() }
