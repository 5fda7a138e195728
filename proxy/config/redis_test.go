package config

import "testing"

func TestRedisCommandRulesAllows(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rules   RedisCommandRules
		command string
		want    bool
	}{
		{"no rules", RedisCommandRules{}, "FLUSHALL", true},
		{"denied", RedisCommandRules{Deny: []string{"FLUSHALL", "KEYS"}}, "KEYS", false},
		{"not denied", RedisCommandRules{Deny: []string{"FLUSHALL"}}, "GET", true},
		{"allowed", RedisCommandRules{Allow: []string{"GET", "SET"}}, "SET", true},
		{"not allowed", RedisCommandRules{Allow: []string{"GET", "SET"}}, "DEL", false},
		{"deny wins", RedisCommandRules{Allow: []string{"GET"}, Deny: []string{"GET"}}, "GET", false},
		{"case matters: names are upper case", RedisCommandRules{Allow: []string{"GET"}}, "get", false},
		{"connection commands pass an allow list", RedisCommandRules{Allow: []string{"GET"}}, "AUTH", true},
		{"connection commands cannot be denied", RedisCommandRules{Deny: []string{"HELLO", "QUIT"}}, "QUIT", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rules.Allows(tc.command); got != tc.want {
				t.Errorf("Allows(%q) = %v, want %v", tc.command, got, tc.want)
			}
		})
	}
}

func TestRedisCommandPolicyRouteRules(t *testing.T) {
	p := &RedisCommandPolicy{
		Routes: []RedisRouteCommandRules{
			{Prefix: "cache:", RedisCommandRules: RedisCommandRules{Allow: []string{"GET"}}},
			{Prefix: "", RedisCommandRules: RedisCommandRules{Deny: []string{"DEL"}}},
		},
		Default: RedisCommandRules{Deny: []string{"FLUSHALL"}},
	}
	if r := p.RouteRules("cache:"); r != &p.Routes[0].RedisCommandRules {
		t.Errorf("RouteRules(cache:) = %+v, want the cache: entry", r)
	}
	if r := p.RouteRules(""); r != &p.Routes[1].RedisCommandRules {
		t.Errorf(`RouteRules("") = %+v, want the "" entry`, r)
	}
	// Prefixes match exactly; other routes get Default, which an entry
	// replaces rather than extends.
	for _, prefix := range []string{"Cache:", "queue:"} {
		if r := p.RouteRules(prefix); r != &p.Default {
			t.Errorf("RouteRules(%q) = %+v, want Default", prefix, r)
		}
	}
	if !p.RouteRules("cache:").Allows("GET") || p.RouteRules("cache:").Allows("FLUSHALL") || p.RouteRules("queue:").Allows("FLUSHALL") {
		t.Error("rules do not combine as documented")
	}
}

func TestRedisProtocolOptionsFor(t *testing.T) {
	o := &RedisProtocolOptions{
		AuthUsername: []byte("u"),
		AuthPassword: []byte("p"),
		Credentials: []RedisCredential{
			{Address: Address{Host: "10.0.0.1", Port: 6379}, AuthPassword: []byte("p1")},
			{Address: Address{Host: "10.0.0.2", Port: 6379}},
		},
	}
	for _, tc := range []struct {
		addr       Address
		user, pass string
	}{
		{Address{Host: "10.0.0.1", Port: 6379}, "", "p1"},
		{Address{Host: "10.0.0.2", Port: 6379}, "", ""}, // no AUTH there
		{Address{Host: "10.0.0.1", Port: 6380}, "u", "p"},
		{Address{Host: "10.0.0.3", Port: 6379}, "u", "p"},
	} {
		u, p := o.For(tc.addr)
		if string(u) != tc.user || string(p) != tc.pass {
			t.Errorf("For(%s) = %q, %q; want %q, %q", tc.addr, u, p, tc.user, tc.pass)
		}
	}
}

// TestRedisEnumNames checks every defined value has a name (golden files
// and errors print them).
func TestRedisEnumNames(t *testing.T) {
	for _, s := range []interface{ String() string }{
		RedisReadMaster, RedisReadPreferMaster, RedisReadReplica, RedisReadPreferReplica, RedisReadAny,
		RedisFaultDelay, RedisFaultError, RESP2, RESP3, RedisClusterType, ClusterProvided,
	} {
		if s.String() == "UNKNOWN" {
			t.Errorf("%#v has no name", s)
		}
	}
	if RedisReadPolicy(99).String() != "UNKNOWN" || RedisFaultType(99).String() != "UNKNOWN" || RedisProtocolVersion(99).String() != "UNKNOWN" {
		t.Error("undefined values are not UNKNOWN")
	}
}
