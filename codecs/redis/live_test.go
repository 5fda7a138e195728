package redis

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// liveCase is a command (or several, pipelined) and the frames its
// reply must decode into.
type liveCase struct {
	args   []string
	more   [][]string
	frames []frameWant
}

type frameWant struct {
	kind   codecs.Kind
	status codecs.Status
}

var (
	okResp  = frameWant{codecs.KindResponse, codecs.StatusOK}
	errResp = frameWant{codecs.KindResponse, codecs.StatusError}
	event   = frameWant{codecs.KindEvent, codecs.StatusOK}
)

func liveCases(proto int) []liveCase {
	one := func(args ...string) liveCase { return liveCase{args: args, frames: []frameWant{okResp}} }
	fail := func(args ...string) liveCase { return liveCase{args: args, frames: []frameWant{errResp}} }
	cases := []liveCase{
		one("PING"), one("SET", "k", "v"), one("GET", "k"), one("GET", "missing"),
		one("INCR", "counter"), one("MGET", "k", "missing", "k"), one("HGETALL", "h"),
		one("SMEMBERS", "s"), one("ZRANGE", "z", "0", "-1", "WITHSCORES"), one("ZSCORE", "z", "a"),
		one("LRANGE", "l", "0", "-1"), one("XRANGE", "x", "-", "+"), one("CONFIG", "GET", "maxmemory*"),
		one("COMMAND", "INFO", "GET", "XREAD", "SORT"), one("COMMAND", "DOCS", "SET"),
		one("CLIENT", "INFO"), one("INFO", "keyspace"), one("TYPE", "k"),
		one("EXISTS", "k", "missing"), one("OBJECT", "ENCODING", "k"), one("SCAN", "0"),
		one("BLPOP", "nolist", "0.01"), one("EVAL", "return {1, 'two', {3, false}, redis.status_reply('OK')}", "0"),
		one("XINFO", "STREAM", "x"), one("ECHO", "line1\r\nline2"),
		one("LPOS", "l", "nothing"),
		{args: []string{"MULTI"}, more: [][]string{{"INCR", "counter"}, {"LPUSH", "h", "x"}, {"EXEC"}},
			frames: []frameWant{okResp, okResp, okResp, okResp}},
		fail("LPUSH", "h", "x"), fail("NOSUCHCMD", "a"), fail("GET"), fail("EVAL", "return redis.error_reply('MY failure')", "0"),
	}
	for _, typ := range []string{"string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "verbatim", "true", "false"} {
		cases = append(cases, one("DEBUG", "PROTOCOL", typ))
	}
	if proto == 3 {
		cases = append(cases, liveCase{args: []string{"DEBUG", "PROTOCOL", "push"}, frames: []frameWant{event, okResp}})
	}
	return cases
}

// TestLiveReplies sends commands to a real redis-server, in RESP2 and
// after HELLO 3, and checks that the decoder frames exactly the bytes
// the server sent. Each reply is cut from the stream by a sentinel ECHO
// sent behind it, independently of the decoder.
func TestLiveReplies(t *testing.T) {
	addr := startRedis(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			c := dial(t, addr)
			cc := NewClientCodec(Limits{}, defaultCodecLimits)
			if proto == 3 {
				if f := c.do(cc, "HELLO", "3"); f.Attrs.Status != codecs.StatusOK || cc.Protocol() != 3 {
					t.Fatalf("HELLO 3: %q, protocol %d", f.Raw, cc.Protocol())
				}
			}
			seed(t, c, cc)
			var stream []byte
			for i, lc := range liveCases(proto) {
				raw := c.roundTrip(append([][]string{lc.args}, lc.more...), i)
				checkLiveFrames(t, cc, lc, raw)
				stream = append(stream, raw...)
			}
			if *update {
				writeGolden(t, fmt.Sprintf("resp%d-replies.resp", proto), stream)
			}
		})
	}
}

// seed creates one key of every type.
func seed(t *testing.T, c *conn, cc *ClientCodec) {
	t.Helper()
	for _, args := range [][]string{
		{"FLUSHALL"}, {"RPUSH", "l", "a", "b"}, {"HSET", "h", "f1", "v1", "f2", "v2"},
		{"SADD", "s", "m1", "m2"}, {"ZADD", "z", "1.5", "a", "2", "b"},
		{"XADD", "x", "1-1", "f", "v"}, {"XADD", "x", "2-1", "g", "w"},
	} {
		if f := c.do(cc, args...); f.Attrs.Status != codecs.StatusOK {
			t.Fatalf("%v: %q", args, f.Raw)
		}
	}
}

// roundTrip sends commands followed by a sentinel ECHO and returns the
// bytes before the sentinel's reply: exactly the commands' replies.
func (c *conn) roundTrip(cmds [][]string, i int) []byte {
	c.t.Helper()
	sentinel := fmt.Sprintf("sidewire-sentinel-%d", i)
	var out []byte
	for _, args := range cmds {
		out = AppendCommandString(out, args...)
	}
	c.write(AppendCommandString(out, "ECHO", sentinel))
	return c.readUntil(AppendBulkString(nil, sentinel))
}

