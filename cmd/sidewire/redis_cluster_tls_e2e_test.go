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

// TestRedisClusterTLSE2E runs the binary in front of a Redis Cluster
// that serves clients over TLS: discovery (CLUSTER SLOTS) goes over TLS
// and so learns the nodes' TLS ports, commands reach each slot's master
// over TLS, the server is verified against its CA and SAN, and a MOVED
// reply (which names a TLS port too) is followed.
func TestRedisClusterTLSE2E(t *testing.T) {
	pki := testpeer.NewPKI(t, "redis-cluster-ca")
	rc := testpeer.StartRedisClusterTLS(t, pki, 3)
	tlsCtx := upstreamTLSYAML("redis.test", fmt.Sprintf(`
          validation_context:
            trusted_ca:
              inline_string: %s
            match_typed_subject_alt_names:
            - san_type: DNS
              matcher: {exact: redis.test}`, indentPEM(pki.CAPEM, "                ")))
	cluster := strings.Replace(redisClusterYAML("redis_cluster", rc.Masters[0].TLSAddr()),
		"\n    load_assignment:", tlsCtx+"\n    load_assignment:", 1)
	listener := strings.Replace(redisListenerYAML("rc", catchAllYAML("redis_cluster")),
		"settings: {op_timeout: 2s}", "settings: {op_timeout: 2s, enable_redirection: true}", 1)
	p := startSidewire(t, bootstrapYAML(listener, cluster))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newGoRedis(t, &goredis.Options{Addr: p.listener("rc"), MaxRetries: -1})

	deadline := time.Now().Add(10 * time.Second)
	for c.Set(ctx, "k0", "v", 0).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the proxy never served SET over the TLS cluster")
		}
		time.Sleep(20 * time.Millisecond)
	}
	owner := func(key string) *testpeer.ClusterNode {
		return rc.Owner(t, int(rediscluster.Slot([]byte(key))))
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
	// Every master was reached over TLS: one handshake at least each.
	if n := p.stat("cluster.redis_cluster.ssl.handshake"); n < int64(len(rc.Masters)) {
		t.Errorf("cluster.redis_cluster.ssl.handshake = %d, want >= %d", n, len(rc.Masters))
	}
	if n := p.stat("cluster.redis_cluster.ssl.connection_error"); n != 0 {
		t.Errorf("cluster.redis_cluster.ssl.connection_error = %d, want 0", n)
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
	// The MOVED reply named dst's TLS port, not its plaintext one.
	if n := p.stat("cluster.redis_cluster.ssl.connection_error"); n != 0 {
		t.Errorf("after MOVED: cluster.redis_cluster.ssl.connection_error = %d, want 0", n)
	}
	if got := p.stat("cluster.redis_cluster.membership_total"); got != 3 {
		t.Errorf("cluster.redis_cluster.membership_total = %d, want 3", got)
	}
}
