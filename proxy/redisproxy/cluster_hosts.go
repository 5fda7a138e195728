package redisproxy

import (
	"net/netip"

	"github.com/sidewire/sidewire/proxy/cluster"
)

// detachedKey names a host made for a redirection.
type detachedKey struct {
	cl *cluster.Cluster
	ap netip.AddrPort
}

// nodeHost returns the host of cl's node at ap for a redirection: the
// topology's host, else one detached from the membership (see
// cluster.DetachedHost), made while cl has fewer than
// max_upstream_unknown_connections of them. It returns nil when the limit
// is reached (counted in max_upstream_unknown_connections_reached).
func (u *upstreams) nodeHost(up *upstream, ap netip.AddrPort, limit uint32) *cluster.Host {
	if h := up.disc.Table().Host(ap); h != nil {
		return h
	}
	for _, h := range up.cluster.Hosts() {
		if h.AddrPort() == ap {
			return h
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	k := detachedKey{up.cluster, ap}
	if h := u.detached[k]; h != nil {
		return h
	}
	n := uint32(0)
	for dk := range u.detached {
		if dk.cl == up.cluster {
			n++
		}
	}
	if n >= limit {
		up.disc.Stats().MaxUpstreamUnknownConnectionsReached.Inc()
		return nil
	}
	if u.detached == nil {
		u.detached = map[detachedKey]*cluster.Host{}
	}
	h := up.cluster.DetachedHost(ap)
	u.detached[k] = h
	return h
}

// forgetDetached drops the detached hosts whose pools the sweeper closed.
func (u *upstreams) forgetDetached(gone []*upstream) {
	if len(gone) == 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, up := range gone {
		k := detachedKey{up.cluster, up.host.AddrPort()}
		if u.detached[k] == up.host {
			delete(u.detached, k)
		}
	}
}