// checkLiveFrames decodes raw into the frames lc wants, requiring every
// strict prefix of each frame to need more bytes.
func checkLiveFrames(t *testing.T, cc *ClientCodec, lc liveCase, raw []byte) {
	t.Helper()
	rest := raw
	for i, want := range lc.frames {
		f, n, err := cc.Decode(rest)
		if err != nil {
			t.Errorf("%v frame %d: %v in %q", lc.args, i, err, raw)
			return
		}
		if f.Kind != want.kind || f.Attrs.Status != want.status {
			t.Errorf("%v frame %d: kind %s status %s, want %s %s (%q)", lc.args, i, f.Kind, f.Attrs.Status, want.kind, want.status, f.Raw)
		}
		for j := range n {
			if _, _, err := cc.Decode(bytes.Clone(rest[:j])); err != codecs.ErrNeedMore {
				t.Errorf("%v frame %d prefix %d: %v, want ErrNeedMore", lc.args, i, j, err)
				break
			}
		}
		rest = rest[n:]
	}
	if len(rest) != 0 {
		t.Errorf("%v: %d bytes left after %d frames: %q", lc.args, len(rest), len(lc.frames), rest)
	}
}

func writeGolden(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
		t.Fatalf("write golden: %v", err)
	}
}

// TestLiveProtocolErrors sends malformed requests to redis-server and
// requires the codec's error reply to match Redis's byte for byte.
func TestLiveProtocolErrors(t *testing.T) {
	addr := startRedis(t)
	sc := NewServerCodec(Limits{}, defaultCodecLimits)
	for _, in := range []string{
		"*1\r\n:1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
		"*x\r\n",
		"*3000000000\r\n",
		"*1\r\n$-5\r\n",
		"*1\r\n$x\r\n",
		"*1\r\n$1073741824\r\n",
		"SET \"a\r\n",
		"SET 'a'b c\r\n",
		"SET \"a\"b c\r\n",
		strings.Repeat("a", 70000),
		"*" + strings.Repeat("1", 70000),
		"*1\r\n$" + strings.Repeat("1", 70000),
		"*" + strings.Repeat("1", 40) + "\r\n",
		"*1\r\n$" + strings.Repeat("1", 40) + "\r\n",
	} {
		_, _, err := sc.Decode([]byte(in))
		if _, ok := ErrorText(err); !ok {
			t.Errorf("%.40q: decode error %v, want a protocol error", in, err)
			continue
		}
		c := dial(t, addr)
		c.write([]byte(in))
		want := c.readAll()
		if got := AppendProtocolError(nil, err); !bytes.Equal(got, want) {
			t.Errorf("%.40q: codec replies %q, redis-server %q", in, got, want)
		}
		if got := sc.AppendError(nil, nil, codecs.StatusOf(err), err.Error()); !bytes.Equal(got, want) {
			t.Errorf("%.40q: AppendError(nil request) gives %q, redis-server %q", in, got, want)
		}
	}
}

// TestLiveInline sends inline commands to redis-server and requires the
// codec to split them into the arguments Redis saw (ECHO returns it).
func TestLiveInline(t *testing.T) {
	c := dial(t, startRedis(t))
	cc := NewClientCodec(Limits{}, defaultCodecLimits)
	sc := NewServerCodec(Limits{}, defaultCodecLimits)
	for _, line := range []string{
		`ECHO plain`,
		`echo "two words"`,
		`ECHO 'single quoted'`,
		`ECHO "esc\x41\x4a\n\r\t\b\a\"\\\q"`,
		`ECHO "bad\x4"`,
		`ECHO 'it\'s \n'`,
		`ECHO foo"bar baz"`,
		`ECHO ""`,
		"ECHO \t tabbed\t",
		"   ECHO   spaced   ",
		"ECHO a\vb",
		"ECHO \xff\xfe",
		`ECHO "caf\xc3\xa9"`,
	} {
		c.write([]byte(line + "\r\n"))
		f := c.frame(cc)
		v, _, err := parseValue(f.Raw)
		if err != nil || v.typ != '$' {
			t.Errorf("%q: redis-server replied %q", line, f.Raw)
			continue
		}
		wire := []byte(line + "\r\n")
		rf, n, err := sc.Decode(wire)
		if err != nil || n != len(wire) {
			t.Errorf("%q: decode n=%d err=%v", line, n, err)
			continue
		}
		args := ArgsOf(rf.Raw)
		if args.Len() != 2 || !equalFold(rf.Attrs.Method, "echo") {
			t.Errorf("%q: %d arguments, method %q; want ECHO and one argument", line, args.Len(), rf.Attrs.Method)
			continue
		}
		if got := args.At(1); string(got) != v.str {
			t.Errorf("%q: argument %q, redis-server saw %q", line, got, v.str)
		}
	}
}

