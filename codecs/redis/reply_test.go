package redis

import (
	"errors"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

func TestDecodeReply(t *testing.T) {
	for _, tc := range []struct {
		name   string
		wire   string
		kind   codecs.Kind
		status codecs.Status
		code   string // ExtraError
	}{
		{"simple", "+OK\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"empty simple", "+\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"simple with cr", "+a\rb\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"error", "-WRONGTYPE Operation against a key\r\n", codecs.KindResponse, codecs.StatusError, "WRONGTYPE"},
		{"error one word", "-ERR\r\n", codecs.KindResponse, codecs.StatusError, "ERR"},
		{"integer", ":0\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"min integer", ":-9223372036854775808\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"bulk binary", "$4\r\n\r\n\x00\xff\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"null bulk", "$-1\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"null array", "*-1\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"array of nulls", "*2\r\n$-1\r\n*-1\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"deep", "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"empty map", "%0\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"map of aggregates", "%1\r\n*1\r\n:1\r\n~1\r\n#f\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"doubles", "*6\r\n,1\r\n,-1.5\r\n,.5\r\n,1e10\r\n,1.5E-3\r\n,nan\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"big number", "(-12\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"verbatim", "=4\r\ntxt:\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"blob error", "!3\r\nERR\r\n", codecs.KindResponse, codecs.StatusError, "ERR"},
		{"nested attribute", "*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"two attributes", "|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n+OK\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"empty attribute", "|0\r\n:1\r\n", codecs.KindResponse, codecs.StatusOK, ""},
		{"push", ">2\r\n+custom\r\n:1\r\n", codecs.KindEvent, codecs.StatusOK, ""},
		{"empty push", ">0\r\n", codecs.KindEvent, codecs.StatusOK, ""},
		{"push array kind", ">1\r\n*0\r\n", codecs.KindEvent, codecs.StatusOK, ""},
		{"push short subscribe", ">2\r\n$9\r\nsubscribe\r\n$1\r\na\r\n", codecs.KindEvent, codecs.StatusOK, ""},
	} {
		wire := []byte(tc.wire + "+NEXT\r\n")
		f, n, err := NewClientCodec(Limits{}, defaultCodecLimits).Decode(wire)
		if err != nil || n != len(tc.wire) {
			t.Errorf("%s: n=%d err=%v, want %d", tc.name, n, err, len(tc.wire))
			continue
		}
		code, _ := f.Attrs.Extra(ExtraError)
		if f.Kind != tc.kind || f.Attrs.Status != tc.status || string(code) != tc.code || f.Attrs.Protocol != Name {
			t.Errorf("%s: %s %s, want %s status %s code %q", tc.name, f.Kind, f.Attrs.String(), tc.kind, tc.status, tc.code)
		}
	}
}

func TestDecodeReplyErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lim      Limits
		wire     string
		msg      string
		offset   int
		tooLarge bool
	}{
		{"type", Limits{}, "@\r\n", `Protocol error: invalid reply type byte '@'`, 0, false},
		{"nested type", Limits{}, "*2\r\n:1\r\n.\r\n", `Protocol error: invalid reply type byte '.'`, 8, false},
		{"streamed array", Limits{}, "*?\r\n", "Protocol error: streamed RESP3 aggregates are not supported", 0, false},
		{"streamed map", Limits{}, "%?\r\n", "Protocol error: streamed RESP3 aggregates are not supported", 0, false},
		{"streamed bulk", Limits{}, "$?\r\n", "Protocol error: streamed RESP3 aggregates are not supported", 0, false},
		{"bad integer", Limits{}, ":--1\r\n", "Protocol error: invalid integer", 0, false},
		{"integer overflow", Limits{}, ":9223372036854775808\r\n", "Protocol error: invalid integer", 0, false},
		{"empty integer", Limits{}, ":\r\n", "Protocol error: invalid integer", 0, false},
		{"long integer", Limits{}, ":" + strings.Repeat("1", 40), "Protocol error: invalid integer", 0, false},
		{"boolean", Limits{}, "#true\r\n", "Protocol error: invalid boolean", 0, false},
		{"null", Limits{}, "_0\r\n", "Protocol error: invalid null", 0, false},
		{"double", Limits{}, ",1e\r\n", "Protocol error: invalid double", 0, false},
		{"double empty", Limits{}, ",\r\n", "Protocol error: invalid double", 0, false},
		{"big number", Limits{}, "(+\r\n", "Protocol error: invalid big number", 0, false},
		{"verbatim colon", Limits{}, "=5\r\ntxt-x\r\n", "Protocol error: invalid verbatim string", 0, false},
		{"null verbatim", Limits{}, "=-1\r\n", "Protocol error: invalid bulk length", 0, false},
		{"bulk -2", Limits{}, "$-2\r\n", "Protocol error: invalid bulk length", 0, false},
		{"bulk crlf", Limits{}, "$2\r\nabc\r\n", "Protocol error: expected '\\r\\n' after bulk data", 6, false},
		{"array -2", Limits{}, "*-2\r\n", "Protocol error: invalid multibulk length", 0, false},
		{"null set", Limits{}, "~-1\r\n", "Protocol error: invalid aggregate length", 0, false},
		{"lf in simple", Limits{}, "-a\nb\r\n", "Protocol error: line feed without carriage return", 2, false},
		{"cr without lf", Limits{}, ":1\rx", "Protocol error: expected '\\n' after '\\r'", 0, false},
		{"too deep", Limits{MaxDepth: 2}, "*1\r\n*1\r\n*1\r\n:1\r\n", "Protocol error: reply nested deeper than 2 aggregates", 8, true},
		{"attribute depth", Limits{MaxDepth: 1}, "*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n", "Protocol error: reply nested deeper than 1 aggregates", 4, true},
		{"array limit", Limits{MaxArrayLen: 2}, "*3\r\n", "Protocol error: invalid multibulk length", 0, true},
		{"map limit", Limits{MaxArrayLen: 2}, "%3\r\n", "Protocol error: invalid multibulk length", 0, true},
		{"bulk limit", Limits{MaxBulkLen: 2}, "$3\r\nabc\r\n", "Protocol error: invalid bulk length", 0, true},
		{"frame by count", Limits{}, "*40\r\n", "Protocol error: reply of more than 100 bytes", 0, true},
		{"frame by nested count", Limits{}, "*2\r\n*30\r\n", "Protocol error: reply of more than 100 bytes", 4, true},
		{"bulk over frame", Limits{}, "$101\r\n", "Protocol error: invalid bulk length", 0, true},
		{"frame by bulk", Limits{}, "$98\r\n", "Protocol error: reply of more than 100 bytes", 5, true},
		{"frame by line", Limits{}, "+" + strings.Repeat("a", 200), "Protocol error: reply of more than 100 bytes", 100, true},
	} {
		_, n, err := NewClientCodec(tc.lim, codecs.Limits{MaxFrameSize: 100}).Decode([]byte(tc.wire))
		var pe *codecs.ProtocolError
		if !errors.As(err, &pe) || n != 0 {
			t.Errorf("%s: n=%d err=%v, want a ProtocolError", tc.name, n, err)
			continue
		}
		text, _ := ErrorText(err)
		if text != tc.msg || pe.Offset != tc.offset || errors.Is(err, codecs.ErrFrameTooLarge) != tc.tooLarge {
			t.Errorf("%s: %q at %d (too large %v), want %q at %d (too large %v)",
				tc.name, text, pe.Offset, errors.Is(err, codecs.ErrFrameTooLarge), tc.msg, tc.offset, tc.tooLarge)
		}
	}
}

