package redisproxy

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/rediscluster"
)

// sweepInterval is how often pools of hosts that left their cluster are
// looked for.
const sweepInterval = 5 * time.Second

// errClosed fails requests that race with Filter.Close.
var errClosed = errors.New("redis proxy closed")

// upstream is the pipelined pool to one host in one RESP version, shared
// by every connection of the filter.
type upstream struct {
	p       *pool.Pipeline
	cluster *cluster.Cluster
	host    *cluster.Host
	proto   redis.Proto
	// disc is the topology of a Redis Cluster's node, nil for other
	// clusters.
	disc  *rediscluster.Discovery
	stale bool // seen gone by the last sweep; owned by the sweeper

	// ask carries ASK redirections to the node: ASKING and the command,
	// back to back on one connection that carries nothing else (askMu
	// keeps each pair together). Created on first use.
	askMu     sync.Mutex
	ask       *pool.Pipeline
	askClosed bool
	newP      func() *pool.Pipeline
}

type poolKey struct {
	host  *cluster.Host
	proto redis.Proto
}

// upstreams holds a filter's pools. Pools are created on first use and
// closed when their host leaves its cluster (or the cluster is replaced
// or removed: a new *Cluster gets new hosts, and so new pools), checked
// every sweepInterval.
type upstreams struct {
	clusters *cluster.Manager
	newPool  func(*cluster.Cluster, *cluster.Host, redis.Proto) *pool.Pipeline

	m      sync.Map // poolKey -> *upstream; read lock-free
	mu     sync.Mutex
	closed bool
	// detached are the hosts made for redirections to Redis Cluster
	// nodes the topology did not know yet, by cluster and address;
	// guarded by mu.
	detached map[detachedKey]*cluster.Host

	stop chan struct{}
	done chan struct{}
}

func newUpstreams(m *cluster.Manager, newPool func(*cluster.Cluster, *cluster.Host, redis.Proto) *pool.Pipeline, interval time.Duration) *upstreams {
	u := &upstreams{clusters: m, newPool: newPool, stop: make(chan struct{}), done: make(chan struct{})}
	go u.sweepLoop(interval)
	return u
}

// get returns the pool to h of cl in RESP p, creating it if needed.
func (u *upstreams) get(cl *cluster.Cluster, h *cluster.Host, p redis.Proto) (*upstream, error) {
	k := poolKey{h, p}
	if v, ok := u.m.Load(k); ok {
		return v.(*upstream), nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil, errClosed
	}
	if v, ok := u.m.Load(k); ok {
		return v.(*upstream), nil
	}
	up := &upstream{p: u.newPool(cl, h, p), cluster: cl, host: h, proto: p, disc: rediscluster.Of(cl)}
	up.newP = func() *pool.Pipeline { return u.newPool(cl, h, p) }
	u.m.Store(k, up)
	return up, nil
}

// len returns the number of pools.
func (u *upstreams) len() int {
	n := 0
	u.m.Range(func(any, any) bool { n++; return true })
	return n
}

func (u *upstreams) sweepLoop(interval time.Duration) {
	defer close(u.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-u.stop:
			return
		case <-t.C:
			u.sweep()
		}
	}
}

// sweep closes the pools whose host has been gone for two sweeps in a
// row, so that requests that picked the host just before it left can
// finish.
func (u *upstreams) sweep() {
	hosts := map[*cluster.Cluster][]*cluster.Host{}
	var gone []*upstream
	u.m.Range(func(k, v any) bool {
		up := v.(*upstream)
		hs, ok := hosts[up.cluster]
		if !ok {
			if u.clusters.Get(up.cluster.Name()) == up.cluster {
				hs = up.cluster.Hosts()
			}
			hosts[up.cluster] = hs
		}
		if slices.Contains(hs, up.host) {
			up.stale = false
			return true
		}
		if up.stale {
			u.m.Delete(k)
			gone = append(gone, up)
		}
		up.stale = true
		return true
	})
	for _, up := range gone {
		if up.disc != nil && up.p.Pending() == 0 {
			up.disc.Stats().UpstreamCxDrained.Inc()
		}
		up.closePools()
	}
	u.forgetDetached(gone)
}

// closePools closes the upstream's pools.
func (up *upstream) closePools() {
	_ = up.p.Close()
	up.askMu.Lock()
	ask := up.ask
	up.ask, up.askClosed = nil, true
	up.askMu.Unlock()
	if ask != nil {
		_ = ask.Close()
	}
}

// close stops the sweeper and closes every pool.
func (u *upstreams) close() {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return
	}
	u.closed = true
	u.mu.Unlock()
	close(u.stop)
	<-u.done
	u.m.Range(func(k, v any) bool {
		u.m.Delete(k)
		v.(*upstream).closePools()
		return true
	})
}
