package redisproxy

import (
	"math/rand/v2"

	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/rediscluster"
)

// slotTarget places key on a Redis Cluster (an envoy.clusters.redis
// cluster): the shard owning its hash slot (of the key as the route
// forwards it; hash tags always apply), then its primary or, for
// read-only commands, the node settings.read_policy picks. A command
// without a key goes to a random primary.
func (f *Filter) slotTarget(d *rediscluster.Discovery, cl *cluster.Cluster, rt *route, cmd *redis.Command, key []byte) (target, error) {
	tbl := d.Table()
	var sh *rediscluster.Shard
	if key == nil {
		shards := tbl.Shards()
		if len(shards) == 0 {
			return target{}, errNoUpstream
		}
		sh = &shards[rand.IntN(len(shards))]
	} else if sh = tbl.Shard(f.keySlot(rt, key)); sh == nil {
		d.Refresh() // a slot nobody serves: the topology may be stale
		return target{}, errNoUpstream
	}
	policy := config.RedisReadMaster
	if readOnly(cmd) {
		policy = f.cfg.Settings.ReadPolicy
	}
	h := pickNode(sh, policy)
	if h == nil {
		return target{}, errNoUpstream
	}
	return target{rt: rt, cl: cl, host: h, owner: sh.Primary}, nil
}

// slotOwner returns the primary owning key's slot, nil when none does.
func (f *Filter) slotOwner(d *rediscluster.Discovery, rt *route, key []byte) *cluster.Host {
	if sh := d.Table().Shard(f.keySlot(rt, key)); sh != nil {
		return sh.Primary
	}
	return nil
}

// keySlot is the hash slot of key as rt forwards it.
func (f *Filter) keySlot(rt *route, key []byte) uint16 {
	if !rt.rewrites() {
		return rediscluster.Slot(key)
	}
	var buf [128]byte
	return rediscluster.Slot(rt.appendKey(buf[:0], key))
}

// pickNode chooses the node of sh that serves a command under policy
// (Envoy's read policies); healthy nodes come first wherever a policy
// chooses among several. It returns nil when the policy allows no node
// (REPLICA on a shard without replicas).
func pickNode(sh *rediscluster.Shard, policy config.RedisReadPolicy) *cluster.Host {
	switch policy {
	case config.RedisReadPreferMaster:
		if sh.Primary.Healthy() || len(sh.Replicas) == 0 {
			return sh.Primary
		}
		if h := pickHealthy(sh.Replicas, nil); h != nil && h.Healthy() {
			return h
		}
		return sh.Primary
	case config.RedisReadReplica:
		return pickHealthy(sh.Replicas, nil)
	case config.RedisReadPreferReplica:
		if h := pickHealthy(sh.Replicas, nil); h != nil && h.Healthy() {
			return h
		}
		return sh.Primary
	case config.RedisReadAny:
		return pickHealthy(sh.Replicas, sh.Primary)
	}
	return sh.Primary
}

// pickHealthy picks a random healthy host among hosts and extra (when not
// nil), else a random one of them all; nil when there are none.
func pickHealthy(hosts []*cluster.Host, extra *cluster.Host) *cluster.Host {
	n := len(hosts)
	if extra != nil {
		n++
	}
	if n == 0 {
		return nil
	}
	at := func(i int) *cluster.Host {
		if i == len(hosts) {
			return extra
		}
		return hosts[i]
	}
	start := rand.IntN(n)
	for i := range n {
		if h := at((start + i) % n); h.Healthy() {
			return h
		}
	}
	return at(start)
}

// shardSlot is the fan-out shard key's sub-command belongs to beside its
// upstream: its hash slot on a Redis Cluster, -1 elsewhere.
func (f *Filter) shardSlot(up *upstream, rt *route, key []byte) int32 {
	if up.disc == nil {
		return -1
	}
	return int32(f.keySlot(rt, key))
}
