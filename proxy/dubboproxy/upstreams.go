package dubboproxy

import (
	"context"
	"net"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/hostpools"
	"github.com/sidewire/sidewire/proxy/pool"
)

// sweepInterval is how often pools of hosts that left their cluster are
// looked for.
const sweepInterval = 5 * time.Second

// upstream is the multiplexed pool to one host, shared by every
// connection of the filter.
type upstream struct {
	p       *pool.Multiplex
	cluster *cluster.Cluster
	host    *cluster.Host
}

var _ hostpools.Member = (*upstream)(nil)

// Where implements hostpools.Member.
func (up *upstream) Where() (*cluster.Cluster, *cluster.Host) { return up.cluster, up.host }

// Close implements hostpools.Member.
func (up *upstream) Close() { _ = up.p.Close() }

// upstreams holds a filter's pools, one per host (see package hostpools).
type upstreams struct {
	set     *hostpools.Set[*cluster.Host, *upstream]
	newPool func(*cluster.Cluster, *cluster.Host) *pool.Multiplex
}

func newUpstreams(m *cluster.Manager, newPool func(*cluster.Cluster, *cluster.Host) *pool.Multiplex, interval time.Duration) *upstreams {
	return &upstreams{set: hostpools.New[*cluster.Host, *upstream](m, interval, nil), newPool: newPool}
}

// get returns the pool to h of cl, creating it if needed.
func (u *upstreams) get(cl *cluster.Cluster, h *cluster.Host) (*upstream, error) {
	return u.set.Get(h, func() *upstream { return &upstream{p: u.newPool(cl, h), cluster: cl, host: h} })
}

// close stops the sweeper and closes every pool, failing what is in
// flight on them.
func (u *upstreams) close() { u.set.Close() }

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
