package redis

import (
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

func TestAppendError(t *testing.T) {
	sc := NewServerCodec(Limits{}, defaultCodecLimits)
	req, _, _ := sc.Decode(cmd("GET", "k"))
	_, _, decErr := sc.Decode([]byte("*1\r\n$x\r\n"))
	for _, tc := range []struct {
		name   string
		req    *codecs.Frame
		status codecs.Status
		msg    string
		want   string
	}{
		{"plain", &req, codecs.StatusUnavailable, "no healthy upstream", "-ERR no healthy upstream\r\n"},
		{"denied", &req, codecs.StatusDenied, "this user has no permissions", "-NOPERM this user has no permissions\r\n"},
		{"own code", &req, codecs.StatusBadRequest, "-CROSSSLOT Keys in request don't hash to the same slot", "-CROSSSLOT Keys in request don't hash to the same slot\r\n"},
		{"newlines", &req, codecs.StatusInternal, "a\r\nb", "-ERR a  b\r\n"},
		{"decode error", nil, codecs.StatusBadRequest, decErr.Error(), "-ERR Protocol error: invalid bulk length\r\n"},
		{"other connection error", nil, codecs.StatusBadRequest, "too slow", "-ERR Protocol error: too slow\r\n"},
	} {
		if got := sc.AppendError(nil, tc.req, tc.status, tc.msg); string(got) != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := AppendProtocolError([]byte("x"), decErr); string(got) != "x-ERR Protocol error: invalid bulk length\r\n" {
		t.Errorf("AppendProtocolError = %q", got)
	}
	if got := AppendProtocolError(nil, codecs.ErrFrameTooLarge); string(got) != "-ERR Protocol error: frame too large\r\n" {
		t.Errorf("AppendProtocolError(foreign error) = %q", got)
	}
	if text, ok := ErrorText(codecs.ErrNeedMore); ok || text != "" {
		t.Errorf("ErrorText(ErrNeedMore) = %q, %v", text, ok)
	}
}

func TestServerProtocol(t *testing.T) {
	sc := NewServerCodec(Limits{}, defaultCodecLimits)
	cc := NewClientCodec(Limits{}, defaultCodecLimits)
	step := func(reply string, want int) {
		t.Helper()
		f, _, err := cc.Decode([]byte(reply))
		if err != nil {
			t.Fatal(err)
		}
		if out := sc.AppendResponse(nil, &f, 0); string(out) != reply {
			t.Errorf("AppendResponse changed %q to %q", reply, out)
		}
		if sc.Protocol() != want || cc.Protocol() != want {
			t.Errorf("after %q: server codec speaks RESP%d, client codec RESP%d, want %d", reply, sc.Protocol(), cc.Protocol(), want)
		}
	}
	step("+OK\r\n", 2)
	step("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n", 3)
	step("*2\r\n$1\r\na\r\n$1\r\nb\r\n", 3)
	step("*4\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:2\r\n", 2)
	step("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n", 3)
	step("+RESET\r\n", 2)
	sc.SetProtocol(3)
	sc.SetProtocol(4)
	if sc.Protocol() != 3 {
		t.Errorf("SetProtocol(3) then (4): %d", sc.Protocol())
	}
	if out := sc.AppendEventResponse([]byte("x"), &codecs.Frame{}); string(out) != "x" {
		t.Errorf("AppendEventResponse wrote %q", out)
	}
	if out := cc.AppendHeartbeat([]byte("x"), 1); string(out) != "x" {
		t.Errorf("AppendHeartbeat wrote %q", out)
	}
}

func TestCodec(t *testing.T) {
	c := New(Limits{MaxDepth: 5000})
	if c.Name() != "redis" || c.Mode() != codecs.Pipeline || c.Limits().MaxDepth != maxDepthCap ||
		c.Limits().MaxInlineLen != DefaultMaxInlineLen {
		t.Errorf("codec: %s %s %+v", c.Name(), c.Mode(), c.Limits())
	}
	if _, ok := c.NewServerCodec(codecs.Limits{}).(*ServerCodec); !ok {
		t.Errorf("NewServerCodec type")
	}
	if _, ok := c.NewClientCodec(codecs.Limits{}).(*ClientCodec); !ok {
		t.Errorf("NewClientCodec type")
	}
}
