package redisproxy

import (
	"testing"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

func TestRouteAppendKey(t *testing.T) {
	for _, tc := range []struct {
		cfg  config.RedisRoute
		key  string
		want string
	}{
		{config.RedisRoute{Prefix: "a:"}, "a:1", "a:1"},
		{config.RedisRoute{Prefix: "a:", RemovePrefix: true}, "a:1", "1"},
		{config.RedisRoute{Prefix: "a:", RemovePrefix: true, KeyFormatter: "{%KEY%}-x"}, "a:1", "{1}-x"},
		{config.RedisRoute{KeyFormatter: "%KEY%:%KEY%"}, "k", "k:k"},
		{config.RedisRoute{Prefix: "AB", RemovePrefix: true}, "ab:1", ":1"}, // case-insensitive match
	} {
		r := newRoute(&tc.cfg, tc.cfg.Prefix, 0)
		if got := string(r.appendKey(nil, []byte(tc.key))); got != tc.want {
			t.Errorf("%+v: appendKey(%q) = %q, want %q", tc.cfg, tc.key, got, tc.want)
		}
	}
}

// TestPrefixRoutes sends keys by prefix to two clusters, stripping the
// prefix on one route and formatting keys on another; keys matching no
// prefix fail without a catch-all.
func TestPrefixRoutes(t *testing.T) {
	users, carts := testpeer.StartRedis(t), testpeer.StartRedis(t)
	cfg := &config.RedisProxy{Routes: config.RedisPrefixRoutes{
		CaseInsensitive: true,
		Routes: []config.RedisRoute{
			{Prefix: "user:", RemovePrefix: true, Cluster: "users"},
			{Prefix: "user:vip:", Cluster: "carts"},
			{Prefix: "cart:", Cluster: "carts", KeyFormatter: "{%KEY%}"},
		},
	}}
	p := startProxy(t, cfg,
		staticCluster("users", config.RoundRobin, users.Addr()),
		staticCluster("carts", config.RoundRobin, carts.Addr()))
	c := dial(t, p.addr)
	u, k := dial(t, users.Addr()), dial(t, carts.Addr())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SET", "user:1", "alice"}, "+OK\r\n"},
		{[]string{"SET", "USER:2", "bob"}, "+OK\r\n"},
		{[]string{"SET", "user:vip:3", "carol"}, "+OK\r\n"},
		{[]string{"SET", "cart:9", "apples"}, "+OK\r\n"},
		{[]string{"GET", "user:1"}, bulk("alice")},
		{[]string{"MGET", "user:1", "cart:9", "user:vip:3", "other"}, respArray(bulk("alice"), bulk("apples"), bulk("carol"), "-ERR no upstream host\r\n")},
		{[]string{"GET", "other"}, "-ERR no upstream host\r\n"},
		{[]string{"MSET", "user:5", "e", "other", "x"}, "-ERR no upstream host\r\n"},
		{[]string{"MSET", "user:5", "e", "cart:5", "f"}, "+OK\r\n"},
		{[]string{"RENAME", "user:1", "user:10"}, "+OK\r\n"},
		{[]string{"EXISTS", "user:10", "cart:5", "user:5"}, ":3\r\n"},
	} {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
		}
	}
	// What the upstreams store.
	for _, tc := range []struct {
		c    *conn
		key  string
		want string
	}{
		{u, "10", bulk("alice")},
		{u, "2", bulk("bob")},
		{u, "5", bulk("e")},
		{k, "user:vip:3", bulk("carol")},
		{k, "{cart:9}", bulk("apples")},
		{k, "{cart:5}", bulk("f")},
		{u, "user:10", "$-1\r\n"},
	} {
		if got := tc.c.do("GET", tc.key); got != tc.want {
			t.Errorf("upstream GET %q = %q, want %q", tc.key, got, tc.want)
		}
	}
}

// TestReadCommandPolicy sends read-only commands to the route's read
// cluster.
func TestReadCommandPolicy(t *testing.T) {
	primary, replica := testpeer.StartRedis(t), testpeer.StartRedis(t)
	cfg := &config.RedisProxy{Routes: config.RedisPrefixRoutes{
		CatchAll: &config.RedisRoute{Cluster: "primary", ReadCluster: "replica"},
	}}
	p := startProxy(t, cfg,
		staticCluster("primary", config.RoundRobin, primary.Addr()),
		staticCluster("replica", config.RoundRobin, replica.Addr()))
	dial(t, replica.Addr()).do("SET", "k", "from-replica")
	c := dial(t, p.addr)
	if got := c.do("SET", "k", "written"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.do("GET", "k"); got != bulk("from-replica") {
		t.Errorf("GET = %q, want the read cluster's value", got)
	}
	if got := dial(t, primary.Addr()).do("GET", "k"); got != bulk("written") {
		t.Errorf("primary GET = %q, want the write", got)
	}
}
