package redisproxy

import (
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/rediscluster"
)

// target is where a key goes: its route, the route's cluster and the host
// the cluster's load balancer picks. On a Redis Cluster, owner is the
// primary of the key's slot (host may be one of its replicas).
type target struct {
	rt    *route
	cl    *cluster.Cluster
	host  *cluster.Host
	owner *cluster.Host
}

// hashed reports whether cl places keys by hash (RING_HASH, MAGLEV);
// other policies spread commands over hosts that must hold the same data.
func hashed(cl *cluster.Cluster) bool {
	p := cl.Config().LBPolicy
	return p == config.RingHash || p == config.Maglev
}

// target resolves key (nil: no key, any host) on route rt for cmd. Hashed
// clusters place the key as the route forwards it (after remove_prefix
// and key_formatter), honouring hash tags when enabled.
func (f *Filter) target(rt *route, cmd *redis.Command, key []byte) (target, error) {
	cl := f.deps.Clusters.Get(rt.clusterFor(cmd))
	if cl == nil {
		return target{}, errNoUpstream
	}
	if d := rediscluster.Of(cl); d != nil {
		return f.slotTarget(d, cl, rt, cmd, key)
	}
	h, err := cl.Pick(f.lbContext(cl, rt, key))
	if err != nil {
		return target{}, errNoUpstream
	}
	return target{rt: rt, cl: cl, host: h}, nil
}

// lbContext is the load balancing context of key on rt in cl.
func (f *Filter) lbContext(cl *cluster.Cluster, rt *route, key []byte) cluster.LBContext {
	if key == nil || !hashed(cl) {
		return cluster.LBContext{}
	}
	if rt.rewrites() {
		return f.rewrittenLBContext(rt, key)
	}
	return cluster.LBContext{Hash: keyHash(key, f.cfg.Settings.EnableHashtagging), HasHash: true}
}

// rewrittenLBContext hashes key as rt rewrites it; a function of its own
// to keep its buffer off the common path's stack.
func (f *Filter) rewrittenLBContext(rt *route, key []byte) cluster.LBContext {
	var buf [128]byte
	k := rt.appendKey(buf[:0], key)
	return cluster.LBContext{Hash: keyHash(k, f.cfg.Settings.EnableHashtagging), HasHash: true}
}

// sameTarget reports whether key goes where t goes: the same cluster and,
// for hashed clusters, the same host. It returns key's route.
func (f *Filter) sameTarget(t target, key []byte, cmd *redis.Command) (*route, bool) {
	rt := f.routes.lookup(key)
	if rt == nil {
		return nil, false
	}
	if rt == t.rt && !hashed(t.cl) && t.owner == nil {
		return rt, true
	}
	cl := f.deps.Clusters.Get(rt.clusterFor(cmd))
	if cl != t.cl {
		return rt, false
	}
	if t.owner != nil {
		return rt, f.slotOwner(rediscluster.Of(cl), rt, key) == t.owner
	}
	if !hashed(cl) {
		return rt, true
	}
	h, err := cl.Pick(f.lbContext(cl, rt, key))
	return rt, err == nil && h == t.host
}
