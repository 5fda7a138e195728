package redisproxy

import (
	"fmt"
	"github.com/sidewire/sidewire/internal/proxytest"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// startPolicyProxy is startProxy with a command policy.
func startPolicyProxy(t *testing.T, cfg *config.RedisProxy, cp *config.RedisCommandPolicy, cl *config.Cluster) *proxy {
	t.Helper()
	leakcheck.Check(t)
	cfg.StatPrefix = "test"
	cfg.Settings.OpTimeout = 5 * time.Second
	p := &proxy{t: t, store: telemetry.NewStore()}
	p.m = cluster.NewManager(cluster.Options{Stats: p.store.Root()})
	if err := p.m.Update([]*config.Cluster{cl}); err != nil {
		t.Fatal(err)
	}
	p.f = newFilter(cfg, Deps{Clusters: p.m, Stats: p.store.Root(), CommandPolicy: cp}, 50*time.Millisecond)
	p.serve()
	return p
}

// TestCommandPolicy denies by the default rules for keyless commands and
// the catch-all, by a route's own rules for its keys, every key of a
// multi-key command included, and inside a transaction (which then
// aborts); connection commands always pass.
func TestCommandPolicy(t *testing.T) {
	srv := testpeer.StartRedis(t)
	cfg := catchAll("redis")
	cfg.Routes.Routes = []config.RedisRoute{{Prefix: "ro:", Cluster: "redis"}}
	cp := &config.RedisCommandPolicy{
		Default: config.RedisCommandRules{Deny: []string{"KEYS", "FLUSHALL", "DEL"}},
		Routes: []config.RedisRouteCommandRules{{Prefix: "ro:",
			RedisCommandRules: config.RedisCommandRules{Allow: []string{"GET", "MGET", "EXISTS"}}}},
	}
	p := startPolicyProxy(t, cfg, cp, staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	denied := func(name string) string {
		return "-NOPERM command '" + name + "' is not allowed by the proxy's command policy\r\n"
	}
	for _, tc := range []struct{ args, want string }{
		{"KEYS *", denied("keys")},
		{"FLUSHALL", denied("flushall")},
		{"SET k v", "+OK\r\n"},
		{"DEL k", denied("del")},
		{"GET ro:x", "$-1\r\n"},
		{"SET ro:x v", denied("set")},
		{"MGET k ro:x", respArray(bulk("v"), "$-1\r\n")},
		{"EXISTS ro:x k", ":1\r\n"},
		{"AUTH pw", "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"},
		{"PING", "+PONG\r\n"},
		{"DBSIZE", ":1\r\n"},
		{"MULTI", "+OK\r\n"},
		{"SET k2 v", "+QUEUED\r\n"},
		{"DEL k", denied("del")},
		{"EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{"EXISTS k2", ":0\r\n"},
	} {
		if got := c.do(strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.args, got, tc.want)
		}
	}
	if n := p.counter("command_policy_denied"); n != 5 {
		t.Errorf("command_policy_denied = %d, want 5", n)
	}
	if n := p.cmdCounter("keys", "error"); n != 1 {
		t.Errorf("command.keys.error = %d, want 1", n)
	}
}

// TestClusterCommandStats checks enable_command_stats' per-cluster
// stats, Envoy's cluster.<name>.upstream_commands.<command>.*.
func TestClusterCommandStats(t *testing.T) {
	srv := testpeer.StartRedis(t)
	cfg := catchAll("redis")
	cfg.Settings.EnableCommandStats = true
	p := startProxy(t, cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	for _, args := range [][]string{{"SET", "k", "v"}, {"GET", "k"}, {"GET", "k"}, {"INCR", "k"}, {"PING"}} {
		c.do(args...)
	}
	scope := func(cmd string) *telemetry.Scope {
		return p.store.Root().Sub("cluster").Tagged("envoy_cluster_name", "redis").
			Sub("upstream_commands").Tagged("envoy_redis_command", cmd)
	}
	for _, tc := range []struct {
		cmd                     string
		total, success, failure uint64
	}{
		{"set", 1, 1, 0},
		{"get", 2, 2, 0},
		{"incr", 1, 0, 1}, // "value is not an integer"
		{"ping", 0, 0, 0}, // answered by the proxy
	} {
		s := scope(tc.cmd)
		if got := [3]uint64{s.Counter("total").Value(), s.Counter("success").Value(), s.Counter("failure").Value()}; got != [3]uint64{tc.total, tc.success, tc.failure} {
			t.Errorf("%s total/success/failure = %v, want %d/%d/%d", tc.cmd, got, tc.total, tc.success, tc.failure)
		}
	}
	if name := scope("get").Counter("total").Name(); name != "cluster.redis.upstream_commands.get.total" {
		t.Errorf("stat name %q", name)
	}
	if err := p.store.Lint(); err != nil {
		t.Errorf("stats lint: %v", err)
	}
}

// TestUpstreamRqTime checks Envoy's cluster.<name>.upstream_commands.upstream_rq_time:
// kept without enable_command_stats, one sample per upstream request (a
// fan-out once per shard it reached), none for what the proxy answers.
func TestUpstreamRqTime(t *testing.T) {
	_, addrs := startShards(t, 3)
	p := startProxy(t, catchAll("shards"), staticCluster("shards", config.Maglev, addrs...))
	c := dial(t, p.addr)
	c.do("SET", "a", "1")
	c.do("GET", "a")
	c.do("PING")
	// Keys spread over the three shards: MGET reaches each shard it has
	// keys on once.
	keys := []string{"MGET"}
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("k%d", i))
	}
	c.do(keys...)
	h := p.store.Root().Sub("cluster").Tagged("envoy_cluster_name", "shards").
		Sub("upstream_commands").Histogram("upstream_rq_time", telemetry.Microseconds)
	if name := h.Name(); name != "cluster.shards.upstream_commands.upstream_rq_time" {
		t.Errorf("stat name %q", name)
	}
	if got, want := h.Count(), uint64(2+3); got != want {
		t.Errorf("upstream_rq_time samples = %d, want %d (SET, GET, MGET on 3 shards; not PING)", got, want)
	}
	if h.Sum() == 0 {
		t.Error("upstream_rq_time sums to 0 µs over 5 upstream requests")
	}
}

// serve starts the proxy's listener (startProxy's second half).
func (p *proxy) serve() {
	p.t.Cleanup(func() {
		p.f.Close()
		p.m.Close()
	})
	p.ln = proxytest.ServeConns(p.t, p.f)
	p.addr = p.ln.Addr().String()
}
