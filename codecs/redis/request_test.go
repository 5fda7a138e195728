package redis

import (
	"errors"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

func TestDecodeRequest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		wire   string
		kind   codecs.Kind
		method string
		keys   []string // "?" for a key counted but not kept
		topic  string
		sub    string
	}{
		{"get", "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n", codecs.KindRequest, "GET", []string{"foo"}, "", ""},
		{"mixed case", string(cmd("gEt", "Foo")), codecs.KindRequest, "gEt", []string{"Foo"}, "", ""},
		{"mget many", string(cmd("MGET", "a", "b", "c", "d", "e", "f")), codecs.KindRequest, "MGET", []string{"a", "b", "c", "d", "?", "?"}, "", ""},
		{"mset odd", string(cmd("MSET", "a", "1", "b")), codecs.KindRequest, "MSET", []string{"a", "b"}, "", ""},
		{"set wrong arity", string(cmd("SET", "k")), codecs.KindRequest, "SET", []string{"k"}, "", ""},
		{"get no key", string(cmd("GET")), codecs.KindRequest, "GET", []string{}, "", ""},
		{"blpop too short", string(cmd("BLPOP", "a")), codecs.KindRequest, "BLPOP", []string{}, "", ""},
		{"eval numkeys 0", string(cmd("EVAL", "s", "0", "x")), codecs.KindRequest, "EVAL", []string{}, "", ""},
		{"eval too few keys", string(cmd("EVAL", "s", "3", "a")), codecs.KindRequest, "EVAL", []string{}, "", ""},
		{"eval bad numkeys", string(cmd("EVAL", "s", "-1", "a")), codecs.KindRequest, "EVAL", []string{}, "", ""},
		{"eval short", string(cmd("EVAL", "s")), codecs.KindRequest, "EVAL", []string{}, "", ""},
		{"xread no streams", string(cmd("XREAD", "COUNT", "1")), codecs.KindRequest, "XREAD", []string{}, "", ""},
		{"sort store", string(cmd("SORT", "k", "BY", "store", "STORE", "d")), codecs.KindRequest, "SORT", []string{"k", "d"}, "", ""},
		{"sort short", string(cmd("SORT")), codecs.KindRequest, "SORT", []string{}, "", ""},
		{"migrate short", string(cmd("MIGRATE", "h")), codecs.KindRequest, "MIGRATE", []string{}, "", ""},
		{"object encoding", string(cmd("OBJECT", "encoding", "k")), codecs.KindRequest, "OBJECT", []string{"k"}, "", "encoding"},
		{"unknown subcommand", string(cmd("CLIENT", "NOSUCH", "k")), codecs.KindRequest, "CLIENT", []string{}, "", "NOSUCH"},
		{"container alone", string(cmd("CONFIG")), codecs.KindRequest, "CONFIG", []string{}, "", ""},
		{"publish", string(cmd("PUBLISH", "ch", "msg")), codecs.KindRequest, "PUBLISH", []string{}, "ch", ""},
		{"psubscribe", string(cmd("PSUBSCRIBE", "n*")), codecs.KindRequest, "PSUBSCRIBE", []string{}, "n*", ""},
		{"unsubscribe all", string(cmd("UNSUBSCRIBE")), codecs.KindRequest, "UNSUBSCRIBE", []string{}, "", ""},
		{"ssubscribe", string(cmd("SSUBSCRIBE", "a", "b")), codecs.KindRequest, "SSUBSCRIBE", []string{"a", "b"}, "a", ""},
		{"empty arg", string(cmd("GET", "")), codecs.KindRequest, "GET", []string{""}, "", ""},
		{"empty name", string(cmd("")), codecs.KindRequest, "", []string{}, "", ""},
		{"long name", string(cmd(strings.Repeat("x", 100))), codecs.KindRequest, strings.Repeat("x", 100), []string{}, "", ""},
		{"inline", "GET key\r\n", codecs.KindRequest, "GET", []string{"key"}, "", ""},
		{"inline lf", "GET key\n", codecs.KindRequest, "GET", []string{"key"}, "", ""},
		{"inline escaped key", `GET "a\x41\n"` + "\r\n", codecs.KindRequest, "GET", []string{"aA\n"}, "", ""},
		{"inline quoted name", `"get" 'k'` + "\r\n", codecs.KindRequest, "get", []string{"k"}, "", ""},
		{"inline nul ends line", "GET a\x00 b c\r\n", codecs.KindRequest, "GET", []string{"a"}, "", ""},
		{"inline not multibulk", "$3\r\n", codecs.KindRequest, "$3", []string{}, "", ""},
		{"empty multibulk", "*0\r\n", codecs.KindOneWay, "", []string{}, "", ""},
		{"negative multibulk", "*-10\r\n", codecs.KindOneWay, "", []string{}, "", ""},
		{"blank line", "\r\n", codecs.KindOneWay, "", []string{}, "", ""},
		{"lf only", "\n", codecs.KindOneWay, "", []string{}, "", ""},
		{"spaces", " \t \r\n", codecs.KindOneWay, "", []string{}, "", ""},
	} {
		wire := []byte(tc.wire + "trailing")
		f, n, err := NewServerCodec(Limits{}, defaultCodecLimits).Decode(wire)
		if err != nil || n != len(tc.wire) || string(f.Raw) != tc.wire {
			t.Errorf("%s: n=%d err=%v raw=%q", tc.name, n, err, f.Raw)
			continue
		}
		sub, _ := f.Attrs.Extra(ExtraSubcommand)
		if f.Kind != tc.kind || string(f.Attrs.Method) != tc.method || string(f.Attrs.Topic) != tc.topic || string(sub) != tc.sub ||
			strings.Join(keyStrings(&f.Attrs), ",") != strings.Join(tc.keys, ",") || f.Attrs.Protocol != Name {
			t.Errorf("%s: got kind %s %s keys %q sub %q, want %s method=%s keys=%q topic=%s sub=%q",
				tc.name, f.Kind, f.Attrs.String(), keyStrings(&f.Attrs), sub, tc.kind, tc.method, tc.keys, tc.topic, tc.sub)
		}
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	tight := Limits{MaxBulkLen: 3, MaxArrayLen: 2, MaxInlineLen: 10}
	for _, tc := range []struct {
		name     string
		lim      Limits
		wire     string
		msg      string
		offset   int
		tooLarge bool
	}{
		{"expected dollar", Limits{}, "*1\r\n:1\r\n", "Protocol error: expected '$', got ':'", 4, false},
		{"bad count", Limits{}, "*1x\r\n", "Protocol error: invalid multibulk length", 0, false},
		{"plus count", Limits{}, "*+1\r\n", "Protocol error: invalid multibulk length", 0, false},
		{"huge count", Limits{}, "*2147483648\r\n", "Protocol error: invalid multibulk length", 0, false},
		{"count over limit", tight, "*3\r\n", "Protocol error: invalid multibulk length", 0, true},
		{"count over frame", Limits{}, "*3000000\r\n", "Protocol error: request of more than 16777216 bytes", 0, true},
		{"count too long", Limits{}, "*" + strings.Repeat("9", 40), "Protocol error: invalid multibulk length", 0, false},
		{"count line too long", tight, "*" + strings.Repeat("9", 40), "Protocol error: too big mbulk count string", 0, true},
		{"count too long with cr", tight, "*" + strings.Repeat("9", 40) + "\r\n", "Protocol error: invalid multibulk length", 0, false},
		{"bulk too long", Limits{}, "*1\r\n$" + strings.Repeat("9", 40), "Protocol error: invalid bulk length", 4, false},
		{"bulk line too long", Limits{MaxInlineLen: 20}, "*1\r\n$" + strings.Repeat("9", 40), "Protocol error: too big bulk count string", 4, true},
		{"negative bulk", Limits{}, "*1\r\n$-1\r\n", "Protocol error: invalid bulk length", 4, false},
		{"bulk over limit", tight, "*1\r\n$4\r\n", "Protocol error: invalid bulk length", 4, true},
		{"bulk over frame", Limits{}, "*1\r\n$16777217\r\n", "Protocol error: invalid bulk length", 4, true},
		{"bulk fills frame", Limits{}, "*1\r\n$16777216\r\n", "Protocol error: request of more than 16777216 bytes", 4, true},
		{"args over frame", Limits{}, "*2\r\n$16777200\r\n", "Protocol error: request of more than 16777216 bytes", 4, true},
		{"no crlf after data", Limits{}, "*1\r\n$1\r\nab\r\n", "Protocol error: expected '\\r\\n' after bulk data", 9, false},
		{"cr without lf", Limits{}, "*1\rx", "Protocol error: expected '\\n' after '\\r'", 0, false},
		{"bulk cr without lf", Limits{}, "*1\r\n$1\rx", "Protocol error: expected '\\n' after '\\r'", 4, false},
		{"unbalanced", Limits{}, "SET \"a b\r\n", "Protocol error: unbalanced quotes in request", 0, false},
		{"quote glued", Limits{}, "SET \"a\"b c\r\n", "Protocol error: unbalanced quotes in request", 0, false},
		{"inline too long", tight, "GET 123456789\r\n", "Protocol error: too big inline request", 0, true},
		{"inline no newline", tight, "GET 1234567", "Protocol error: too big inline request", 0, true},
	} {
		_, n, err := NewServerCodec(tc.lim, defaultCodecLimits).Decode([]byte(tc.wire))
		var pe *codecs.ProtocolError
		if !errors.As(err, &pe) || n != 0 {
			t.Errorf("%s: n=%d err=%v, want a ProtocolError", tc.name, n, err)
			continue
		}
		text, _ := ErrorText(err)
		if text != tc.msg || pe.Offset != tc.offset || pe.Protocol != Name || errors.Is(err, codecs.ErrFrameTooLarge) != tc.tooLarge {
			t.Errorf("%s: %q at %d (too large %v), want %q at %d (too large %v)",
				tc.name, text, pe.Offset, errors.Is(err, codecs.ErrFrameTooLarge), tc.msg, tc.offset, tc.tooLarge)
		}
	}
}

