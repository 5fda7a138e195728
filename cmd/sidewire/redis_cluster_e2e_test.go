package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/rediscluster"
)

// redisClusterYAML is an envoy.clusters.redis cluster seeded with addr.
func redisClusterYAML(name, addr string) string {
	return fmt.Sprintf(`
  - name: %s
    connect_timeout: 1s
    lb_policy: CLUSTER_PROVIDED
    cluster_type:
      name: envoy.clusters.redis
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.clusters.redis.v3.RedisClusterConfig
        cluster_refresh_rate: 60s
        cluster_refresh_timeout: 1s
        redirect_refresh_interval: 0.01s
        redirect_refresh_threshold: 1
    load_assignment:
      cluster_name: %s
      endpoints:
      - lb_endpoints:%s
`, name, name, endpointsYAML(addr))
}

// TestRedisClusterE2E runs the binary in front of a three-master Redis
// Cluster: keys land on their slot's master, fan-out commands split by
// slot, and a slot moved behind the proxy's back is followed (MOVED)
// with enable_redirection.
func TestRedisClusterE2E(t *testing.T) {
	rc := testpeer.StartRedisCluster(t, 3, false)
	listener := strings.Replace(redisListenerYAML("rc", catchAllYAML("redis_cluster")),
		"settings: {op_timeout: 2s}", "settings: {op_timeout: 2s, enable_redirection: true}", 1)
	p := startSidewire(t, bootstrapYAML(listener, redisClusterYAML("redis_cluster", rc.Masters[0].Addr())))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newGoRedis(t, &goredis.Options{Addr: p.listener("rc"), MaxRetries: -1})

	owner := func(key string) *testpeer.ClusterNode {
		s := int(rediscluster.Slot([]byte(key)))
		return rc.Masters[s*len(rc.Masters)/rediscluster.Slots]
	}
	// The first discovery may still be under way: wait for a write.
	deadline := time.Now().Add(10 * time.Second)
	for c.Set(ctx, "k0", "v", 0).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the proxy never served SET")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 30 {
		k := fmt.Sprintf("k%d", i)
		if err := c.Set(ctx, k, "v"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		if got, err := owner(k).Do("GET", k); err != nil || got != "v"+k {
			t.Fatalf("GET %s on its master = %q, %v", k, got, err)
		}
	}
	if err := c.MSet(ctx, "a", "1", "b", "2", "c", "3").Err(); err != nil {
		t.Fatalf("MSET: %v", err)
	}
	if v, err := c.MGet(ctx, "a", "b", "c", "none").Result(); err != nil || fmt.Sprint(v) != "[1 2 3 <nil>]" {
		t.Fatalf("MGET = %v, %v", v, err)
	}
	slot := int(rediscluster.Slot([]byte("a")))
	src := owner("a")
	dst := rc.Masters[0]
	if dst == src {
		dst = rc.Masters[1]
	}
	rc.MigrateSlot(t, slot, src, dst)
	if v, err := c.Get(ctx, "a").Result(); err != nil || v != "1" {
		t.Fatalf("GET after the slot moved = %q, %v", v, err)
	}
	if got := p.stat("cluster.redis_cluster.membership_total"); got != 3 {
		t.Errorf("cluster.redis_cluster.membership_total = %d, want 3", got)
	}
	if got := p.stat("cluster.redis_cluster.update_success"); got < 1 {
		t.Errorf("cluster.redis_cluster.update_success = %d, want >= 1", got)
	}
}
