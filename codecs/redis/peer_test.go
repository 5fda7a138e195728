package redis

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/testpeer"
)

// startRedis starts a redis-server for the test; it fails the test
// with the install command when the binary is missing.
func startRedis(t testing.TB) string {
	t.Helper()
	return testpeer.StartRedis(t, "--enable-debug-command", "yes").Addr()
}

// conn is a raw connection to a redis-server.
type conn struct {
	t   testing.TB
	c   net.Conn
	buf []byte // bytes read and not yet consumed
}

func dial(t testing.TB, addr string) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial redis: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, c: c}
}

func (c *conn) write(b []byte) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write(b); err != nil {
		c.t.Fatalf("write to redis: %v", err)
	}
}

// readMore reads once more into buf; it returns false at EOF.
func (c *conn) readMore() bool {
	c.t.Helper()
	var tmp [64 << 10]byte
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.c.Read(tmp[:])
	c.buf = append(c.buf, tmp[:n]...)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("read from redis: %v (have %q)", err, c.buf)
		}
		return n > 0
	}
	return true
}

// readUntil reads until buf ends with suffix and returns the bytes
// before it, consuming both. It frames replies without the codec.
func (c *conn) readUntil(suffix []byte) []byte {
	c.t.Helper()
	for !bytes.HasSuffix(c.buf, suffix) {
		if !c.readMore() {
			c.t.Fatalf("connection closed before %q; have %q", suffix, c.buf)
		}
	}
	out := bytes.Clone(c.buf[:len(c.buf)-len(suffix)])
	c.buf = c.buf[:0]
	return out
}

// readAll reads until the server closes the connection.
func (c *conn) readAll() []byte {
	c.t.Helper()
	for c.readMore() {
	}
	out := c.buf
	c.buf = nil
	return out
}

// frame reads one reply, framed by a ClientCodec.
func (c *conn) frame(cc *ClientCodec) codecs.Frame {
	c.t.Helper()
	for {
		f, n, err := cc.Decode(c.buf)
		if err == nil {
			f.Raw = bytes.Clone(f.Raw)
			c.buf = c.buf[n:]
			return f
		}
		if err != codecs.ErrNeedMore {
			c.t.Fatalf("decode reply: %v (have %q)", err, c.buf)
		}
		if !c.readMore() {
			c.t.Fatalf("connection closed mid-reply; have %q", c.buf)
		}
	}
}

// do sends a command and returns its reply, framed by cc.
func (c *conn) do(cc *ClientCodec, args ...string) codecs.Frame {
	c.t.Helper()
	c.write(AppendCommandString(nil, args...))
	return c.frame(cc)
}