func TestDecodeRequestLimitsBoundary(t *testing.T) {
	l := Limits{MaxBulkLen: 3, MaxArrayLen: 2, MaxInlineLen: 10}
	for _, wire := range []string{
		string(cmd("GET", "abc")), "GET 12345\r\n", "GET 123456\n", "*2\r\n$0\r\n\r\n$3\r\nabc\r\n",
	} {
		if _, n, err := NewServerCodec(l, defaultCodecLimits).Decode([]byte(wire)); err != nil || n != len(wire) {
			t.Errorf("%q at the limits: n=%d err=%v", wire, n, err)
		}
	}
}

func TestDecodeRequestNeedMoreHint(t *testing.T) {
	full := cmd("SET", "k", "0123456789")
	sc := NewServerCodec(Limits{}, defaultCodecLimits)
	for _, tc := range []struct {
		cut, hint int
	}{
		{0, 0}, {3, 0}, // no count yet
		{4, 4 + 3*minArg},          // count read: three arguments to come
		{len(full) - 3, len(full)}, // inside the last argument's data
		{len(full) - 1, len(full)},
	} {
		_, n, err := sc.Decode(full[:tc.cut:tc.cut])
		if err != codecs.ErrNeedMore || n != tc.hint {
			t.Errorf("cut at %d: n=%d err=%v, want hint %d and ErrNeedMore", tc.cut, n, err, tc.hint)
		}
	}
}

func TestDecodeRequestAllocs(t *testing.T) {
	sc := NewServerCodec(Limits{}, defaultCodecLimits)
	for _, wire := range [][]byte{
		cmd("GET", "key:1"), cmd("SET", "key:1", "value"), cmd("MGET", "a", "b", "c", "d", "e", "f", "g", "h"),
		cmd("EVALSHA", "abc", "2", "k1", "k2"), cmd("XREAD", "STREAMS", "a", "b", "0", "0"),
		cmd("CLIENT", "SETINFO", "lib-name", "x"), []byte("GET \"quoted key\"\r\n"),
	} {
		if a := testing.AllocsPerRun(100, func() { _, _, _ = sc.Decode(wire) }); a != 0 && !raceEnabled {
			t.Errorf("Decode(%q) allocates %.1f times", wire, a)
		}
	}
}
