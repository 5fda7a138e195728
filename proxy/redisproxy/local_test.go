package redisproxy

import (
	"strings"
	"testing"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// TestRepliesMatchRedis sends the same commands to a redis-server and
// through the proxy: where the proxy answers itself on Redis's behalf,
// the bytes must be Redis's.
func TestRepliesMatchRedis(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	direct, proxied := dial(t, srv.Addr()), dial(t, p.addr)
	for _, args := range [][]string{
		{"PING"},
		{"PING", "hello world"},
		{"ping", "a", "b"},
		{"ECHO", "x\r\ny"},
		{"ECHO"},
		{"SELECT", "0"},
		{"SELECT", "zero"},
		{"NOSUCHCOMMAND", "arg1", strings.Repeat("x", 200)},
		{"nosuch"},
		{"GET"},
		{"SET", "k"},
		{"AUTH", "pass"},
		{"AUTH", "someone", "pass"},
		{"AUTH", "a", "b", "c"},
		{"HELLO", "two"},
		{"HELLO", "4"},
		{"HELLO", "3", "BOGUS"},
		{"HELLO", "3", "AUTH", "onlyuser"},
		{"CLIENT", "SETNAME", "has space"},
		{"CLIENT", "SETNAME", "svc-a"},
		{"CLIENT", "GETNAME"},
		{"CLIENT", "SETNAME", ""},
		{"CLIENT", "GETNAME"},
		{"CLIENT", "SETNAME"},
		{"SET", "k", "v"},
		{"GET", "k"},
		{"MGET", "k", "missing", "k"},
	} {
		want, got := direct.do(args...), proxied.do(args...)
		if got != want {
			t.Errorf("%q:\nproxy %q\nredis %q", args, got, want)
		}
	}
}

func TestLocalCommands(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SELECT", "1"}, "-ERR SELECT is not allowed: the proxy serves database 0 only\r\n"},
		{[]string{"RESET"}, "-ERR unsupported command 'reset'\r\n"},
		{[]string{"CONFIG", "GET", "maxmemory"}, "-ERR unsupported command 'config'\r\n"},
		{[]string{"MONITOR"}, "-ERR unsupported command 'monitor'\r\n"},
		{[]string{"CLIENT", "REPLY", "OFF"}, "-ERR unsupported command 'client|reply'\r\n"},
		{[]string{"CLIENT", "LIST"}, "-ERR unsupported command 'client|list'\r\n"},
		{[]string{"CLIENT", "ID"}, ":1\r\n"},
		{[]string{"CLIENT", "SETINFO", "LIB-NAME", "go-redis(x)"}, "+OK\r\n"},
		{[]string{"CLIENT", "SETINFO", "lib-ver", "9.23.0"}, "+OK\r\n"},
		{[]string{"CLIENT", "SETINFO", "lib-ver", "9 1"}, "-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n"},
		{[]string{"CLIENT", "SETINFO", "color", "red"}, "-ERR Unrecognized option 'color'\r\n"},
		{[]string{"HELLO"}, respArray(bulk("server"), bulk("redis"), bulk("version"), bulk(serverVersion),
			bulk("proto"), ":2\r\n", bulk("id"), ":1\r\n", bulk("mode"), bulk("standalone"),
			bulk("role"), bulk("master"), bulk("modules"), "*0\r\n")},
		{[]string{"HELLO", "3", "SETNAME", "n1"}, "%7\r\n" + bulk("server") + bulk("redis") + bulk("version") + bulk(serverVersion) +
			bulk("proto") + ":3\r\n" + bulk("id") + ":1\r\n" + bulk("mode") + bulk("standalone") +
			bulk("role") + bulk("master") + bulk("modules") + "*0\r\n"},
		{[]string{"CLIENT", "GETNAME"}, bulk("n1")},
		{[]string{"CLIENT", "SETNAME", ""}, "+OK\r\n"},
		{[]string{"CLIENT", "GETNAME"}, "_\r\n"}, // RESP3 null now
		{[]string{"HELLO", "2"}, respArray(bulk("server"), bulk("redis"), bulk("version"), bulk(serverVersion),
			bulk("proto"), ":2\r\n", bulk("id"), ":1\r\n", bulk("mode"), bulk("standalone"),
			bulk("role"), bulk("master"), bulk("modules"), "*0\r\n")},
		{[]string{"CLIENT", "GETNAME"}, "$-1\r\n"},
		{[]string{"QUIT"}, "+OK\r\n"},
	} {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
		}
	}
	if r, err := c.readReply(); err == nil {
		t.Errorf("connection still open after QUIT: read %q", r)
	}
	if n := p.counter("splitter.unsupported_command"); n != 5 {
		t.Errorf("splitter.unsupported_command = %d, want 5", n)
	}
	if n := p.cmdCounter("client", "total"); n != 11 {
		t.Errorf("command.client.total = %d, want 11", n)
	}
}

func TestQuitIgnoresPipelinedCommands(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	c.send("PING\r\nQUIT\r\nSET after-quit 1\r\n")
	if got := c.reply() + c.reply(); got != "+PONG\r\n+OK\r\n" {
		t.Fatalf("replies %q", got)
	}
	if r, err := c.readReply(); err == nil {
		t.Fatalf("reply after QUIT: %q", r)
	}
	if got := dial(t, srv.Addr()).do("EXISTS", "after-quit"); got != ":0\r\n" {
		t.Errorf("a command pipelined after QUIT ran: EXISTS = %q", got)
	}
}
