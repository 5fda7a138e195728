package redisproxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

func TestFaultPick(t *testing.T) {
	fs := newFaults([]config.RedisFault{
		{Type: config.RedisFaultError, Fraction: 0.1, Commands: []string{"GET", "SET"}},
		{Type: config.RedisFaultDelay, Fraction: 0.2, Delay: time.Second},
		{Type: config.RedisFaultDelay, Fraction: 0.3, Commands: []string{"GET"}},
	})
	for _, tc := range []struct {
		cmd  string
		draw float64
		want int // index of the fault, -1 for none
	}{
		{"get", 0.05, 0},  // the first fault listing GET
		{"get", 0.35, 2},  // the second listing GET: 0.1+0.3
		{"get", 0.55, 1},  // then the general one: 0.4+0.2
		{"get", 0.65, -1}, // past every fraction
		{"set", 0.25, 1},
		{"set", 0.31, -1},
		{"del", 0.15, 1},
		{"del", 0.25, -1},
	} {
		got := fs.pick(tc.cmd, tc.draw)
		want := (*config.RedisFault)(nil)
		if tc.want >= 0 {
			want = fs.general[0]
			switch tc.want {
			case 0:
				want = fs.byCommand["get"][0]
			case 2:
				want = fs.byCommand["get"][1]
			}
		}
		if got != want {
			t.Errorf("pick(%s, %v) = %+v, want %+v", tc.cmd, tc.draw, got, want)
		}
	}
	if newFaults(nil).pick("get", 0) != nil {
		t.Error("no faults configured, yet one applies")
	}
}

func TestFaultsInjected(t *testing.T) {
	srv := testpeer.StartRedis(t)
	cfg := catchAll("redis")
	cfg.Faults = []config.RedisFault{
		{Type: config.RedisFaultError, Fraction: 1, Commands: []string{"GET"}},
		{Type: config.RedisFaultDelay, Fraction: 1, Delay: 150 * time.Millisecond, Commands: []string{"SET"}},
	}
	p := startProxy(t, cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	start := time.Now()
	if got := c.do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET = %q", got)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("delayed SET took %v, want at least 150ms", d)
	}
	if got := c.do("GET", "k"); got != "-ERR Fault Injected: Error\r\n" {
		t.Errorf("faulted GET = %q", got)
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING = %q: local commands are never faulted", got)
	}
	if got := c.do("STRLEN", "k"); got != ":1\r\n" {
		t.Errorf("STRLEN = %q: no fault lists it", got)
	}
	if p.cmdCounter("get", "error_fault") != 1 || p.cmdCounter("set", "delay_fault") != 1 {
		t.Errorf("fault stats: get.error_fault %d set.delay_fault %d", p.cmdCounter("get", "error_fault"), p.cmdCounter("set", "delay_fault"))
	}
}

// TestMirrors copies writes to a mirror cluster, and reads only when the
// mirror asks for them.
func TestMirrors(t *testing.T) {
	main, writes, all, never := testpeer.StartRedis(t), testpeer.StartRedis(t), testpeer.StartRedis(t), testpeer.StartRedis(t)
	cfg := &config.RedisProxy{Routes: config.RedisPrefixRoutes{CatchAll: &config.RedisRoute{
		Cluster: "main",
		Mirrors: []config.RedisMirror{
			{Cluster: "writes", Fraction: 1, ExcludeReadCommands: true},
			{Cluster: "all", Fraction: 1},
			{Cluster: "never", Fraction: 0},
		},
	}}}
	p := startProxy(t, cfg,
		staticCluster("main", config.RoundRobin, main.Addr()),
		staticCluster("writes", config.RoundRobin, writes.Addr()),
		staticCluster("all", config.RoundRobin, all.Addr()),
		staticCluster("never", config.RoundRobin, never.Addr()))
	c := dial(t, p.addr)
	for i := range 10 {
		if got := c.do("INCR", "n"); got != fmt.Sprintf(":%d\r\n", i+1) {
			t.Fatalf("INCR = %q", got)
		}
	}
	c.do("GET", "n")
	check := func(srv *testpeer.Redis, want string, gets string) {
		t.Helper()
		d := dial(t, srv.Addr())
		eventually(t, 5*time.Second, "mirrored writes on "+srv.Addr(), func() error {
			// GETRANGE, not GET: the mirrored GETs are counted below.
			if got := d.do("GETRANGE", "n", "0", "-1"); got != want {
				return fmt.Errorf("GETRANGE n = %q, want %q", got, want)
			}
			return nil
		})
		if gets != "" {
			if got := d.do("INFO", "commandstats"); !strings.Contains(got, gets) {
				t.Errorf("%s commandstats lack %q: %s", srv.Addr(), gets, got)
			}
		}
	}
	check(writes, bulk("10"), "")
	check(all, bulk("10"), "cmdstat_get:calls=1,")
	check(never, bulk(""), "")
	if got := dial(t, writes.Addr()).do("INFO", "commandstats"); strings.Contains(got, "cmdstat_get:") {
		t.Errorf("a read reached the write-only mirror: %s", got)
	}
}

func TestConnectRateLimit(t *testing.T) {
	l := connectLimits{rate: 2}
	now := time.Now()
	if !l.allow("a", now) || !l.allow("a", now) {
		t.Fatal("a full bucket refused a connection")
	}
	if l.allow("a", now) {
		t.Error("a third connection within the same instant was allowed at 2/s")
	}
	if !l.allow("b", now) {
		t.Error("clusters share a bucket")
	}
	if !l.allow("a", now.Add(500*time.Millisecond)) || l.allow("a", now.Add(500*time.Millisecond)) {
		t.Error("half a second did not refill exactly one token at 2/s")
	}
	if (&connectLimits{}).allow("a", now) != true {
		t.Error("no limit configured, yet a connection was refused")
	}
}
