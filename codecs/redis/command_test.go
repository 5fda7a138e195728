package redis

import (
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, c := range Commands() {
		for _, name := range []string{c.Name, strings.ToUpper(c.Name), mixCase(c.Name)} {
			if got := Lookup([]byte(name)); got == nil || got.Name != c.Name {
				t.Errorf("Lookup(%q) = %v", name, got)
			}
		}
		for _, s := range c.Subcommands {
			_, sub, _ := strings.Cut(s.Name, "|")
			if got := c.Subcommand([]byte(strings.ToUpper(sub))); got == nil || got.Name != s.Name {
				t.Errorf("%s.Subcommand(%q) = %v", c.Name, sub, got)
			}
			if Lookup([]byte(s.Name)) != nil {
				t.Errorf("Lookup(%q) finds a subcommand by its full name", s.Name)
			}
		}
	}
	for _, name := range []string{"", "nosuch", "get ", "xgroup|create", strings.Repeat("a", 100), "GET\x00"} {
		if got := Lookup([]byte(name)); got != nil {
			t.Errorf("Lookup(%q) = %s, want nil", name, got.Name)
		}
	}
	get := Lookup([]byte("get"))
	if get.Subcommand([]byte("x")) != nil || Lookup([]byte("client")).Subcommand([]byte(strings.Repeat("x", 80))) != nil {
		t.Errorf("Subcommand of a plain command or a long name is not nil")
	}
}

func mixCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		b[i] = strings.ToUpper(string(b[i]))[0]
	}
	return string(b)
}

func TestLookupAllocs(t *testing.T) {
	name, sub := []byte("ZRangeByScore"), []byte("SetInfo")
	client := Lookup([]byte("CLIENT"))
	allocs := testing.AllocsPerRun(100, func() {
		_ = Lookup(name)
		_ = client.Subcommand(sub)
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("Lookup allocates %.1f times", allocs)
	}
}

// TestCommandsByHand spot-checks the generated table against what Redis
// documents, so a fault in the generator cannot hide behind the drift
// test.
func TestCommandsByHand(t *testing.T) {
	for _, tc := range []struct {
		name               string
		arity, first, last int
		step               int
		has, hasNot        Flags
		request            RequestPolicy
		response           ResponsePolicy
		specs              int
	}{
		{"get", 2, 1, 1, 1, FlagRead | FlagFast, FlagWrite | FlagMultiKey | FlagNoKey, RequestDefault, ResponseDefault, 1},
		{"set", -3, 1, 1, 1, FlagWrite, FlagRead | FlagMultiKey, RequestDefault, ResponseDefault, 1},
		{"mset", -3, 1, -1, 2, FlagWrite | FlagMultiKey, FlagRead, RequestMultiShard, ResponseAllSucceeded, 1},
		{"mget", -2, 1, -1, 1, FlagRead | FlagMultiKey, FlagWrite, RequestMultiShard, ResponseDefault, 1},
		{"del", -2, 1, -1, 1, FlagWrite | FlagMultiKey, 0, RequestMultiShard, ResponseAggSum, 1},
		{"eval", -3, 0, 0, 0, FlagScripting | FlagMovableKeys | FlagMultiKey | FlagNoScript, FlagNoKey, RequestDefault, ResponseDefault, 1},
		{"xread", -4, 0, 0, 0, FlagRead | FlagBlocking | FlagMovableKeys, 0, RequestDefault, ResponseDefault, 1},
		{"blpop", -3, 1, -2, 1, FlagWrite | FlagBlocking | FlagMultiKey, 0, RequestDefault, ResponseDefault, 1},
		{"multi", 1, 0, 0, 0, FlagTransaction | FlagNoKey, FlagWrite, RequestDefault, ResponseDefault, 0},
		{"watch", -2, 1, -1, 1, FlagTransaction | FlagMultiKey, 0, RequestDefault, ResponseDefault, 1},
		{"subscribe", -2, 0, 0, 0, FlagPubSub | FlagNoKey, FlagMultiKey, RequestDefault, ResponseDefault, 0},
		{"publish", 3, 0, 0, 0, FlagPubSub | FlagNoKey, 0, RequestDefault, ResponseDefault, 0},
		{"dbsize", 1, 0, 0, 0, FlagRead | FlagNoKey, 0, RequestAllShards, ResponseAggSum, 0},
		{"keys", 2, 0, 0, 0, FlagRead | FlagNondeterministic | FlagDangerous, 0, RequestAllShards, ResponseDefault, 0},
		{"flushall", -1, 0, 0, 0, FlagWrite | FlagDangerous, 0, RequestAllShards, ResponseAllSucceeded, 0},
		{"hello", -1, 0, 0, 0, FlagNoAuth | FlagConnection | FlagFast, 0, RequestDefault, ResponseDefault, 0},
		{"config", -2, 0, 0, 0, FlagContainer, 0, RequestDefault, ResponseDefault, 0},
		{"config|set", -4, 0, 0, 0, FlagAdmin | FlagDangerous, 0, RequestAllNodes, ResponseAllSucceeded, 0},
		{"client|kill", -3, 0, 0, 0, FlagAdmin, 0, RequestDefault, ResponseDefault, 0},
		{"xgroup|create", -5, 2, 2, 1, FlagWrite, FlagMultiKey, RequestDefault, ResponseDefault, 1},
		{"sort", -2, 1, 1, 1, FlagWrite | FlagMovableKeys | FlagMultiKey, 0, RequestDefault, ResponseDefault, 3},
		{"georadius", -6, 1, 1, 1, FlagWrite | FlagMovableKeys, 0, RequestDefault, ResponseDefault, 3},
	} {
		c := commandNamed(tc.name)
		if c == nil {
			t.Errorf("%s: not in the table", tc.name)
			continue
		}
		if c.Arity != tc.arity || c.FirstKey != tc.first || c.LastKey != tc.last || c.KeyStep != tc.step ||
			c.Flags&tc.has != tc.has || c.Flags&tc.hasNot != 0 || c.RequestPolicy != tc.request ||
			c.ResponsePolicy != tc.response || len(c.KeySpecs) != tc.specs {
			t.Errorf("%s: arity %d keys %d,%d,%d flags %s policies %d/%d specs %d", tc.name, c.Arity, c.FirstKey,
				c.LastKey, c.KeyStep, c.Flags, c.RequestPolicy, c.ResponsePolicy, len(c.KeySpecs))
		}
	}
	if n := len(Commands()); n < 230 {
		t.Errorf("table has %d commands, Redis 7.0 has 240", n)
	}
}

func commandNamed(name string) *Command {
	parent, sub, ok := strings.Cut(name, "|")
	c := Lookup([]byte(parent))
	if c == nil || !ok {
		return c
	}
	return c.Subcommand([]byte(sub))
}

func TestCheckArity(t *testing.T) {
	get, mset := Lookup([]byte("get")), Lookup([]byte("mset"))
	for _, tc := range []struct {
		c    *Command
		argc int
		want bool
	}{{get, 2, true}, {get, 1, false}, {get, 3, false}, {mset, 3, true}, {mset, 5, true}, {mset, 2, false}} {
		if got := tc.c.CheckArity(tc.argc); got != tc.want {
			t.Errorf("%s.CheckArity(%d) = %v", tc.c.Name, tc.argc, got)
		}
	}
}

func TestFlagsString(t *testing.T) {
	if got := (FlagRead | FlagFast | FlagContainer).String(); got != "read|fast|container" {
		t.Errorf("String = %q", got)
	}
}
