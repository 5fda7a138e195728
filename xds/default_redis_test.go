package xds

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// TestDefaultRedisBootstrap loads default_bootstrap_redis.yaml, the
// default bootstrap once the Redis runtime lands: the redis listener is a
// redis_proxy sending everything to the redis cluster, and the rest is
// the current default unchanged.
func TestDefaultRedisBootstrap(t *testing.T) {
	raw, err := os.ReadFile("default_bootstrap_redis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := LoadBootstrap(raw)
	if err != nil {
		t.Fatalf("LoadBootstrap(default_bootstrap_redis.yaml): %v", err)
	}
	def, err := LoadBootstrap(DefaultBootstrapYAML())
	if err != nil {
		t.Fatal(err)
	}
	l := snap.Listener("redis")
	if l == nil || l.Address.String() != "127.0.0.1:16379" {
		t.Fatalf("redis listener = %+v, want one on 127.0.0.1:16379", l)
	}
	if len(l.FilterChains) != 1 || len(l.FilterChains[0].Filters) != 1 {
		t.Fatalf("redis listener has %d chains, want 1 with 1 filter", len(l.FilterChains))
	}
	rp, ok := l.FilterChains[0].Filters[0].(*config.RedisProxy)
	if !ok {
		t.Fatalf("redis filter is %T, want *config.RedisProxy", l.FilterChains[0].Filters[0])
	}
	if rp.StatPrefix != "redis" || rp.Settings.OpTimeout != 5*time.Second {
		t.Errorf("stat_prefix %q op_timeout %v, want redis and 5s", rp.StatPrefix, rp.Settings.OpTimeout)
	}
	if len(rp.Routes.Routes) != 0 || rp.Routes.CatchAll == nil || rp.Routes.CatchAll.Cluster != "redis" {
		t.Errorf("routes = %+v, want only a catch-all route to cluster redis", rp.Routes)
	}
	// Everything else is the current default's.
	if len(snap.Listeners) != len(def.Listeners) {
		t.Fatalf("%d listeners, the default has %d", len(snap.Listeners), len(def.Listeners))
	}
	for i, dl := range def.Listeners {
		if dl.Name == "redis" {
			continue
		}
		got := dumpSnapshot(&config.Snapshot{Listeners: []*config.Listener{snap.Listeners[i]}})
		want := dumpSnapshot(&config.Snapshot{Listeners: []*config.Listener{dl}})
		if !bytes.Equal(got, want) {
			t.Errorf("listener %s differs from the default's:\n%s\n---\n%s", dl.Name, got, want)
		}
	}
	got := dumpSnapshot(&config.Snapshot{Node: snap.Node, Admin: snap.Admin, Clusters: snap.Clusters})
	want := dumpSnapshot(&config.Snapshot{Node: def.Node, Admin: def.Admin, Clusters: def.Clusters})
	if !bytes.Equal(got, want) {
		t.Errorf("node, admin or clusters differ from the default's:\n%s\n---\n%s", got, want)
	}
}
