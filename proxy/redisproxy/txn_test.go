package redisproxy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/proxy/config"
)

// go-redis's optimistic locking (WATCH, then MULTI/EXEC in
// TxPipelined) works through the proxy over three shards: concurrent
// increments retried on conflict add up exactly.
func TestTransactionsGoRedis(t *testing.T) {
	_, addrs := startShards(t, 3)
	p := startProxy(t, catchAll("shards"), staticCluster("shards", config.Maglev, addrs...))
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := newGoRedis(t, &goredis.Options{Addr: p.addr, Protocol: proto, PoolSize: 8})
			keys := []string{fmt.Sprintf("ctr%d:a", proto), fmt.Sprintf("ctr%d:b", proto), fmt.Sprintf("ctr%d:c", proto)}
			incr := func(key string) error {
				for {
					err := c.Watch(ctx, func(tx *goredis.Tx) error {
						n, err := tx.Get(ctx, key).Int()
						if err != nil && err != goredis.Nil {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
							pipe.Set(ctx, key, n+1, 0)
							return nil
						})
						return err
					}, key)
					if err != goredis.TxFailedErr {
						return err
					}
				}
			}
			const workers, each = 4, 25
			var wg sync.WaitGroup
			errs := make(chan error, workers*len(keys))
			for _, key := range keys {
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range each {
							if err := incr(key); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("increment: %v", err)
			}
			for _, key := range keys {
				if n, err := c.Get(ctx, key).Int(); err != nil || n != workers*each {
					t.Errorf("%s = %d, %v; want %d", key, n, err, workers*each)
				}
			}
		})
	}
}

// WATCH, MULTI and EXEC on a raw connection: a conflicting write makes
// EXEC answer nil; a key on another host is refused with -CROSSSLOT and
// EXEC then aborts; commands without a key wait for the transaction's
// host; DISCARD drops what was queued.
func TestTransactionsRaw(t *testing.T) {
	srvs, addrs := startShards(t, 3)
	p := startProxy(t, catchAll("shards"), staticCluster("shards", config.Maglev, addrs...))
	c := dial(t, p.addr)
	a, b := p.keysOnOtherHosts("shards", "tx:")
	direct := map[string]*conn{}
	for _, s := range srvs {
		direct[s.Addr()] = dial(t, s.Addr())
	}
	onA := direct[p.hostOf("shards", a)]
	a2 := p.keyWith("shards", a, "tx:n")

	// A conflict: EXEC answers nil and nothing runs.
	steps := []struct{ args, want string }{
		{"WATCH " + a, "+OK\r\n"},
		{"GET " + a, "$-1\r\n"},
		{"MULTI", "+OK\r\n"},
		{"SET " + a + " mine", "+QUEUED\r\n"},
		{"EXEC", "*-1\r\n"},
		{"GET " + a, bulk("theirs")},
	}
	for i, s := range steps {
		if i == 2 {
			onA.do("SET", a, "theirs")
		}
		if got := c.do(strings.Fields(s.args)...); got != s.want {
			t.Fatalf("%s = %q, want %q", s.args, got, s.want)
		}
	}

	// No conflict: the queued commands run, keyless ones included.
	for _, s := range []struct{ args, want string }{
		{"WATCH " + a, "+OK\r\n"},
		{"MULTI", "+OK\r\n"},
		{"PING", "+QUEUED\r\n"},
		{"INCR " + a2, "+QUEUED\r\n"},
		{"GET " + a, "+QUEUED\r\n"},
		{"EXEC", respArray("+PONG\r\n", ":1\r\n", bulk("theirs"))},
		// MULTI without WATCH, the host fixed by the first key.
		{"MULTI", "+OK\r\n"},
		{"ECHO hi", "+QUEUED\r\n"},
		{"SET " + b + " 1", "+QUEUED\r\n"},
		{"SET " + a + " 2", "-CROSSSLOT Keys in request don't map to the same upstream host\r\n"},
		{"NOSUCHCMD", "-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n"},
		{"EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{"EXISTS " + b, ":0\r\n"},
		{"MULTI", "+OK\r\n"},
		{"MULTI", "-ERR MULTI calls can not be nested\r\n"},
		{"SET " + b + " 1", "+QUEUED\r\n"},
		{"DISCARD", "+OK\r\n"},
		{"EXISTS " + b, ":0\r\n"},
		{"EXEC", "-ERR EXEC without MULTI\r\n"},
		{"DISCARD", "-ERR DISCARD without MULTI\r\n"},
		{"MULTI", "+OK\r\n"},
		{"EXEC", "*0\r\n"},
		{"UNWATCH", "+OK\r\n"},
	} {
		if got := c.do(strings.Fields(s.args)...); got != s.want {
			t.Fatalf("%s = %q, want %q", s.args, got, s.want)
		}
	}
	if n := p.counter("transaction.aborted"); n != 1 {
		t.Errorf("transaction.aborted = %d, want 1", n)
	}

	// A transaction pipelined in one write, and a read pipelined behind
	// EXEC, which sees its write.
	c.send(string(cmd("MULTI")) + string(cmd("SET", a, "p")) + string(cmd("EXEC")) + string(cmd("GET", a)))
	got := c.reply() + c.reply() + c.reply() + c.reply()
	if want := "+OK\r\n+QUEUED\r\n" + respArray("+OK\r\n") + bulk("p"); got != want {
		t.Fatalf("pipelined transaction: %q, want %q", got, want)
	}
}

func cmd(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		b.WriteString(bulk(a))
	}
	return []byte(b.String())
}
