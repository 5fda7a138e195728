package redisproxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
)

// eventually polls f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDeadShard kills one of three shards: commands for its keys fail,
// the others keep working, MGET reports errors only at its keys'
// positions; once it is back on the same port it is used again.
func TestDeadShard(t *testing.T) {
	srvs, addrs := startShards(t, 3)
	p := startProxy(t, catchAll("shards"), staticCluster("shards", config.Maglev, addrs...))
	c := dial(t, p.addr)
	cl := p.m.Get("shards")
	var keys []string
	onDead := map[string]bool{}
	for i := range 60 {
		k := fmt.Sprintf("k%d", i)
		keys = append(keys, k)
		if got := c.do("SET", k, k); got != "+OK\r\n" {
			t.Fatal(got)
		}
		h, _ := cl.Pick(cluster.LBContext{Hash: keyHash([]byte(k), false), HasHash: true})
		onDead[k] = h.Address().String() == addrs[1]
	}
	srvs[1].Stop()
	mget := []string{"MGET"}
	var want []string
	for _, k := range keys {
		got := c.do("GET", k)
		switch {
		case onDead[k] && !strings.HasPrefix(got, "-ERR upstream failure: "):
			t.Errorf("GET %s on the dead shard = %q, want an upstream failure", k, got)
		case !onDead[k] && got != bulk(k):
			t.Errorf("GET %s on a live shard = %q", k, got)
		}
		mget = append(mget, k)
		want = append(want, map[bool]string{true: "-", false: bulk(k)}[onDead[k]])
	}
	elems, ok := splitArray(nil, []byte(c.do(mget...)), len(keys))
	if !ok {
		t.Fatalf("MGET reply is not an array of %d", len(keys))
	}
	for i, e := range elems {
		if onDead[keys[i]] != strings.HasPrefix(string(e), "-ERR upstream failure") || !onDead[keys[i]] && string(e) != want[i] {
			t.Errorf("MGET element %d (%s, dead shard %v) = %q", i, keys[i], onDead[keys[i]], e)
		}
	}
	if got := c.do(append([]string{"DEL"}, keys...)...); !strings.HasPrefix(got, "-ERR upstream failure") {
		t.Errorf("DEL across a dead shard = %q, want the shard's error", got)
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Errorf("connection unusable after upstream failures: PING = %q", got)
	}

	srvs[1].Restart(t)
	var deadKey string
	for _, k := range keys {
		if onDead[k] {
			deadKey = k
			break
		}
	}
	eventually(t, 10*time.Second, "the restarted shard serves again", func() error {
		if got := c.do("SET", deadKey, "back"); got != "+OK\r\n" {
			return fmt.Errorf("SET = %q", got)
		}
		return nil
	})
	if got := dial(t, addrs[1]).do("GET", deadKey); got != bulk("back") {
		t.Errorf("restarted shard holds %q for %s", got, deadKey)
	}
}

