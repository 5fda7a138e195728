package redisproxy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/proxy/config"
)

// SCAN through the proxy walks three shards with one cursor and returns
// each of 10k keys exactly once; MATCH and TYPE pass through; KEYS,
// DBSIZE, RANDOMKEY, FLUSHDB and FLUSHALL cover every shard.
func TestKeylessAcrossShards(t *testing.T) {
	srvs, addrs := startShards(t, 3)
	p := startProxy(t, catchAll("shards"), staticCluster("shards", config.Maglev, addrs...))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newGoRedis(t, &goredis.Options{Addr: p.addr})
	const n = 10000
	want := make(map[string]bool, n)
	pipe := c.Pipeline()
	for i := range n {
		k := fmt.Sprintf("key:%05d", i)
		want[k] = true
		pipe.Set(ctx, k, i, 0)
		if i%1000 == 999 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatalf("SET: %v", err)
			}
		}
	}
	if err := c.RPush(ctx, "a-list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	for _, s := range srvs {
		if m := dial(t, s.Addr()).do("DBSIZE"); m == ":0\r\n" {
			t.Fatalf("shard %s holds no key", s.Addr())
		}
	}

	seen := map[string]int{}
	it := c.Scan(ctx, 0, "key:*", 500).Iterator()
	for it.Next(ctx) {
		seen[it.Val()]++
	}
	if err := it.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	if len(seen) != n {
		t.Errorf("SCAN returned %d distinct keys, want %d", len(seen), n)
	}
	for k, times := range seen {
		if !want[k] || times != 1 {
			t.Fatalf("SCAN returned %q %d times", k, times)
		}
	}
	var lists []string
	it = c.ScanType(ctx, 0, "", 1000, "list").Iterator()
	for it.Next(ctx) {
		lists = append(lists, it.Val())
	}
	if it.Err() != nil || !slices.Equal(lists, []string{"a-list"}) {
		t.Errorf("SCAN TYPE list = %v, %v", lists, it.Err())
	}

	keys, err := c.Keys(ctx, "key:00*").Result()
	if err != nil || len(keys) != 1000 {
		t.Errorf("KEYS key:00* = %d keys, %v; want 1000", len(keys), err)
	}
	if got, err := c.DBSize(ctx).Result(); err != nil || got != n+1 {
		t.Errorf("DBSIZE = %d, %v; want %d", got, err, n+1)
	}
	if k, err := c.RandomKey(ctx).Result(); err != nil || !want[k] && k != "a-list" {
		t.Errorf("RANDOMKEY = %q, %v", k, err)
	}
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("FLUSHDB: %v", err)
	}
	if got, err := c.DBSize(ctx).Result(); err != nil || got != 0 {
		t.Errorf("DBSIZE after FLUSHDB = %d, %v", got, err)
	}
	if err := c.RandomKey(ctx).Err(); err != goredis.Nil {
		t.Errorf("RANDOMKEY on empty shards: %v, want redis.Nil", err)
	}
	c.Set(ctx, "one", "1", 0)
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
	if got, _ := c.DBSize(ctx).Result(); got != 0 {
		t.Errorf("DBSIZE after FLUSHALL = %d", got)
	}

	raw := dial(t, p.addr)
	for _, tc := range []struct{ args, want string }{
		{"SCAN nope", "-ERR invalid cursor\r\n"},
		{fmt.Sprintf("SCAN %d", uint64(3)<<scanShift), "-ERR invalid cursor\r\n"},
		{"SCAN 0 COUNT 10", respArray(bulk(fmt.Sprint(uint64(1)<<scanShift)), "*0\r\n")},
	} {
		if got := raw.do(strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.args, got, tc.want)
		}
	}
}
