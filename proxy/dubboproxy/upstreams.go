package dubboproxy

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/pool"
)

// sweepInterval is how often pools of hosts that left their cluster are
// looked for.
const sweepInterval = 5 * time.Second

// errClosed fails requests that race with Filter.Close.
var errClosed = errors.New("dubbo proxy closed")

// upstream is the multiplexed pool to one host, shared by every
// connection of the filter.
type upstream struct {
	p       *pool.Multiplex
	cluster *cluster.Cluster
	host    *cluster.Host
	stale   bool // seen gone by the last sweep; owned by the sweeper
}

// upstreams holds a filter's pools, created on first use and closed when
// their host has left its cluster for two sweeps (or the cluster was
// replaced: a new *Cluster has new hosts, so new pools).
type upstreams struct {
	clusters *cluster.Manager
	newPool  func(*cluster.Cluster, *cluster.Host) *pool.Multiplex

	m      sync.Map // *cluster.Host -> *upstream; read lock-free
	mu     sync.Mutex
	closed bool

	stop chan struct{}
	done chan struct{}
}

func newUpstreams(m *cluster.Manager, newPool func(*cluster.Cluster, *cluster.Host) *pool.Multiplex, interval time.Duration) *upstreams {
	u := &upstreams{clusters: m, newPool: newPool, stop: make(chan struct{}), done: make(chan struct{})}
	go u.sweepLoop(interval)
	return u
}

// get returns the pool to h of cl, creating it if needed.
func (u *upstreams) get(cl *cluster.Cluster, h *cluster.Host) (*upstream, error) {
	if v, ok := u.m.Load(h); ok {
		return v.(*upstream), nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil, errClosed
	}
	if v, ok := u.m.Load(h); ok {
		return v.(*upstream), nil
	}
	up := &upstream{p: u.newPool(cl, h), cluster: cl, host: h}
	u.m.Store(h, up)
	return up, nil
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
// row, so requests that picked the host just before it left can finish.
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
		_ = up.p.Close()
	}
}

// close stops the sweeper and closes every pool, failing what is in
// flight on them.
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
		_ = v.(*upstream).p.Close()
		return true
	})
}

// hostDialer connects to one host through its cluster, so the circuit
// breaker, connect timeout, stats and outlier detection apply.
type hostDialer struct {
	cl *cluster.Cluster
	h  *cluster.Host
}

var _ pool.Dialer = (*hostDialer)(nil)

// Dial implements pool.Dialer. Closing the connection it returns closes
// the cluster.Upstream.
func (d *hostDialer) Dial(ctx context.Context) (net.Conn, error) {
	up, err := d.cl.ConnectHost(ctx, d.h)
	if err != nil {
		return nil, err
	}
	return up.CountingConn(), nil
}
