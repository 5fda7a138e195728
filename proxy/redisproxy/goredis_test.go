package redisproxy

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/proxy/config"
)

func newGoRedis(t *testing.T, opt *goredis.Options) *goredis.Client {
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestGoRedis drives the proxy with go-redis v9's default options (RESP3:
// HELLO 3 and CLIENT SETINFO on every connection) and with RESP2, over
// three shards.
func TestGoRedis(t *testing.T) {
	_, addrs := startShards(t, 3)
	cfg := catchAll("shards")
	cfg.DownstreamAuthPasswords = [][]byte{[]byte("pw")}
	p := startProxy(t, cfg, staticCluster("shards", config.Maglev, addrs...))
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := newGoRedis(t, &goredis.Options{Addr: p.addr, Password: "pw", Protocol: proto})
			pre := fmt.Sprintf("p%d:", proto)
			if err := c.Set(ctx, pre+"a", "1", 0).Err(); err != nil {
				t.Fatalf("SET: %v", err)
			}
			if v, err := c.Get(ctx, pre+"a").Result(); err != nil || v != "1" {
				t.Fatalf("GET = %q, %v", v, err)
			}
			if err := c.Get(ctx, pre+"missing").Err(); err != goredis.Nil {
				t.Fatalf("GET missing: %v, want redis.Nil", err)
			}
			if err := c.MSet(ctx, pre+"b", "2", pre+"c", "3", pre+"d", "4").Err(); err != nil {
				t.Fatalf("MSET: %v", err)
			}
			vals, err := c.MGet(ctx, pre+"a", pre+"b", pre+"nope", pre+"c", pre+"d").Result()
			if err != nil || fmt.Sprint(vals) != "[1 2 <nil> 3 4]" {
				t.Fatalf("MGET = %v, %v", vals, err)
			}
			if n, err := c.Incr(ctx, pre+"a").Result(); err != nil || n != 2 {
				t.Fatalf("INCR = %d, %v", n, err)
			}
			if err := c.HSet(ctx, pre+"h", "f1", "v1", "f2", "v2").Err(); err != nil {
				t.Fatalf("HSET: %v", err)
			}
			h, err := c.HGetAll(ctx, pre+"h").Result()
			if err != nil || !maps.Equal(h, map[string]string{"f1": "v1", "f2": "v2"}) {
				t.Fatalf("HGETALL = %v, %v", h, err)
			}
			// The raw reply shows the protocol: a map in RESP3.
			raw, err := c.Do(ctx, "HGETALL", pre+"h").Result()
			if _, isMap := raw.(map[any]any); err != nil || isMap != (proto == 3) {
				t.Errorf("raw HGETALL = %T %v, %v; want a map exactly in RESP3", raw, raw, err)
			}
			if n, err := c.Del(ctx, pre+"a", pre+"b", pre+"c", pre+"d", pre+"nope").Result(); err != nil || n != 4 {
				t.Fatalf("DEL = %d, %v", n, err)
			}
		})
	}
	if p.cmdCounter("hello", "success") == 0 || p.cmdCounter("client", "success") == 0 {
		t.Errorf("go-redis's HELLO and CLIENT SETINFO were not served: hello %d client %d",
			p.cmdCounter("hello", "success"), p.cmdCounter("client", "success"))
	}
}

// TestConcurrentPipelines runs pipelines from many clients over three
// shards and checks every reply.
func TestConcurrentPipelines(t *testing.T) {
	_, addrs := startShards(t, 3)
	p := startProxy(t, catchAll("shards"), staticCluster("shards", config.RingHash, addrs...))
	const clients, depth = 20, 300
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := goredis.NewClient(&goredis.Options{Addr: p.addr, PoolSize: 1})
			defer c.Close()
			pipe := c.Pipeline()
			var gets []*goredis.StringCmd
			for j := range depth {
				k := fmt.Sprintf("c%d:k%d", i, j)
				pipe.Set(ctx, k, k+"-v", 0)
				gets = append(gets, pipe.Get(ctx, k))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			for j, g := range gets {
				if want := fmt.Sprintf("c%d:k%d-v", i, j); g.Val() != want {
					errs <- fmt.Errorf("client %d: GET %d = %q, want %q", i, j, g.Val(), want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := p.cmdCounter("get", "success"), uint64(clients*depth); got != want {
		t.Errorf("command.get.success = %d, want %d", got, want)
	}
	if err := p.store.Lint(); err != nil {
		t.Errorf("stats lint: %v", err)
	}
}
