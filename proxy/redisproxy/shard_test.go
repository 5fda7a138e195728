package redisproxy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
)

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

// TestConsistentHashSharding writes keys through the proxy to three
// standalone servers and checks each key is stored exactly where the
// cluster's hash places it, that every server got a share, and that the
// multi-key commands fan out and merge in key order.
func TestConsistentHashSharding(t *testing.T) {
	for _, policy := range []config.LBPolicy{config.Maglev, config.RingHash} {
		t.Run(policy.String(), func(t *testing.T) {
			srvs, addrs := startShards(t, 3)
			p := startProxy(t, catchAll("shards"), staticCluster("shards", policy, addrs...))
			c := dial(t, p.addr)
			const n = 300
			var keys []string
			for i := range n {
				k := fmt.Sprintf("user:%d", i)
				keys = append(keys, k)
				if got := c.do("SET", k, "v"+k); got != "+OK\r\n" {
					t.Fatalf("SET %s = %q", k, got)
				}
			}
			cl := p.m.Get("shards")
			direct := make(map[string]*conn)
			for _, s := range srvs {
				direct[s.Addr()] = dial(t, s.Addr())
			}
			perShard := map[string]int{}
			for _, k := range keys {
				h, err := cl.Pick(cluster.LBContext{Hash: keyHash([]byte(k), false), HasHash: true})
				if err != nil {
					t.Fatal(err)
				}
				want := h.Address().String()
				for addr, d := range direct {
					got := d.do("EXISTS", k)
					if (addr == want) != (got == ":1\r\n") {
						t.Fatalf("key %s: EXISTS on %s = %q; the hash places it on %s", k, addr, got, want)
					}
				}
				perShard[want]++
			}
			for _, a := range addrs {
				if perShard[a] < n/10 {
					t.Errorf("shard %s holds %d of %d keys: %v", a, perShard[a], n, perShard)
				}
			}

			// MGET across every shard, in key order, with misses.
			args := []string{"MGET"}
			var want []string
			for i := 0; i < n; i += 7 {
				args = append(args, keys[i], "missing:"+keys[i])
				want = append(want, bulk("v"+keys[i]), "$-1\r\n")
			}
			if got := c.do(args...); got != respArray(want...) {
				t.Errorf("MGET across shards = %.200q..., want %.200q...", got, respArray(want...))
			}
			// MSET, EXISTS and DEL sum across shards.
			mset := []string{"MSET"}
			for i := range 30 {
				mset = append(mset, fmt.Sprintf("m:%d", i), fmt.Sprint(i))
			}
			if got := c.do(mset...); got != "+OK\r\n" {
				t.Fatalf("MSET = %q", got)
			}
			if got := c.do("GET", "m:17"); got != bulk("17") {
				t.Errorf("GET m:17 after MSET = %q", got)
			}
			if got := c.do("EXISTS", "m:1", "m:2", "nope", "m:3", "m:1"); got != ":4\r\n" {
				t.Errorf("EXISTS = %q, want :4", got)
			}
			del := append([]string{"DEL"}, keys[:50]...)
			if got := c.do(append(del, "nope")...); got != ":50\r\n" {
				t.Errorf("DEL of 50 keys = %q, want :50", got)
			}
			if got := c.do("MGET", keys[0], keys[60]); got != respArray("$-1\r\n", bulk("v"+keys[60])) {
				t.Errorf("MGET after DEL = %q", got)
			}
			if p.cmdCounter("mget", "success") != 2 || p.cmdCounter("del", "total") != 1 {
				t.Errorf("command stats: mget.success %d del.total %d", p.cmdCounter("mget", "success"), p.cmdCounter("del", "total"))
			}
		})
	}
}

// TestMultiKeyCommandsStayOnOneHost refuses keyed commands whose keys
// live on different hosts, and serves them with hash tags.
func TestMultiKeyCommandsStayOnOneHost(t *testing.T) {
	_, addrs := startShards(t, 3)
	cfg := catchAll("shards")
	cfg.Settings.EnableHashtagging = true
	p := startProxy(t, cfg, staticCluster("shards", config.Maglev, addrs...))
	c := dial(t, p.addr)
	cl := p.m.Get("shards")
	// Find two keys on different hosts.
	host := func(k string) *cluster.Host {
		h, _ := cl.Pick(cluster.LBContext{Hash: keyHash([]byte(k), true), HasHash: true})
		return h
	}
	a, b := "a0", ""
	for i := 1; b == ""; i++ {
		if k := fmt.Sprintf("a%d", i); host(k) != host(a) {
			b = k
		}
	}
	c.do("SET", a, "1")
	if got := c.do("RENAME", a, b); !strings.HasPrefix(got, "-CROSSSLOT") {
		t.Errorf("RENAME across hosts = %q, want -CROSSSLOT", got)
	}
	if got := c.do("SINTERSTORE", "dst", a, b); !strings.HasPrefix(got, "-CROSSSLOT") {
		t.Errorf("SINTERSTORE across hosts = %q, want -CROSSSLOT", got)
	}
	c.do("SET", "{t}a", "1")
	if got := c.do("RENAME", "{t}a", "{t}b"); got != "+OK\r\n" {
		t.Errorf("RENAME within a hash tag = %q", got)
	}
	if got := c.do("GET", "{t}b"); got != bulk("1") {
		t.Errorf("GET {t}b = %q", got)
	}
	// EVAL routes by its first key; with no key it goes anywhere.
	if got := c.do("EVAL", "return redis.call('GET', KEYS[1])", "1", "{t}b"); got != bulk("1") {
		t.Errorf("EVAL with a key = %q", got)
	}
	if got := c.do("EVAL", "return 7", "0"); got != ":7\r\n" {
		t.Errorf("EVAL without keys = %q", got)
	}
	if got := c.do("EVAL", "return 1", "2", a, b); !strings.HasPrefix(got, "-CROSSSLOT") {
		t.Errorf("EVAL with keys on two hosts = %q", got)
	}
}
