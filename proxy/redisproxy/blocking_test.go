package redisproxy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// A BLPOP without timeout waits on a bound connection, longer than
// op_timeout, while other clients' commands keep flowing over the shared
// pool, and gets the element pushed later; one with a timeout longer
// than op_timeout ends with Redis's nil, not an upstream failure.
func TestBlockingCommands(t *testing.T) {
	srv := testpeer.StartRedis(t)
	cfg := catchAll("redis")
	cfg.Settings.OpTimeout = 200 * time.Millisecond
	p := startProxy(t, cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	blocked := newGoRedis(t, &goredis.Options{Addr: p.addr, ReadTimeout: -1})
	other := newGoRedis(t, &goredis.Options{Addr: p.addr})
	direct := newGoRedis(t, &goredis.Options{Addr: srv.Addr()})

	type popped struct {
		v   []string
		err error
	}
	done := make(chan popped, 1)
	go func() {
		v, err := blocked.BLPop(ctx, 0, "queue").Result()
		done <- popped{v, err}
	}()
	waitFor(t, "BLPOP bound upstream", func() bool { return p.gauge("bound_cx_active") == 1 })
	deadline := time.Now().Add(3 * cfg.Settings.OpTimeout)
	for i := 0; time.Now().Before(deadline); i++ {
		k := fmt.Sprintf("k%d", i)
		if err := other.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("SET while BLPOP blocks: %v", err)
		}
		if v, err := other.Get(ctx, k).Int(); err != nil || v != i {
			t.Fatalf("GET while BLPOP blocks = %d, %v", v, err)
		}
	}
	select {
	case r := <-done:
		t.Fatalf("BLPOP returned before an element was pushed: %v %v", r.v, r.err)
	default:
	}
	if err := direct.RPush(ctx, "queue", "job1").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || fmt.Sprint(r.v) != "[queue job1]" {
			t.Fatalf("BLPOP = %v, %v", r.v, r.err)
		}
	case <-ctx.Done():
		t.Fatal("BLPOP did not return after the push")
	}

	start := time.Now()
	if err := blocked.BRPop(ctx, time.Second, "empty").Err(); err != goredis.Nil {
		t.Fatalf("BRPOP with a timeout past op_timeout: %v, want redis.Nil", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("BRPOP returned after %v, before its timeout", d)
	}

	// XREAD BLOCK gets what XADD appends meanwhile.
	xdone := make(chan error, 1)
	go func() {
		s, err := blocked.XRead(ctx, &goredis.XReadArgs{Streams: []string{"stream", "$"}, Block: 0}).Result()
		if err == nil && (len(s) != 1 || len(s[0].Messages) != 1 || s[0].Messages[0].Values["f"] != "v") {
			err = fmt.Errorf("XREAD = %+v", s)
		}
		xdone <- err
	}()
	waitFor(t, "XREAD blocked upstream", func() bool {
		n, _ := direct.ClientList(ctx).Result()
		return strings.Contains(n, "cmd=xread")
	})
	if err := direct.XAdd(ctx, &goredis.XAddArgs{Stream: "stream", Values: []string{"f", "v"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-xdone; err != nil {
		t.Fatal(err)
	}
}

// Commands pipelined behind a blocking command on one connection are
// answered after it, in order, and those to its host run after it, as
// on Redis.
func TestBlockingPipelineOrder(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	c.send("BLPOP q 0\r\nPING\r\nRPUSH q2 x\r\n")
	waitFor(t, "BLPOP bound upstream", func() bool { return p.gauge("bound_cx_active") == 1 })
	time.Sleep(50 * time.Millisecond)
	direct := dial(t, srv.Addr())
	if got := direct.do("LLEN", "q2"); got != ":0\r\n" {
		t.Errorf("RPUSH pipelined behind BLPOP ran before it: LLEN q2 = %q", got)
	}
	direct.do("RPUSH", "q", "a")
	if got := c.reply() + c.reply() + c.reply(); got != respArray(bulk("q"), bulk("a"))+"+PONG\r\n:1\r\n" {
		t.Fatalf("replies %q", got)
	}
	// WAIT runs on the connection's binding: no replica here.
	if got := c.do("WAIT", "0", "100"); got != ":0\r\n" {
		t.Errorf("WAIT = %q", got)
	}
}

// A client that leaves while blocked has its blocking command aborted:
// an element pushed afterwards is not popped for nobody.
func TestBlockedClientLeaves(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	c.send("BLPOP gone 0\r\n")
	waitFor(t, "BLPOP bound upstream", func() bool { return p.gauge("bound_cx_active") == 1 })
	c.c.Close()
	waitFor(t, "bound connection closed", func() bool { return p.gauge("bound_cx_active") == 0 })
	direct := dial(t, srv.Addr())
	waitFor(t, "upstream client gone", func() bool { return !strings.Contains(direct.do("CLIENT", "LIST"), "cmd=blpop") })
	direct.do("RPUSH", "gone", "x")
	if got := direct.do("LLEN", "gone"); got != ":1\r\n" {
		t.Errorf("LLEN gone = %q: the element was popped for a client that left", got)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// op_timeout bounds a bound command that is not a blocking one: a
// transaction whose EXEC outlasts it fails with a timeout, and the
// connection keeps serving.
func TestBoundOpTimeout(t *testing.T) {
	srv := testpeer.StartRedis(t, "--enable-debug-command", "yes")
	cfg := catchAll("redis")
	cfg.Settings.OpTimeout = 200 * time.Millisecond
	p := startProxy(t, cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	for _, s := range []struct{ args, want string }{
		{"MULTI", "+OK\r\n"},
		{"DEBUG SLEEP 1", "+QUEUED\r\n"},
		{"EXEC", "-ERR upstream failure: wait for response: request timed out\r\n"},
		{"PING", "+PONG\r\n"},
		{"", ""}, // the whole server sleeps: wait for it
		{"SET k v", "+OK\r\n"},
		{"MULTI", "+OK\r\n"},
		{"INCR n", "+QUEUED\r\n"},
		{"EXEC", respArray(":1\r\n")},
	} {
		if s.args == "" {
			dial(t, srv.Addr()).do("PING")
			continue
		}
		if got := c.do(strings.Fields(s.args)...); got != s.want {
			t.Fatalf("%s = %q, want %q", s.args, got, s.want)
		}
	}
	// The timed-out binding is closed, a new one open.
	waitFor(t, "one bound connection", func() bool { return p.gauge("bound_cx_active") == 1 })
}