// TestLiveKeys compares the keys the codec finds with COMMAND GETKEYS.
// Redis reports no keys for shard channels; the codec does (they choose
// the slot), which the cases state explicitly.
func TestLiveKeys(t *testing.T) {
	c := dial(t, startRedis(t))
	cc := NewClientCodec(Limits{}, defaultCodecLimits)
	sc := NewServerCodec(Limits{}, defaultCodecLimits)
	for _, tc := range []struct {
		args []string
		own  []string // the codec's keys where they differ from Redis's by design
	}{
		{args: []string{"GET", "k"}}, {args: []string{"SET", "k", "v", "GET"}}, {args: []string{"MSET", "a", "1", "b"}},
		{args: []string{"MSET", "a", "1", "b", "2", "c", "3"}}, {args: []string{"DEL", "a", "b", "c"}},
		{args: []string{"BLPOP", "a", "b", "0"}},
		{args: []string{"LMOVE", "src", "dst", "LEFT", "RIGHT"}}, {args: []string{"RENAME", "a", "b"}},
		{args: []string{"EVAL", "s", "0"}}, {args: []string{"EVAL", "s", "2", "a"}}, {args: []string{"EVAL", "s", "2", "a", "b", "c"}},
		{args: []string{"EVAL", "s", "x", "a"}}, {args: []string{"EVALSHA_RO", "sha", "1", "k", "arg"}},
		{args: []string{"FCALL", "f", "2", "k1", "k2"}}, {args: []string{"ZUNIONSTORE", "d", "0", "a"}},
		{args: []string{"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}}, {args: []string{"ZINTER", "2", "a", "b"}},
		{args: []string{"ZDIFFSTORE", "d", "x", "a"}}, {args: []string{"LMPOP", "2", "a", "b", "LEFT"}},
		{args: []string{"LMPOP", "5", "a", "b", "LEFT"}}, {args: []string{"BLMPOP", "0", "2", "a", "b", "LEFT"}},
		{args: []string{"SINTERCARD", "1", "a"}}, {args: []string{"XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"}},
		{args: []string{"XREAD", "STREAMS", "a", "b", "c"}}, {args: []string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}},
		{args: []string{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"}},
		{args: []string{"XREADGROUP", "GROUP", "streams", "c", "STREAMS", "s", "0"}},
		{args: []string{"SORT", "k"}}, {args: []string{"SORT", "k", "STORE", "d"}},
		{args: []string{"SORT", "k", "BY", "x", "STORE", "d", "GET", "y"}}, {args: []string{"SORT", "k", "LIMIT", "0", "store", "STORE", "d2"}},
		{args: []string{"SORT_RO", "k", "BY", "x"}}, {args: []string{"MIGRATE", "h", "p", "k", "0", "10"}},
		{args: []string{"MIGRATE", "h", "p", "", "0", "10", "KEYS", "a", "b"}},
		{args: []string{"MIGRATE", "h", "p", "k", "0", "10", "KEYS", "a", "b"}},
		{args: []string{"MIGRATE", "h", "p", "", "0", "10", "AUTH", "keys", "KEYS", "a"}},
		{args: []string{"MIGRATE", "h", "p", "", "0", "10", "AUTH2", "u", "keys", "KEYS", "a"}},
		{args: []string{"GEORADIUS", "k", "1", "2", "3", "m", "STORE", "d"}},
		{args: []string{"GEORADIUSBYMEMBER", "k", "m", "3", "m", "STOREDIST", "d"}},
		{args: []string{"GEOSEARCHSTORE", "d", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "m"}},
		{args: []string{"OBJECT", "ENCODING", "k"}}, {args: []string{"XGROUP", "CREATE", "k", "g", "0"}},
		{args: []string{"MEMORY", "USAGE", "k"}}, {args: []string{"BITOP", "AND", "d", "a", "b"}},
		{args: []string{"PFCOUNT", "a", "b"}}, {args: []string{"WATCH", "a", "b"}}, {args: []string{"PUBLISH", "ch", "m"}},
		{args: []string{"SPUBLISH", "ch", "m"}, own: []string{"ch"}},
		{args: []string{"SSUBSCRIBE", "a", "b"}, own: []string{"a", "b"}},
		{args: []string{"BITFIELD", "k", "GET", "u8", "0"}},
	} {
		f := c.do(cc, append([]string{"COMMAND", "GETKEYS"}, tc.args...)...)
		v, _, err := parseValue(f.Raw)
		if err != nil {
			t.Fatalf("%v: parse %q: %v", tc.args, f.Raw, err)
		}
		want := tc.own
		if v.typ == '*' && tc.own == nil {
			want = v.strings()
		}
		if v.typ == '-' && tc.own == nil && !strings.Contains(v.str, "Invalid arguments") &&
			!strings.Contains(v.str, "no key arguments") {
			t.Errorf("%v: COMMAND GETKEYS: %s", tc.args, v.str)
		}
		rf, _, err := sc.Decode(AppendCommandString(nil, tc.args...))
		if err != nil {
			t.Fatalf("%v: decode: %v", tc.args, err)
		}
		if got := keyStrings(&rf.Attrs); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%v: keys %q, want %q", tc.args, got, want)
		}
	}
}

func keyStrings(a *codecs.Attributes) []string {
	out := []string{}
	for _, k := range a.Keys() {
		out = append(out, string(k))
	}
	for range a.KeyCount() - len(a.Keys()) {
		out = append(out, "?")
	}
	return out
}
