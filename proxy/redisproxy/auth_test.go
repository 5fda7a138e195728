package redisproxy

import (
	"testing"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

func TestDownstreamAuthCheck(t *testing.T) {
	pw := func(ps ...string) [][]byte {
		var out [][]byte
		for _, p := range ps {
			out = append(out, []byte(p))
		}
		return out
	}
	none := downstreamAuth{}
	pass := downstreamAuth{passwords: pw("old", "new")}
	user := downstreamAuth{passwords: pw("secret"), username: []byte("app")}
	for _, tc := range []struct {
		name       string
		a          downstreamAuth
		user, pass string
		twoArgs    bool
		want       verdict
	}{
		{"no password configured, AUTH pass", none, "", "x", false, vAuthNoPassword},
		{"no password configured, AUTH default x", none, "default", "x", true, vAuthOK},
		{"no password configured, AUTH other x", none, "other", "x", true, vAuthWrongPass},
		{"first password", pass, "", "old", false, vAuthOK},
		{"second password", pass, "", "new", false, vAuthOK},
		{"wrong password", pass, "", "nope", false, vAuthWrongPass},
		{"prefix of a password", pass, "", "ol", false, vAuthWrongPass},
		{"default user", pass, "default", "new", true, vAuthOK},
		{"other user", pass, "app", "new", true, vAuthWrongPass},
		{"username and password", user, "app", "secret", true, vAuthOK},
		{"wrong username", user, "default", "secret", true, vAuthWrongPass},
		{"one-argument AUTH checks the password only", user, "", "secret", false, vAuthOK},
		{"wrong password for the user", user, "app", "nope", true, vAuthWrongPass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u []byte
			if tc.twoArgs {
				u = []byte(tc.user)
			}
			if got := tc.a.check(u, []byte(tc.pass)); got != tc.want {
				t.Errorf("check(%q, %q) = %d, want %d", tc.user, tc.pass, got, tc.want)
			}
		})
	}
}

func TestDownstreamAuth(t *testing.T) {
	srv := testpeer.StartRedis(t)
	cfg := catchAll("redis")
	cfg.DownstreamAuthPasswords = [][]byte{[]byte("s3cret")}
	p := startProxy(t, cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"GET", "k"}, "-NOAUTH Authentication required.\r\n"},
		{[]string{"PING"}, "-NOAUTH Authentication required.\r\n"},
		{[]string{"NOSUCH"}, "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"},
		{[]string{"HELLO", "3"}, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"},
		{[]string{"AUTH", "wrong"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"GET", "k"}, "-NOAUTH Authentication required.\r\n"},
		{[]string{"AUTH", "s3cret"}, "+OK\r\n"},
		{[]string{"SET", "k", "v"}, "+OK\r\n"},
		{[]string{"GET", "k"}, bulk("v")},
		{[]string{"AUTH", "wrong"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"GET", "k"}, bulk("v")}, // a failed AUTH keeps the earlier login
	} {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
		}
	}
	// HELLO can authenticate and switch protocol at once.
	h := dial(t, p.addr)
	if got := h.do("HELLO", "3", "AUTH", "default", "s3cret"); got[0] != '%' {
		t.Fatalf("HELLO 3 AUTH = %q, want a map", got)
	}
	if got := h.do("HSET", "h", "f", "1"); got != ":1\r\n" {
		t.Fatalf("HSET = %q", got)
	}
	if got := h.do("HGETALL", "h"); got != "%1\r\n"+bulk("f")+bulk("1") {
		t.Errorf("HGETALL after HELLO 3 = %q, want a RESP3 map", got)
	}
}

// TestPipelinedStateChanges sends AUTH and HELLO pipelined with the
// commands they govern: each command sees the state its predecessors
// left, although the proxy serves them concurrently.
func TestPipelinedStateChanges(t *testing.T) {
	srv := testpeer.StartRedis(t)
	cfg := catchAll("redis")
	cfg.DownstreamAuthPasswords = [][]byte{[]byte("pw")}
	p := startProxy(t, cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
	if got := dial(t, srv.Addr()).do("HSET", "h", "a", "1"); got != ":1\r\n" {
		t.Fatal(got)
	}
	for i := range 20 {
		c := dial(t, p.addr)
		c.send("GET h\r\nAUTH pw\r\nHGETALL h\r\nHELLO 3\r\nHGETALL h\r\nHELLO 2\r\nHGETALL h\r\nCLIENT SETNAME a\r\nCLIENT GETNAME\r\n")
		want := []string{
			"-NOAUTH Authentication required.\r\n",
			"+OK\r\n",
			respArray(bulk("a"), bulk("1")),
			"", // HELLO 3
			"%1\r\n" + bulk("a") + bulk("1"),
			"", // HELLO 2
			respArray(bulk("a"), bulk("1")),
			"+OK\r\n",
			bulk("a"),
		}
		for j, w := range want {
			got := c.reply()
			if w != "" && got != w {
				t.Fatalf("round %d reply %d = %q, want %q", i, j, got, w)
			}
		}
	}
}

// TestRESP3Listener checks protocol_version RESP3: HELLO 3 first.
func TestRESP3Listener(t *testing.T) {
	srv := testpeer.StartRedis(t)
	cfg := catchAll("redis")
	cfg.ProtocolVersion = config.RESP3
	p := startProxy(t, cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"GET", "k"}, "-NOPROTO this listener speaks RESP3 only: send HELLO 3 first\r\n"},
		{[]string{"HELLO"}, "-NOPROTO unsupported protocol version\r\n"},
		{[]string{"HELLO", "2"}, "-NOPROTO unsupported protocol version\r\n"},
		{[]string{"PING"}, "-NOPROTO this listener speaks RESP3 only: send HELLO 3 first\r\n"},
	} {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
		}
	}
	if got := c.do("HELLO", "3"); got[0] != '%' {
		t.Fatalf("HELLO 3 = %q", got)
	}
	if got := c.do("GET", "k"); got != "_\r\n" {
		t.Errorf("GET missing key = %q, want RESP3 null", got)
	}
	if got := c.do("HELLO"); got[0] != '%' {
		t.Errorf("HELLO after HELLO 3 = %q, want a map", got)
	}
}
