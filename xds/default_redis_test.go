package xds

import (
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// TestDefaultRedisBootstrap checks the embedded default's redis listener:
// a redis_proxy on 127.0.0.1:16379 sending everything to the redis
// cluster (127.0.0.1:6379).
func TestDefaultRedisBootstrap(t *testing.T) {
	snap, err := LoadBootstrap(DefaultBootstrapYAML())
	if err != nil {
		t.Fatalf("LoadBootstrap(default): %v", err)
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
	for _, name := range []string{"mysql", "kafka"} {
		l := snap.Listener(name)
		if l == nil || len(l.FilterChains) != 1 {
			t.Fatalf("listener %s missing", name)
		}
		if _, ok := l.FilterChains[0].Filters[0].(*config.TCPProxy); !ok {
			t.Errorf("listener %s runs %T, want a tcp_proxy", name, l.FilterChains[0].Filters[0])
		}
	}
}
