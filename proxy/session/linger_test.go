package session

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// The protocol error reply survives a client that keeps sending and
// reads late: the session half-closes and drains instead of resetting.
func TestProtocolErrorReplySurvivesUnreadInput(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		served <- New(c, Config{Codec: lenframe.New(fl), Handler: echo(fl)}).Serve(context.Background())
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	junk := append([]byte("LP\x09"), bytes.Repeat([]byte("j"), 64<<10)...)
	if _, err := c.Write(junk); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the session has answered and closed by now
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the reply: %v (the connection was reset)", err)
	}
	f, _, derr := lenframe.New(fl).NewClientCodec(codecs.Limits{}).Decode(got)
	if derr != nil || f.Attrs.Status != codecs.StatusBadRequest {
		t.Fatalf("got %q (%v), want a bad_request reply", got, derr)
	}
	var pe *codecs.ProtocolError
	if err := <-served; !errors.As(err, &pe) {
		t.Fatalf("Serve = %v, want a ProtocolError", err)
	}
}