// TestOpTimeout answers a command whose upstream stalls past op_timeout
// with an error, and keeps the connection and the pool usable.
func TestOpTimeout(t *testing.T) {
	srv := testpeer.StartRedis(t, "--enable-debug-command", "yes")
	cfg := catchAll("redis")
	cfg.Settings.OpTimeout = 200 * time.Millisecond
	p := startProxy(t, cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	if got := c.do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	d := dial(t, srv.Addr())
	d.send("DEBUG SLEEP 1\r\n")
	time.Sleep(50 * time.Millisecond)
	if got := c.do("GET", "k"); !strings.HasPrefix(got, "-ERR upstream failure: ") || !strings.Contains(got, "timed out") {
		t.Errorf("GET on a stalled upstream = %q, want a timeout error", got)
	}
	d.reply()
	eventually(t, 5*time.Second, "GET after the stall", func() error {
		if got := c.do("GET", "k"); got != bulk("v") {
			return fmt.Errorf("GET = %q", got)
		}
		return nil
	})
}

// TestMalformedInput answers bytes that can never be a command with
// Redis's protocol error and closes that connection only.
func TestMalformedInput(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	good := dial(t, p.addr)
	good.do("SET", "k", "v")
	bad := dial(t, p.addr)
	bad.send("*2\r\n$3\r\nGET\r\n$-5\r\n")
	if got := bad.reply(); got != "-ERR Protocol error: invalid bulk length\r\n" {
		t.Errorf("reply to malformed input = %q", got)
	}
	if r, err := bad.readReply(); err == nil {
		t.Errorf("connection open after a protocol error: %q", r)
	}
	if got := good.do("GET", "k"); got != bulk("v") {
		t.Errorf("other connection after a protocol error: GET = %q", got)
	}
	eventually(t, 2*time.Second, "protocol error counted", func() error {
		if n := p.counter("downstream_cx_protocol_error"); n != 1 {
			return fmt.Errorf("downstream_cx_protocol_error = %d", n)
		}
		return nil
	})
}

// TestUpstreamAuth authenticates upstream connections with the cluster's
// RedisProtocolOptions, in RESP2 (AUTH) and RESP3 (HELLO 3 AUTH).
func TestUpstreamAuth(t *testing.T) {
	srv := testpeer.StartRedis(t)
	// testpeer pings without a password: require one only once it is up.
	if got := dial(t, srv.Addr()).do("CONFIG", "SET", "requirepass", "upstream-pw"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	good := staticCluster("good", config.RoundRobin, srv.Addr())
	good.ProtocolOptions = map[string]any{config.RedisProxyFilter: &config.RedisProtocolOptions{AuthPassword: []byte("upstream-pw")}}
	bad := staticCluster("bad", config.RoundRobin, srv.Addr())
	bad.ProtocolOptions = map[string]any{config.RedisProxyFilter: &config.RedisProtocolOptions{AuthPassword: []byte("nope")}}
	cfg := &config.RedisProxy{Routes: config.RedisPrefixRoutes{
		Routes:   []config.RedisRoute{{Prefix: "bad:", Cluster: "bad"}},
		CatchAll: &config.RedisRoute{Cluster: "good"},
	}}
	p := startProxy(t, cfg, good, bad)
	c := dial(t, p.addr)
	if got := c.do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET through an authenticated upstream = %q", got)
	}
	if got := c.do("HELLO", "3"); got[0] != '%' {
		t.Fatal(got)
	}
	if got := c.do("GET", "k"); got != bulk("v") {
		t.Errorf("GET over a RESP3 upstream = %q", got)
	}
	if got := c.do("GET", "bad:k"); !strings.HasPrefix(got, "-ERR upstream failure: ") || !strings.Contains(got, "WRONGPASS") {
		t.Errorf("GET through a wrong upstream password = %q", got)
	}
}

// TestPoolsSharedAndSwept serves many client connections over one
// upstream connection per RESP version, and closes the pools of hosts
// that leave the cluster.
func TestPoolsSharedAndSwept(t *testing.T) {
	a, b := testpeer.StartRedis(t), testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, a.Addr()))
	cxTotal := p.store.Root().Sub("cluster").Tagged("envoy_cluster_name", "redis").Counter("upstream_cx_total")
	cxActive := p.store.Root().Sub("cluster").Tagged("envoy_cluster_name", "redis").Gauge("upstream_cx_active")
	for i := range 20 {
		c := dial(t, p.addr)
		if i == 0 {
			c.do("HELLO", "3")
		}
		if got := c.do("SET", "k", "v"); got != "+OK\r\n" {
			t.Fatal(got)
		}
	}
	if n := cxTotal.Value(); n != 2 {
		t.Errorf("upstream_cx_total = %d for 20 clients, want 2 (one RESP2, one RESP3)", n)
	}
	if err := p.m.Update([]*config.Cluster{staticCluster("redis", config.RoundRobin, b.Addr())}); err != nil {
		t.Fatal(err)
	}
	c := dial(t, p.addr)
	if got := c.do("GET", "k"); got != "$-1\r\n" {
		t.Errorf("GET after the cluster moved = %q, want the new host's miss", got)
	}
	eventually(t, 5*time.Second, "old pools closed", func() error {
		if n, active := p.f.ups.len(), cxActive.Value(); n != 1 || active != 1 {
			return fmt.Errorf("%d pools, %d upstream connections", n, active)
		}
		return nil
	})
}
