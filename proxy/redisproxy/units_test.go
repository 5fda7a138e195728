package redisproxy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/config"
)

func decode(t *testing.T, raw string) codecs.Frame {
	t.Helper()
	f, _, err := redis.NewServerCodec(redis.Limits{}, codecs.Limits{}).Decode([]byte(raw))
	if err != nil {
		t.Fatalf("decode %q: %v", raw, err)
	}
	return f
}

func TestAdmissionRoundTrip(t *testing.T) {
	for _, a := range []admission{
		{},
		{cmd: 1<<16 - 1, proto: redis.RESP3, verdict: vNameBad},
		{cmd: 42, proto: redis.RESP2, verdict: vNoAuth},
	} {
		if got := admissionOf(a.id()); got != a {
			t.Errorf("admissionOf(%+v.id()) = %+v", a, got)
		}
	}
}

func TestKeyPositions(t *testing.T) {
	for _, tc := range []struct {
		cmd      []string
		want     []int
		complete bool
	}{
		{[]string{"GET", "k"}, []int{1}, true},
		{[]string{"MSETNX", "a", "1", "b", "2"}, []int{1, 3}, true},
		{[]string{"BLPOP", "a", "b", "0"}, []int{1, 2}, true},
		{[]string{"BITOP", "AND", "dst", "a", "b"}, []int{2, 3, 4}, true},
		{[]string{"EVAL", "s", "2", "a", "b", "arg"}, []int{3, 4}, true},
		{[]string{"EVAL", "s", "5", "a", "b", "c", "d", "e"}, []int{3, 4, 5, 6}, false}, // 4 keys kept
		{[]string{"OBJECT", "ENCODING", "k"}, []int{2}, true},
		{[]string{"XREAD", "STREAMS", "a", "b", "0", "0"}, []int{2, 3}, true},
	} {
		f := decode(t, string(redis.AppendCommandString(nil, tc.cmd...)))
		args := redis.ArgsOf(f.Raw)
		got, complete := keyPositions(nil, redis.Lookup([]byte(tc.cmd[0])), &f, &args)
		if !slices.Equal(got, tc.want) || complete != tc.complete {
			t.Errorf("%q: positions %v complete %v, want %v %v", tc.cmd, got, complete, tc.want, tc.complete)
		}
	}
	// Custom commands route by their first argument.
	f := decode(t, "*3\r\n$8\r\nJSON.GET\r\n$1\r\nk\r\n$1\r\n$\r\n")
	args := redis.ArgsOf(f.Raw)
	if got, ok := keyPositions(nil, nil, &f, &args); !slices.Equal(got, []int{1}) || !ok {
		t.Errorf("custom command positions %v %v", got, ok)
	}
}

func TestAppendRewritten(t *testing.T) {
	strip := newRoute(&config.RedisRoute{Prefix: "u:", RemovePrefix: true}, "u:", 0)
	wrap := newRoute(&config.RedisRoute{KeyFormatter: "{%KEY%}"}, catchAllLabel, 1)
	f := decode(t, "*5\r\n$6\r\nMSETNX\r\n$3\r\nu:a\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n")
	args := redis.ArgsOf(f.Raw)
	got, _ := appendRewritten(nil, &args, []int{1, 3}, []*route{&strip, &wrap}, nil)
	if want := string(redis.AppendCommandString(nil, "MSETNX", "a", "1", "{b}", "2")); string(got) != want {
		t.Errorf("rewritten = %q, want %q", got, want)
	}
}

func TestSplitArray(t *testing.T) {
	raw := "*4\r\n$1\r\na\r\n$-1\r\n*2\r\n:1\r\n_\r\n-ERR x\r\n"
	got, ok := splitArray(nil, []byte(raw), 4)
	want := []string{"$1\r\na\r\n", "$-1\r\n", "*2\r\n:1\r\n_\r\n", "-ERR x\r\n"}
	if !ok || len(got) != len(want) {
		t.Fatalf("splitArray = %q, %v", got, ok)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("element %d = %q, want %q", i, got[i], want[i])
		}
	}
	for _, bad := range []string{raw[:len(raw)-2], "+OK\r\n", "*3\r\n:1\r\n:2\r\n", "*x\r\n"} {
		if _, ok := splitArray(nil, []byte(bad), 3); ok {
			t.Errorf("splitArray(%q) succeeded", bad)
		}
	}
	if _, ok := splitArray(nil, []byte(raw), 3); ok {
		t.Error("splitArray accepted a count other than the one wanted")
	}
}

func TestParseHello(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want helloReq
	}{
		{"HELLO\r\n", helloReq{}},
		{"HELLO 3\r\n", helloReq{proto: 3}},
		{"HELLO 2 AUTH u p SETNAME n\r\n", helloReq{proto: 2, user: []byte("u"), pass: []byte("p"), name: []byte("n"), hasName: true}},
		{"HELLO 3 setname\r\n", helloReq{proto: 3, err: "ERR Syntax error in HELLO option 'setname'"}},
		{"HELLO 1\r\n", helloReq{err: "NOPROTO unsupported protocol version"}},
		{"HELLO x\r\n", helloReq{err: "ERR Protocol version is not an integer or out of range"}},
	} {
		f := decode(t, tc.raw)
		got := parseHello(f.Raw)
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tc.want) {
			t.Errorf("parseHello(%q) = %+v, want %+v", tc.raw, got, tc.want)
		}
	}
}

func TestUnknownCommandText(t *testing.T) {
	f := decode(t, string(redis.AppendCommandString(nil, "FOO", strings.Repeat("a", 100), strings.Repeat("b", 100), "c")))
	got := unknownCommand(f.Raw)
	want := "unknown command 'FOO', with args beginning with: '" + strings.Repeat("a", 100) + "' '" + strings.Repeat("b", 25) + "' "
	if got != want {
		t.Errorf("unknownCommand = %q\nwant %q", got, want)
	}
}