func TestDecodeReplyNeedMoreHint(t *testing.T) {
	full := []byte("*3\r\n$5\r\nhello\r\n*1\r\n:1\r\n$3\r\nabc\r\n")
	cc := NewClientCodec(Limits{}, defaultCodecLimits)
	for _, tc := range []struct{ cut, hint int }{
		{0, 0}, {2, 0},
		{4, 4 + 3*minReply},   // three elements to come
		{10, 15 + 2*minReply}, // inside "hello": its end plus two elements
		{15, 15 + 2*minReply}, // between elements
		{19, 19 + 2*minReply}, // inner array open: its element and the last one
		{len(full) - 2, len(full)},
	} {
		_, n, err := cc.Decode(full[:tc.cut:tc.cut])
		if err != codecs.ErrNeedMore || n != tc.hint {
			t.Errorf("cut at %d: n=%d err=%v, want hint %d", tc.cut, n, err, tc.hint)
		}
	}
}

func TestDecodeReplyAllocs(t *testing.T) {
	cc := NewClientCodec(Limits{}, defaultCodecLimits)
	for _, wire := range []string{
		"+OK\r\n", "$5\r\nvalue\r\n", "$-1\r\n", ":42\r\n", "-ERR wrong\r\n",
		"*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n", "%1\r\n+a\r\n*1\r\n,1.5\r\n",
		">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n", "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n",
	} {
		b := []byte(wire)
		if a := testing.AllocsPerRun(100, func() { _, _, _ = cc.Decode(b) }); a != 0 && !raceEnabled {
			t.Errorf("Decode(%q) allocates %.1f times", wire, a)
		}
	}
}

func TestHelloProtocol(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want int
	}{
		{"%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:3\r\n", 3},
		{"*6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:2\r\n", 2},
		{"%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 0},
		{"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n$1\r\n3\r\n", 0}, // HGETALL-like: a bulk value
		{"%1\r\n$5\r\nproto\r\n:3\r\n", 0},
		{"*2\r\n$6\r\nserver\r\n*0\r\n", 0},
	} {
		if got := helloProto([]byte(tc.wire), 0); int(got) != tc.want {
			t.Errorf("helloProto(%q) = %d, want %d", tc.wire, got, tc.want)
		}
	}
}
