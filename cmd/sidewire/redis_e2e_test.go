package main

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// redisListenerYAML is a listener on 127.0.0.1:0 with one redis_proxy;
// body holds its fields after stat_prefix (prefix_routes, auth, ...).
func redisListenerYAML(name, body string) string {
	return fmt.Sprintf(`
  - name: %s
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.redis_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy
          stat_prefix: %s
          settings: {op_timeout: 2s}
%s
`, name, name, body)
}

// catchAllYAML routes every key to cluster.
func catchAllYAML(cluster string) string {
	return fmt.Sprintf(`          prefix_routes:
            catch_all_route: {cluster: %s}`, cluster)
}

// startShards starts n redis-servers.
func startShards(t *testing.T, n int) ([]*testpeer.Redis, []string) {
	var srvs []*testpeer.Redis
	var addrs []string
	for range n {
		s := testpeer.StartRedis(t)
		srvs = append(srvs, s)
		addrs = append(addrs, s.Addr())
	}
	return srvs, addrs
}

func newGoRedis(t *testing.T, opt *goredis.Options) *goredis.Client {
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRedisProxyClients drives the real binary with go-redis v9 (default
// options: RESP3, HELLO 3 and CLIENT SETINFO on connect) and redis-cli,
// and checks the Envoy stats move.
func TestRedisProxyClients(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startSidewire(t, bootstrapYAML(redisListenerYAML("cache", catchAllYAML("redis")),
		clusterYAML("redis", "ROUND_ROBIN", "", srv.Addr())))
	addr := p.listener("cache")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newGoRedis(t, &goredis.Options{Addr: addr})
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("SET", c.Set(ctx, "a", "1", 0).Err())
	if v, err := c.Get(ctx, "a").Result(); err != nil || v != "1" {
		t.Fatalf("GET = %q, %v", v, err)
	}
	must("MSET", c.MSet(ctx, "b", "2", "c", "3").Err())
	if v, err := c.MGet(ctx, "a", "b", "none", "c").Result(); err != nil || fmt.Sprint(v) != "[1 2 <nil> 3]" {
		t.Fatalf("MGET = %v, %v", v, err)
	}
	if n, err := c.Incr(ctx, "a").Result(); err != nil || n != 2 {
		t.Fatalf("INCR = %d, %v", n, err)
	}
	must("HSET", c.HSet(ctx, "h", "x", "1", "y", "2").Err())
	if h, err := c.HGetAll(ctx, "h").Result(); err != nil || !maps.Equal(h, map[string]string{"x": "1", "y": "2"}) {
		t.Fatalf("HGETALL = %v, %v", h, err)
	}
	if raw, err := c.Do(ctx, "HGETALL", "h").Result(); err != nil {
		t.Fatal(err)
	} else if _, ok := raw.(map[any]any); !ok {
		t.Errorf("raw HGETALL = %T, want a RESP3 map", raw)
	}
	if n, err := c.Del(ctx, "a", "b", "c", "none").Result(); err != nil || n != 3 {
		t.Fatalf("DEL = %d, %v", n, err)
	}

	_, port, _ := net.SplitHostPort(addr)
	cli := func(args ...string) string {
		out, err := exec.Command("redis-cli", append([]string{"-p", port}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s (install it with `apt-get install -y redis-tools`)", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := cli("ping"); got != "PONG" {
		t.Errorf("redis-cli ping = %q", got)
	}
	if got := cli("set", "cli-key", "cli value"); got != "OK" {
		t.Errorf("redis-cli set = %q", got)
	}
	if got := cli("get", "cli-key"); got != "cli value" {
		t.Errorf("redis-cli get = %q", got)
	}
	if got := p.stat("redis.cache.command.get.total"); got != 2 {
		t.Errorf("redis.cache.command.get.total = %d, want 2", got)
	}
	if got := p.stat("redis.cache.downstream_rq_total"); got < 12 {
		t.Errorf("redis.cache.downstream_rq_total = %d, want at least 12", got)
	}
	_, body := p.get("/stats/prometheus")
	for _, want := range []string{
		`envoy_redis_command_total{envoy_redis_prefix="cache",envoy_redis_command="get"} 2`,
		`sidewire_redis_commands_total{command="get",route="catch_all",status="ok"} 2`,
		`sidewire_redis_command_duration_seconds_count{command="get",route="catch_all"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/stats/prometheus lacks %q", want)
		}
	}
}

// keysPerShard returns, for each server, the keys among keys it holds,
// failing if a key is on none or several.
func keysPerShard(t *testing.T, addrs []string, keys []string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	where := map[string][]string{}
	found := map[string]int{}
	for _, a := range addrs {
		d := newGoRedis(t, &goredis.Options{Addr: a})
		for _, k := range keys {
			if n, err := d.Exists(ctx, k).Result(); err != nil {
				t.Fatal(err)
			} else if n == 1 {
				where[a] = append(where[a], k)
				found[k]++
			}
		}
	}
	for _, k := range keys {
		if found[k] != 1 {
			t.Fatalf("key %s is on %d shards, want exactly 1", k, found[k])
		}
	}
	return where
}

// TestRedisProxySharding spreads keys over three standalone servers with
// MAGLEV and RING_HASH clusters (one prefix each) and checks multi-key
// commands across them.
func TestRedisProxySharding(t *testing.T) {
	_, addrs := startShards(t, 3)
	p := startSidewire(t, bootstrapYAML(redisListenerYAML("shards", `          prefix_routes:
            routes:
            - {prefix: "m:", cluster: maglev}
            - {prefix: "r:", cluster: ring}`),
		clusterYAML("maglev", "MAGLEV", "", addrs...)+clusterYAML("ring", "RING_HASH", "", addrs...)))
	ctx := context.Background()
	c := newGoRedis(t, &goredis.Options{Addr: p.listener("shards")})
	for _, prefix := range []string{"m:", "r:"} {
		var keys []string
		for i := range 200 {
			k := fmt.Sprintf("%s%d", prefix, i)
			keys = append(keys, k)
			if err := c.Set(ctx, k, "v-"+k, 0).Err(); err != nil {
				t.Fatalf("SET %s: %v", k, err)
			}
		}
		where := keysPerShard(t, addrs, keys)
		for _, a := range addrs {
			if len(where[a]) < 20 {
				t.Errorf("%s keys: shard %s holds %d of 200", prefix, a, len(where[a]))
			}
		}
		// A key is found where it was put: GET agrees with the shard.
		for _, a := range addrs {
			for _, k := range where[a][:3] {
				if v, err := c.Get(ctx, k).Result(); err != nil || v != "v-"+k {
					t.Errorf("GET %s = %q, %v", k, v, err)
				}
			}
		}
		mget := []string{where[addrs[0]][0], where[addrs[1]][0], prefix + "missing", where[addrs[2]][0], where[addrs[0]][1]}
		vals, err := c.MGet(ctx, mget...).Result()
		want := fmt.Sprintf("[v-%s v-%s <nil> v-%s v-%s]", mget[0], mget[1], mget[3], mget[4])
		if err != nil || fmt.Sprint(vals) != want {
			t.Errorf("MGET across shards = %v, %v; want %s", vals, err, want)
		}
		if n, err := c.Del(ctx, append(keys[:100:100], prefix+"missing")...).Result(); err != nil || n != 100 {
			t.Errorf("DEL of 100 keys over 3 shards = %d, %v", n, err)
		}
	}
}

// TestRedisProxyPrefixRoutes sends two prefixes to two clusters, one
// stripping its prefix.
func TestRedisProxyPrefixRoutes(t *testing.T) {
	users, orders := testpeer.StartRedis(t), testpeer.StartRedis(t)
	p := startSidewire(t, bootstrapYAML(redisListenerYAML("app", `          prefix_routes:
            routes:
            - {prefix: "user:", remove_prefix: true, cluster: users}
            - {prefix: "order:", cluster: orders}`),
		clusterYAML("users", "ROUND_ROBIN", "", users.Addr())+clusterYAML("orders", "ROUND_ROBIN", "", orders.Addr())))
	ctx := context.Background()
	c := newGoRedis(t, &goredis.Options{Addr: p.listener("app")})
	if err := c.MSet(ctx, "user:42", "alice", "order:7", "book").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "other", "x", 0).Err(); err == nil || !strings.Contains(err.Error(), "no upstream host") {
		t.Errorf("SET without a route: %v, want no upstream host", err)
	}
	u, o := newGoRedis(t, &goredis.Options{Addr: users.Addr()}), newGoRedis(t, &goredis.Options{Addr: orders.Addr()})
	if v, _ := u.Get(ctx, "42").Result(); v != "alice" {
		t.Errorf("users holds %q under 42, want alice (prefix removed)", v)
	}
	if v, _ := o.Get(ctx, "order:7").Result(); v != "book" {
		t.Errorf("orders holds %q under order:7, want book", v)
	}
	if vals, err := c.MGet(ctx, "order:7", "user:42").Result(); err != nil || fmt.Sprint(vals) != "[book alice]" {
		t.Errorf("MGET = %v, %v", vals, err)
	}
}

// TestRedisProxyPipelinedLoad runs 50 clients, each sending pipelines of
// 1000 commands over three shards, and checks every reply.
func TestRedisProxyPipelinedLoad(t *testing.T) {
	_, addrs := startShards(t, 3)
	p := startSidewire(t, bootstrapYAML(redisListenerYAML("load", catchAllYAML("shards")),
		clusterYAML("shards", "MAGLEV", "", addrs...)))
	addr := p.listener("load")
	const clients, depth = 50, 1000
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- pipelineRound(ctx, addr, i, depth)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := p.stat("redis.load.command.incr.success"); got != clients*depth/2 {
		t.Errorf("command.incr.success = %d, want %d", got, clients*depth/2)
	}
	if got := p.stat("cluster.shards.upstream_cx_total"); got > 6 {
		t.Errorf("%d upstream connections for %d clients; pools are not shared", got, clients)
	}
}

// pipelineRound sends one pipeline of depth commands, alternating SET of
// a per-client key and INCR of a per-client counter, and checks each
// reply.
func pipelineRound(ctx context.Context, addr string, client, depth int) error {
	c := goredis.NewClient(&goredis.Options{Addr: addr, PoolSize: 1})
	defer c.Close()
	pipe := c.Pipeline()
	var sets []*goredis.StatusCmd
	var incrs []*goredis.IntCmd
	for j := 0; j < depth/2; j++ {
		sets = append(sets, pipe.Set(ctx, fmt.Sprintf("load:%d:%d", client, j), j, 0))
		incrs = append(incrs, pipe.Incr(ctx, fmt.Sprintf("load:%d:n", client)))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("client %d: %w", client, err)
	}
	for j := range sets {
		if sets[j].Val() != "OK" || incrs[j].Val() != int64(j+1) {
			return fmt.Errorf("client %d command %d: SET %q INCR %d, want OK and %d", client, j, sets[j].Val(), incrs[j].Val(), j+1)
		}
	}
	return nil
}

// TestRedisProxyShardDownAndBack kills one of three shards: commands for
// its keys fail, the others keep working; restarted on the same port it
// is used again.
func TestRedisProxyShardDownAndBack(t *testing.T) {
	srvs, addrs := startShards(t, 3)
	p := startSidewire(t, bootstrapYAML(redisListenerYAML("ha", catchAllYAML("shards")),
		clusterYAML("shards", "MAGLEV", "", addrs...)))
	ctx := context.Background()
	c := newGoRedis(t, &goredis.Options{Addr: p.listener("ha"), MaxRetries: -1})
	var keys []string
	for i := range 60 {
		k := fmt.Sprintf("ha:%d", i)
		keys = append(keys, k)
		if err := c.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	where := keysPerShard(t, addrs, keys)
	dead := map[string]bool{}
	for _, k := range where[addrs[2]] {
		dead[k] = true
	}
	srvs[2].Stop()
	for round := range 3 {
		for _, k := range keys {
			v, err := c.Get(ctx, k).Result()
			switch {
			case dead[k] && (err == nil || !strings.Contains(err.Error(), "upstream failure")):
				t.Fatalf("round %d: GET %s on the dead shard = %q, %v; want an upstream failure", round, k, v, err)
			case !dead[k] && (err != nil || v != k):
				t.Fatalf("round %d: GET %s on a live shard = %q, %v", round, k, v, err)
			}
		}
	}
	srvs[2].Restart(t)
	k := where[addrs[2]][0]
	eventually(t, 15*time.Second, "the restarted shard is used again", func() error {
		return c.Set(ctx, k, "back", 0).Err()
	})
	if v, err := newGoRedis(t, &goredis.Options{Addr: addrs[2]}).Get(ctx, k).Result(); err != nil || v != "back" {
		t.Errorf("restarted shard holds %q, %v for %s", v, err, k)
	}
}

// TestRedisProxyMalformedInput closes only the connection that sent
// bytes that are not RESP, after Redis's protocol error reply.
func TestRedisProxyMalformedInput(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startSidewire(t, bootstrapYAML(redisListenerYAML("bad", catchAllYAML("redis")),
		clusterYAML("redis", "ROUND_ROBIN", "", srv.Addr())))
	addr := p.listener("bad")
	ctx := context.Background()
	good := newGoRedis(t, &goredis.Options{Addr: addr})
	if err := good.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("*2\r\n$3\r\nGET\r\n$-5\r\n")); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	line, err := rd.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "-ERR Protocol error: ") {
		t.Fatalf("reply = %q, %v; want -ERR Protocol error: ...", line, err)
	}
	if rest, err := rd.ReadString('\n'); err == nil {
		t.Fatalf("connection still open: read %q", rest)
	}
	if v, err := good.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("another connection after the protocol error: GET = %q, %v", v, err)
	}
	eventually(t, 5*time.Second, "the protocol error counted", func() error {
		if got := p.stat("redis.bad.downstream_cx_protocol_error"); got != 1 {
			return fmt.Errorf("downstream_cx_protocol_error = %d", got)
		}
		return nil
	})
}

// TestRedisProxyAuth requires clients to AUTH and authenticates upstream
// connections to a redis-server with requirepass.
func TestRedisProxyAuth(t *testing.T) {
	srv := testpeer.StartRedis(t)
	ctx := context.Background()
	// testpeer pings without a password: require one once it is up.
	if err := newGoRedis(t, &goredis.Options{Addr: srv.Addr()}).ConfigSet(ctx, "requirepass", "up-pw").Err(); err != nil {
		t.Fatal(err)
	}
	p := startSidewire(t, bootstrapYAML(redisListenerYAML("auth", catchAllYAML("redis")+`
          downstream_auth_passwords: [{inline_string: down-pw}]`),
		clusterYAML("redis", "ROUND_ROBIN", `
    typed_extension_protocol_options:
      envoy.filters.network.redis_proxy:
        "@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions
        auth_password: {inline_string: up-pw}`, srv.Addr())))
	addr := p.listener("auth")
	anon := newGoRedis(t, &goredis.Options{Addr: addr, MaxRetries: -1})
	if err := anon.Get(ctx, "k").Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("GET without AUTH: %v, want NOAUTH", err)
	}
	wrong := newGoRedis(t, &goredis.Options{Addr: addr, Password: "nope", MaxRetries: -1})
	if err := wrong.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("PING with a wrong password: %v, want WRONGPASS", err)
	}
	for _, proto := range []int{3, 2} {
		c := newGoRedis(t, &goredis.Options{Addr: addr, Password: "down-pw", Protocol: proto})
		if err := c.Set(ctx, "k", proto, 0).Err(); err != nil {
			t.Fatalf("RESP%d SET through upstream AUTH: %v", proto, err)
		}
		if v, err := c.Get(ctx, "k").Result(); err != nil || v != fmt.Sprint(proto) {
			t.Errorf("RESP%d GET = %q, %v", proto, v, err)
		}
	}
}
