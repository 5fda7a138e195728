package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func redisTestCluster(name string) *Cluster {
	return &Cluster{Name: name, Type: Static, LoadAssignment: &LoadAssignment{}}
}

func redisTestSnapshot(filters ...NetworkFilter) *Snapshot {
	rc := &Cluster{
		Name: "rc", Type: RedisClusterType, LBPolicy: ClusterProvided,
		RedisCluster: &RedisClusterConfig{}, LoadAssignment: &LoadAssignment{},
	}
	return &Snapshot{
		Listeners: []*Listener{{
			Name:         "l",
			Address:      Address{Host: "127.0.0.1", Port: 16379},
			FilterChains: []*FilterChain{{Filters: filters}},
		}},
		Clusters: []*Cluster{redisTestCluster("a"), redisTestCluster("b"), rc},
	}
}

func catchAll(cluster string) *RedisProxy {
	return &RedisProxy{
		StatPrefix: "r",
		Settings:   RedisSettings{OpTimeout: time.Second},
		Routes:     RedisPrefixRoutes{CatchAll: &RedisRoute{Cluster: cluster}},
	}
}

func TestValidateRedis(t *testing.T) {
	const fp = "static_resources.listeners[0].filter_chains[0].filters"
	for _, tc := range []struct {
		name string
		snap func() *Snapshot
		want []string // "path: message" lines; none means valid
	}{
		{"catch-all only", func() *Snapshot { return redisTestSnapshot(catchAll("a")) }, nil},
		{"read policy with a redis cluster", func() *Snapshot {
			rp := catchAll("a")
			rp.Settings.ReadPolicy = RedisReadReplica
			rp.Routes.Routes = []RedisRoute{{Prefix: "x", Cluster: "b", Mirrors: []RedisMirror{{Cluster: "rc"}}}}
			return redisTestSnapshot(rp)
		}, nil},
		{"read policy without one", func() *Snapshot {
			rp := catchAll("a")
			rp.Settings.ReadPolicy = RedisReadAny
			return redisTestSnapshot(rp)
		}, []string{fp + "[0].typed_config.settings.read_policy: ANY only applies to envoy.clusters.redis clusters, and this redis_proxy routes to none"}},
		{"no route", func() *Snapshot { return redisTestSnapshot(&RedisProxy{StatPrefix: "r"}) },
			[]string{fp + "[0].typed_config.prefix_routes: a redis_proxy needs routes or a catch_all_route"}},
		{"unknown clusters", func() *Snapshot {
			rp := catchAll("gone")
			rp.Routes.Routes = []RedisRoute{{Prefix: "x", Cluster: "a", ReadCluster: "r", Mirrors: []RedisMirror{{Cluster: "b"}, {Cluster: "m"}}}}
			return redisTestSnapshot(rp)
		}, []string{
			fp + `[0].typed_config.prefix_routes.routes[0].request_mirror_policy[1].cluster: unknown cluster "m"`,
			fp + `[0].typed_config.prefix_routes.routes[0].read_command_policy.cluster: unknown cluster "r"`,
			fp + `[0].typed_config.prefix_routes.catch_all_route.cluster: unknown cluster "gone"`,
		}},
		{"duplicate prefixes ignoring case", func() *Snapshot {
			rp := catchAll("a")
			rp.Routes.CaseInsensitive = true
			rp.Routes.Routes = []RedisRoute{{Prefix: "Ab", Cluster: "a"}, {Prefix: "aB", Cluster: "a"}, {Prefix: "Äb", Cluster: "a"}, {Prefix: "äb", Cluster: "a"}}
			return redisTestSnapshot(rp)
		}, []string{fp + `[0].typed_config.prefix_routes.routes[1].prefix: prefix "aB" is already routed by routes[0]`}},
		{"case-sensitive prefixes differ", func() *Snapshot {
			rp := catchAll("a")
			rp.Routes.Routes = []RedisRoute{{Prefix: "Ab", Cluster: "a"}, {Prefix: "aB", Cluster: "a"}}
			return redisTestSnapshot(rp)
		}, nil},
		{"command policy", func() *Snapshot {
			rp := catchAll("a")
			rp.Routes.Routes = []RedisRoute{{Prefix: "x", Cluster: "a"}}
			return redisTestSnapshot(&RedisCommandPolicy{Routes: []RedisRouteCommandRules{{Prefix: "x"}}}, rp)
		}, nil},
		{"command policy out of place", func() *Snapshot {
			rp := catchAll("a")
			rp.Routes.Routes = []RedisRoute{{Prefix: "x", Cluster: "a"}}
			return redisTestSnapshot(
				&RedisCommandPolicy{Routes: []RedisRouteCommandRules{{Prefix: "x"}, {Prefix: "y"}, {Prefix: "x"}}},
				&RedisCommandPolicy{},
				rp)
		}, []string{
			fp + `[0].typed_config.value.routes[1].prefix: the chain's redis_proxy has no prefix route "y" (spelled exactly so)`,
			fp + `[0].typed_config.value.routes[2].prefix: prefix "x" already has rules in routes[0]`,
			fp + `[1]: the chain already has a redis command policy at filters[0]`,
		}},
		{"command policy without redis_proxy", func() *Snapshot {
			return redisTestSnapshot(&RedisCommandPolicy{}, &TCPProxy{Cluster: "a"})
		}, []string{fp + "[0]: sidewire.filters.network.redis_command_policy needs an envoy.filters.network.redis_proxy at the end of its chain"}},
		{"redis cluster without config", func() *Snapshot {
			s := redisTestSnapshot(catchAll("a"))
			s.Clusters[2].RedisCluster = nil
			return s
		}, []string{`static_resources.clusters[2].cluster_type: envoy.clusters.redis cluster "rc" has no RedisClusterConfig`}},
		{"redis config on a static cluster", func() *Snapshot {
			s := redisTestSnapshot(catchAll("a"))
			s.Clusters[0].RedisCluster = &RedisClusterConfig{}
			return s
		}, []string{`static_resources.clusters[0].cluster_type: STATIC cluster "a" has a RedisClusterConfig`}},
		{"CLUSTER_PROVIDED elsewhere", func() *Snapshot {
			s := redisTestSnapshot(catchAll("a"))
			s.Clusters[0].LBPolicy = ClusterProvided
			s.Clusters[2].LBPolicy = Maglev
			return s
		}, []string{
			`static_resources.clusters[0].lb_policy: CLUSTER_PROVIDED goes with envoy.clusters.redis clusters only, and they need it; cluster "a" is STATIC with CLUSTER_PROVIDED`,
			`static_resources.clusters[2].lb_policy: CLUSTER_PROVIDED goes with envoy.clusters.redis clusters only, and they need it; cluster "rc" is envoy.clusters.redis with MAGLEV`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.snap().Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Errorf("%v is not a *FieldError", err)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Validate:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
