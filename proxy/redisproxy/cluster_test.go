package redisproxy

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/rediscluster"
)

// redisClusterConfig is an envoy.clusters.redis cluster seeded with
// addrs; it refreshes only when a test asks (rate) or triggers it.
func redisClusterConfig(name string, rate time.Duration, addrs ...string) *config.Cluster {
	c := staticCluster(name, config.ClusterProvided, addrs...)
	c.Type = config.RedisClusterType
	c.RedisCluster = &config.RedisClusterConfig{
		ClusterRefreshRate:       rate,
		ClusterRefreshTimeout:    2 * time.Second,
		RedirectRefreshInterval:  time.Millisecond,
		RedirectRefreshThreshold: 1,
	}
	return c
}

// clusterProxy serves a redis_proxy routing everything to the Redis
// Cluster rc, and waits until it knows every slot.
func clusterProxy(t *testing.T, rc *testpeer.RedisCluster, rate time.Duration, edit func(*config.RedisProxy)) *proxy {
	t.Helper()
	cfg := catchAll("rc")
	cfg.Settings.MaxUpstreamUnknownConnections = config.DefaultRedisMaxUpstreamUnknownConnections
	if edit != nil {
		edit(cfg)
	}
	p := startProxy(t, cfg, redisClusterConfig("rc", rate, rc.Masters[0].Addr()))
	p.waitTable(t, func(tb *rediscluster.Table) bool {
		for s := range rediscluster.Slots {
			if tb.Shard(uint16(s)) == nil {
				return false
			}
		}
		return true
	})
	return p
}

