package redis

import (
	"math"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

func TestEncoders(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"array", AppendArray(nil, 3), "*3\r\n"},
		{"null array 2", AppendNullArray(nil, RESP2), "*-1\r\n"},
		{"null array 3", AppendNullArray(nil, RESP3), "_\r\n"},
		{"bulk", AppendBulk(nil, []byte("a\r\nb")), "$4\r\na\r\nb\r\n"},
		{"empty bulk", AppendBulk(nil, nil), "$0\r\n\r\n"},
		{"bulk string", AppendBulkString(nil, "héllo"), "$6\r\nhéllo\r\n"},
		{"null 2", AppendNull(nil, RESP2), "$-1\r\n"},
		{"null 3", AppendNull(nil, RESP3), "_\r\n"},
		{"simple", AppendSimple(nil, "OK"), "+OK\r\n"},
		{"simple newline", AppendSimple(nil, "a\r\nb"), "+a  b\r\n"},
		{"error", AppendError(nil, "ERR no such key"), "-ERR no such key\r\n"},
		{"error newline", AppendError(nil, "ERR a\nb"), "-ERR a b\r\n"},
		{"integer", AppendInteger(nil, -42), ":-42\r\n"},
		{"min integer", AppendInteger(nil, math.MinInt64), ":-9223372036854775808\r\n"},
		{"map 3", AppendMap(nil, 2, RESP3), "%2\r\n"},
		{"map 2", AppendMap(nil, 2, RESP2), "*4\r\n"},
		{"set 3", AppendSet(nil, 2, RESP3), "~2\r\n"},
		{"set 2", AppendSet(nil, 2, RESP2), "*2\r\n"},
		{"push 3", AppendPush(nil, 3, RESP3), ">3\r\n"},
		{"push 2", AppendPush(nil, 3, RESP2), "*3\r\n"},
		{"double 3", AppendDouble(nil, 1.5, RESP3), ",1.5\r\n"},
		{"double 2", AppendDouble(nil, 0.1, RESP2), "$3\r\n0.1\r\n"},
		{"double exp", AppendDouble(nil, 1e21, RESP3), ",1e+21\r\n"},
		{"double inf", AppendDouble(nil, math.Inf(1), RESP3), ",inf\r\n"},
		{"double -inf", AppendDouble(nil, math.Inf(-1), RESP2), "$4\r\n-inf\r\n"},
		{"double nan", AppendDouble(nil, math.NaN(), RESP3), ",nan\r\n"},
		{"bool 3", AppendBool(nil, true, RESP3), "#t\r\n"},
		{"bool false 3", AppendBool(nil, false, RESP3), "#f\r\n"},
		{"bool 2", AppendBool(nil, true, RESP2), ":1\r\n"},
		{"bool false 2", AppendBool(nil, false, RESP2), ":0\r\n"},
		{"big number 3", AppendBigNumber(nil, "-123456789012345678901234567890", RESP3), "(-123456789012345678901234567890\r\n"},
		{"big number 2", AppendBigNumber(nil, "12", RESP2), "$2\r\n12\r\n"},
		{"verbatim 3", AppendVerbatim(nil, "mkd", []byte("# hi"), RESP3), "=8\r\nmkd:# hi\r\n"},
		{"verbatim bad format", AppendVerbatim(nil, "markdown", []byte("x"), RESP3), "=5\r\ntxt:x\r\n"},
		{"verbatim 2", AppendVerbatim(nil, "txt", []byte("x"), RESP2), "$1\r\nx\r\n"},
		{"command", AppendCommand(nil, []byte("GET"), []byte("k")), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"},
		{"command string", AppendCommandString([]byte("x"), "PING"), "x*1\r\n$4\r\nPING\r\n"},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestEncodersDecode decodes every RESP3 and RESP2 encoding back.
func TestEncodersDecode(t *testing.T) {
	for _, p := range []Proto{RESP2, RESP3} {
		var b []byte
		b = AppendArray(b, 13)
		b = AppendNullArray(b, p)
		b = AppendNull(b, p)
		b = AppendBulkString(b, "x")
		b = AppendSimple(b, "OK")
		b = AppendError(b, "ERR e")
		b = AppendInteger(b, 7)
		b = AppendDouble(AppendDouble(b, -2.5e-300, p), math.Inf(-1), p)
		b = AppendBool(b, true, p)
		b = AppendBigNumber(b, "+99", p)
		b = AppendVerbatim(b, "txt", []byte("v"), p)
		b = AppendSet(AppendMap(b, 0, p), 0, p)
		f, n, err := NewClientCodec(Limits{}, defaultCodecLimits).Decode(b)
		if err != nil || n != len(b) || f.Kind != codecs.KindResponse {
			t.Errorf("RESP%d: n=%d of %d err=%v kind %s: %q", p, n, len(b), err, f.Kind, b)
		}
		v, m, err := parseValue(b)
		if err != nil || m != len(b) || len(v.elems) != 13 {
			t.Errorf("RESP%d: reference parser: %d elements, n=%d, err=%v", p, len(v.elems), m, err)
		}
	}
}

func TestEncodersAllocs(t *testing.T) {
	dst := make([]byte, 0, 1024)
	key := []byte("key")
	allocs := testing.AllocsPerRun(100, func() {
		b := AppendCommand(dst[:0], []byte("MGET"), key, key)
		b = AppendArray(b, 2)
		b = AppendBulk(b, key)
		b = AppendNull(b, RESP2)
		b = AppendInteger(b, 1<<40)
		b = AppendDouble(b, 3.25, RESP3)
		b = AppendSimple(b, "OK")
		_ = AppendError(b, "ERR x")
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("encoders allocate %.1f times with a large enough dst", allocs)
	}
}
