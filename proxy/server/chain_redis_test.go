package server

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// A chain's Redis command policy reaches its redis_proxy, which enforces
// it.
func TestRedisCommandPolicyChain(t *testing.T) {
	leakcheck.Check(t)
	srv := testpeer.StartRedis(t)
	s := newServer(t)
	rp := &config.RedisProxy{StatPrefix: "r", Settings: config.RedisSettings{OpTimeout: time.Second},
		Routes: config.RedisPrefixRoutes{CatchAll: &config.RedisRoute{Cluster: "redis"}}}
	policy := &config.RedisCommandPolicy{Default: config.RedisCommandRules{Deny: []string{"KEYS"}}}
	snap := &config.Snapshot{
		Listeners: []*config.Listener{{Name: "redis", Address: config.Address{Host: "127.0.0.1"},
			FilterChains: []*config.FilterChain{{Filters: []config.NetworkFilter{policy, rp}}}}},
		Clusters: []*config.Cluster{{Name: "redis", Type: config.Static, ConnectTimeout: time.Second,
			LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{
				Endpoints: []config.Endpoint{{Address: config.Address{Host: "127.0.0.1", Port: uint32(srv.Port)}, Weight: 1}},
			}}}}},
	}
	if err := s.Apply(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addrOf(t, s, "redis"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewReader(c)
	for _, tc := range []struct{ req, want string }{
		{"KEYS *\r\n", "-NOPERM command 'keys' is not allowed by the proxy's command policy\r\n"},
		{"SET k v\r\n", "+OK\r\n"},
		{"EXISTS k\r\n", ":1\r\n"},
	} {
		if _, err := c.Write([]byte(tc.req)); err != nil {
			t.Fatal(err)
		}
		line, err := rd.ReadString('\n')
		if err != nil || line != tc.want {
			t.Fatalf("%q = %q, %v; want %q", tc.req, line, err, tc.want)
		}
	}
}