// waitTable waits until the slot table of cluster "rc" satisfies ok.
func (p *proxy) waitTable(t *testing.T, ok func(*rediscluster.Table) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if cl := p.m.Get("rc"); cl != nil && ok(rediscluster.Of(cl).Table()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy's slot table did not converge")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ownerOf returns the master of rc the cluster starts key's slot on.
func ownerOf(rc *testpeer.RedisCluster, key string) *testpeer.ClusterNode {
	s := int(rediscluster.Slot([]byte(key)))
	return rc.Masters[s*len(rc.Masters)/rediscluster.Slots]
}

func clusterClient(t *testing.T, p *proxy) (*goredis.Client, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return newGoRedis(t, &goredis.Options{Addr: p.addr, MaxRetries: -1}), ctx
}

// TestRedisClusterRouting: keys land on the master owning their slot;
// MGET, MSET and DEL split by slot owner; multi-key commands across
// owners get -CROSSSLOT, and hash tags keep keys together.
func TestRedisClusterRouting(t *testing.T) {
	rc := testpeer.StartRedisCluster(t, 3, false)
	p := clusterProxy(t, rc, time.Hour, nil)
	c, ctx := clusterClient(t, p)

	const n = 60
	for i := range n {
		k := fmt.Sprintf("key:%d", i)
		if err := c.Set(ctx, k, "v"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	for i := range n {
		k := fmt.Sprintf("key:%d", i)
		for _, m := range rc.Masters {
			got, err := m.Do("GET", k)
			switch {
			case m == ownerOf(rc, k) && (err != nil || got != "v"+k):
				t.Fatalf("GET %s directly on its owner %s = %q, %v", k, m.Addr(), got, err)
			case m != ownerOf(rc, k) && (err == nil || !strings.Contains(err.Error(), "MOVED")):
				t.Fatalf("GET %s directly on %s = %q, %v; want MOVED", k, m.Addr(), got, err)
			}
		}
		if v, err := c.Get(ctx, k).Result(); err != nil || v != "v"+k {
			t.Fatalf("GET %s through the proxy = %q, %v", k, v, err)
		}
	}
	if err := c.MSet(ctx, "a", "1", "b", "2", "c", "3", "d", "4").Err(); err != nil {
		t.Fatalf("MSET: %v", err)
	}
	owners := map[*testpeer.ClusterNode]bool{}
	for _, k := range []string{"a", "b", "c", "d"} {
		owners[ownerOf(rc, k)] = true
	}
	if len(owners) < 2 {
		t.Fatalf("test keys should span several masters")
	}
	vals, err := c.MGet(ctx, "a", "b", "nope", "c", "d").Result()
	if err != nil || fmt.Sprint(vals) != "[1 2 <nil> 3 4]" {
		t.Fatalf("MGET = %v, %v", vals, err)
	}
	if n, err := c.Del(ctx, "a", "b", "c", "nope").Result(); err != nil || n != 3 {
		t.Fatalf("DEL = %d, %v; want 3", n, err)
	}
	// Keys on different masters: the proxy refuses; hash tags keep
	// keys in one slot.
	x, y := "a", "b"
	if ownerOf(rc, x) == ownerOf(rc, y) {
		y = "c"
	}
	if err := c.RPopLPush(ctx, x, y).Err(); err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
		t.Fatalf("RPOPLPUSH across masters = %v, want CROSSSLOT", err)
	}
	if err := c.LPush(ctx, "{u1}.src", "e").Err(); err != nil {
		t.Fatalf("LPUSH: %v", err)
	}
	if v, err := c.RPopLPush(ctx, "{u1}.src", "{u1}.dst").Result(); err != nil || v != "e" {
		t.Fatalf("RPOPLPUSH with hash tags = %q, %v", v, err)
	}
	cl := p.m.Get("rc")
	if got := len(cl.Hosts()); got != 3 {
		t.Fatalf("cluster hosts = %d, want 3", got)
	}
}

// TestRedisClusterMoved: after a slot moves, MOVED is followed
// transparently with enable_redirection (and refreshes the topology), and
// reaches the client unchanged without it.
func TestRedisClusterMoved(t *testing.T) {
	rc := testpeer.StartRedisCluster(t, 3, false)
	on := clusterProxy(t, rc, time.Hour, func(c *config.RedisProxy) { c.Settings.EnableRedirection = true })
	con, ctx := clusterClient(t, on)

	const key = "moving"
	if err := con.Set(ctx, key, "1", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	slot := int(rediscluster.Slot([]byte(key)))
	src := ownerOf(rc, key)
	dst := rc.Masters[0]
	if dst == src {
		dst = rc.Masters[1]
	}
	rc.MigrateSlot(t, slot, src, dst)
	if v, err := con.Get(ctx, key).Result(); err != nil || v != "1" {
		t.Fatalf("GET with redirection = %q, %v", v, err)
	}
	vals, err := con.MGet(ctx, key, "other").Result()
	if err != nil || fmt.Sprint(vals) != "[1 <nil>]" {
		t.Fatalf("MGET with redirection = %v, %v", vals, err)
	}
	// redirect_refresh_threshold 1: the redirection refreshed the table.
	on.waitTable(t, func(tb *rediscluster.Table) bool {
		return tb.Shard(uint16(slot)).Primary.AddrPort().String() == dst.Addr()
	})

	t.Run("without redirection", func(t *testing.T) {
		off := clusterProxy(t, rc, time.Hour, nil)
		coff, ctx := clusterClient(t, off)
		rc.MigrateSlot(t, slot, dst, src)
		err := coff.Get(ctx, key).Err()
		if want := fmt.Sprintf("MOVED %d %s", slot, src.Addr()); err == nil || err.Error() != want {
			t.Fatalf("GET without redirection = %v, want %q", err, want)
		}
	})
}

// TestRedisClusterAsk: during a migration, keys already moved are
// reached with ASKING + the command on the importing node; the others
// stay on the source.
func TestRedisClusterAsk(t *testing.T) {
	rc := testpeer.StartRedisCluster(t, 3, false)
	p := clusterProxy(t, rc, time.Hour, func(c *config.RedisProxy) { c.Settings.EnableRedirection = true })
	c, ctx := clusterClient(t, p)
	moved, stays := "{mig}.a", "{mig}.b"
	for _, k := range []string{moved, stays} {
		if err := c.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	slot := int(rediscluster.Slot([]byte(moved)))
	src := ownerOf(rc, moved)
	dst := rc.Masters[0]
	if dst == src {
		dst = rc.Masters[1]
	}
	rc.BeginMigration(t, slot, src, dst, moved)
	if _, err := src.Do("GET", moved); err == nil || !strings.Contains(err.Error(), "ASK") {
		t.Fatalf("direct GET on the source = %v, want ASK", err)
	}
	for range 3 {
		if v, err := c.Get(ctx, moved).Result(); err != nil || v != moved {
			t.Fatalf("GET %s (migrated) = %q, %v", moved, v, err)
		}
		if v, err := c.Get(ctx, stays).Result(); err != nil || v != stays {
			t.Fatalf("GET %s (not migrated) = %q, %v", stays, v, err)
		}
	}
	// Keys of one slot that are partly migrated get Redis's TRYAGAIN;
	// a fan-out whose shard holds only the migrated key follows ASK.
	other := "a"
	if ownerOf(rc, other) == src {
		other = "b"
	}
	if err := c.Set(ctx, other, other, 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	vals, err := c.MGet(ctx, moved, other).Result()
	if err != nil || fmt.Sprint(vals) != fmt.Sprint([]any{moved, other}) {
		t.Fatalf("MGET during migration = %v, %v", vals, err)
	}
}

// TestRedisClusterTopologyChange: a master added (and given a slot) and
// a master removed show up in the cluster's hosts and slot table at the
// next refresh.
func TestRedisClusterTopologyChange(t *testing.T) {
	rc := testpeer.StartRedisCluster(t, 3, false)
	p := clusterProxy(t, rc, 100*time.Millisecond, nil)
	c, ctx := clusterClient(t, p)
	const key = "newhome"
	slot := int(rediscluster.Slot([]byte(key)))
	src := ownerOf(rc, key)
	nm := rc.AddMaster(t)
	rc.MigrateSlot(t, slot, src, nm)
	p.waitTable(t, func(tb *rediscluster.Table) bool {
		return tb.Shard(uint16(slot)).Primary.AddrPort().String() == nm.Addr()
	})
	if got := len(p.m.Get("rc").Hosts()); got != 4 {
		t.Fatalf("cluster hosts = %d, want 4", got)
	}
	if err := c.Set(ctx, key, "here", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if v, err := nm.Do("GET", key); err != nil || v != "here" {
		t.Fatalf("GET on the new master = %q, %v", v, err)
	}
	// Remove it again: its slot goes back, every node forgets it.
	rc.MigrateSlot(t, slot, nm, src)
	for _, m := range rc.Masters[:3] {
		m.MustDo(t, "CLUSTER", "FORGET", nm.ID)
	}
	nm.Stop()
	p.waitTable(t, func(tb *rediscluster.Table) bool {
		return tb.Host(netip.MustParseAddrPort(nm.Addr())) == nil && tb.Shard(uint16(slot)).Primary.AddrPort().String() == src.Addr()
	})
	if got := len(p.m.Get("rc").Hosts()); got != 3 {
		t.Fatalf("cluster hosts after removal = %d, want 3", got)
	}
	if v, err := c.Get(ctx, key).Result(); err != nil || v != "here" {
		t.Fatalf("GET after removal = %q, %v", v, err)
	}
}

// TestRedisClusterMasterDown: with a master gone, only its slots fail.
func TestRedisClusterMasterDown(t *testing.T) {
	rc := testpeer.StartRedisCluster(t, 3, false)
	p := clusterProxy(t, rc, time.Hour, nil)
	c, ctx := clusterClient(t, p)
	dead := rc.Masters[2]
	keys := map[bool][]string{}
	for i := 0; len(keys[true]) < 5 || len(keys[false]) < 5; i++ {
		k := fmt.Sprintf("k%d", i)
		keys[ownerOf(rc, k) == dead] = append(keys[ownerOf(rc, k) == dead], k)
	}
	dead.Stop()
	for _, k := range keys[false] {
		if err := c.Set(ctx, k, "ok", 0).Err(); err != nil {
			t.Fatalf("SET %s on a live master: %v", k, err)
		}
	}
	for _, k := range keys[true] {
		if err := c.Set(ctx, k, "ok", 0).Err(); err == nil {
			t.Fatalf("SET %s on the dead master succeeded", k)
		}
	}
	for _, k := range keys[false] {
		if v, err := c.Get(ctx, k).Result(); err != nil || v != "ok" {
			t.Fatalf("GET %s after the failure = %q, %v", k, v, err)
		}
	}
}

// TestRedisClusterReadReplica: with read_policy REPLICA reads go to the
// replica (which needs READONLY), writes to the master.
func TestRedisClusterReadReplica(t *testing.T) {
	rc := testpeer.StartRedisCluster(t, 3, true)
	p := clusterProxy(t, rc, 100*time.Millisecond, func(c *config.RedisProxy) { c.Settings.ReadPolicy = config.RedisReadReplica })
	p.waitTable(t, func(tb *rediscluster.Table) bool {
		for _, sh := range tb.Shards() {
			if len(sh.Replicas) != 1 {
				return false
			}
		}
		return len(tb.Shards()) == 3
	})
	c, ctx := clusterClient(t, p)
	const key = "replicated"
	if err := c.Set(ctx, key, "r", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	m := ownerOf(rc, key)
	var replica *testpeer.ClusterNode
	for i, mm := range rc.Masters {
		if mm == m {
			replica = rc.Replicas[i]
		}
	}
	m.MustDo(t, "WAIT", "1", "5000")
	before := getCalls(t, replica)
	if v, err := c.Get(ctx, key).Result(); err != nil || v != "r" {
		t.Fatalf("GET through the proxy = %q, %v", v, err)
	}
	if after := getCalls(t, replica); after != before+1 {
		t.Fatalf("GET calls on the replica went from %d to %d, want one more", before, after)
	}
}

// getCalls returns how many GETs node served (INFO commandstats).
func getCalls(t *testing.T, n *testpeer.ClusterNode) int {
	t.Helper()
	info := n.MustDo(t, "INFO", "commandstats")
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_get:calls="); ok {
			var calls int
			fmt.Sscanf(rest, "%d", &calls)
			return calls
		}
	}
	return 0
}

// On a Redis Cluster, SCAN, KEYS and DBSIZE cover every primary: SCAN
// through the proxy returns every key exactly once.
func TestRedisClusterKeyless(t *testing.T) {
	rc := testpeer.StartRedisCluster(t, 3, false)
	p := clusterProxy(t, rc, time.Hour, nil)
	c, ctx := clusterClient(t, p)
	const n = 300
	for i := range n {
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	owners := map[*testpeer.ClusterNode]bool{}
	for i := range n {
		owners[ownerOf(rc, fmt.Sprintf("k%d", i))] = true
	}
	if len(owners) != 3 {
		t.Fatalf("keys span %d masters, want 3", len(owners))
	}
	seen := map[string]int{}
	iter := c.Scan(ctx, 0, "k*", 50).Iterator()
	for iter.Next(ctx) {
		seen[iter.Val()]++
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	if len(seen) != n {
		t.Fatalf("SCAN returned %d distinct keys, want %d", len(seen), n)
	}
	for k, times := range seen {
		if times != 1 {
			t.Fatalf("SCAN returned %s %d times", k, times)
		}
	}
	if size, err := c.DBSize(ctx).Result(); err != nil || size != n {
		t.Fatalf("DBSIZE = %d, %v; want %d", size, err, n)
	}
	if keys, err := c.Keys(ctx, "k*").Result(); err != nil || len(keys) != n {
		t.Fatalf("KEYS = %d keys, %v; want %d", len(keys), err, n)
	}
}
