package redisproxy

import (
	"fmt"
	"testing"
)

func TestSlotMatchesRedisCluster(t *testing.T) {
	// Reference values from the Redis Cluster specification and from
	// CLUSTER KEYSLOT on a real server.
	cases := map[string]uint16{
		"123456789":            12739, // CRC16/XMODEM check value 0x31C3
		"foo":                  12182,
		"bar":                  5061,
		"{user1000}.following": 3443,
		"{user1000}.followers": 3443,
		"foo{}{bar}":           8363, // empty first tag: whole key
		"foo{{bar}}zap":        4015, // tag is "{bar"
		"foo{bar}{zap}":        5061, // first tag only
	}
	for key, want := range cases {
		if got := slot([]byte(key)); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestHashTag(t *testing.T) {
	cases := []struct {
		key, want string
		enabled   bool
	}{
		{"{user}:1", "user", true},
		{"{user}:1", "{user}:1", false},
		{"a{}b", "a{}b", true},
		{"no-tag", "no-tag", true},
		{"a{b", "a{b", true},
	}
	for _, c := range cases {
		if got := string(hashTag([]byte(c.key), c.enabled)); got != c.want {
			t.Errorf("hashTag(%q, %v) = %q, want %q", c.key, c.enabled, got, c.want)
		}
	}
}

func TestPrefixTableLongestMatch(t *testing.T) {
	catch := "catch-all"
	tbl := buildPrefixTable([]string{"ab", "abc", "abcd", "x", "User:"}, []string{"ab", "abc", "abcd", "x", "user"}, true, &catch)
	cases := map[string]string{
		"abcdef": "abcd", "abcz": "abc", "abz": "ab", "a": "catch-all", "xyz": "x",
		"USER:1": "user", "user:2": "user", "": "catch-all",
	}
	for key, want := range cases {
		r, _ := tbl.lookup([]byte(key))
		if r == nil || *r != want {
			t.Errorf("lookup(%q) = %v, want %q", key, r, want)
		}
	}
	exact := buildPrefixTable([]string{"User:"}, []string{"user"}, false, nil)
	if r, _ := exact.lookup([]byte("user:1")); r != nil {
		t.Errorf("case-sensitive table matched a different case: %q", *r)
	}
}

func TestPrefixLookupAllocatesNothing(t *testing.T) {
	var prefixes, routes []string
	for i := range 100 {
		prefixes = append(prefixes, fmt.Sprintf("p%d:", i))
		routes = append(routes, fmt.Sprint(i))
	}
	tbl := buildPrefixTable(prefixes, routes, true, nil)
	key := []byte("P42:session:abc")
	if n := testing.AllocsPerRun(100, func() { tbl.lookup(key) }); n != 0 {
		t.Fatalf("lookup allocates %v times", n)
	}
}

func BenchmarkPrefixLookup(b *testing.B) {
	var prefixes, routes []string
	for i := range 100 {
		prefixes = append(prefixes, fmt.Sprintf("p%d:", i))
		routes = append(routes, fmt.Sprint(i))
	}
	tbl := buildPrefixTable(prefixes, routes, true, nil)
	key := []byte("p42:session:abc")
	b.ReportAllocs()
	for b.Loop() {
		tbl.lookup(key)
	}
}
