package redis

import (
	"fmt"
	"testing"
)

func collect(a Args) []string {
	out := []string{}
	for v, ok := a.Next(); ok; v, ok = a.Next() {
		out = append(out, string(v))
	}
	return out
}

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{string(cmd("SET", "k", "v")), []string{"SET", "k", "v"}},
		{string(cmd("A", "", "b\r\nc")), []string{"A", "", "b\r\nc"}},
		{"PING\r\n", []string{"PING"}},
		{`SET "a b" 'c\'d'` + "\n", []string{"SET", "a b", "c'd"}},
		{"*0\r\n", []string{}},
		{"", []string{}},
		{"*3\r\n$1\r\na\r\n$5\r\nb", []string{"a"}},     // truncated: well-formed prefix only
		{"*9\r\n$1\r\na\r\n:1\r\n", []string{"a"}},      // not a bulk
		{"*2\r\n$-1\r\n$1\r\na\r\n", []string{}},        // negative length
		{"*x\r\n", []string{}},                          // bad count
		{"SET \"unbalanced\r\n", []string{}},            // bad quotes
		{"*1\r\n$99999999999999999999\r\n", []string{}}, // huge length
	} {
		if got := collect(ArgsOf([]byte(tc.raw))); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("ArgsOf(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestArgsSeek(t *testing.T) {
	for _, raw := range [][]byte{cmd("a", "b", "c", "d"), []byte("a b \"c\" 'd'\r\n")} {
		a := ArgsOf(raw)
		if a.Len() != 4 {
			t.Fatalf("%q: Len %d", raw, a.Len())
		}
		for _, tc := range []struct {
			i    int
			want string
		}{{2, "c"}, {3, "d"}, {0, "a"}, {1, "b"}, {1, "b"}, {4, ""}, {-1, ""}} {
			if got := string(a.At(tc.i)); got != tc.want {
				t.Errorf("%q: At(%d) = %q, want %q", raw, tc.i, got, tc.want)
			}
		}
		a.Reset()
		a.Skip(2)
		if a.Index() != 2 || collect(a)[0] != "c" {
			t.Errorf("%q: Skip(2) then Next", raw)
		}
		if got := string(ArgAt(raw, 3)); got != "d" {
			t.Errorf("ArgAt(%q, 3) = %q", raw, got)
		}
	}
}

func TestArgsAllocs(t *testing.T) {
	raw := cmd("MGET", "k1", "k2", "k3", "k4", "k5")
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		a := ArgsOf(raw)
		for _, ok := a.Next(); ok; _, ok = a.Next() {
			n++
		}
		_ = a.At(2)
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("iterating arguments allocates %.1f times", allocs)
	}
}
