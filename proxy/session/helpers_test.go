package session

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
)

const callTimeout = 10 * time.Second

// started is a session serving one loopback connection.
type started struct {
	s      *Session
	client *peer.Client
	served chan error // Serve's result
}

// start serves one connection of flavour fl with cfg (Codec filled in).
func start(t *testing.T, fl lenframe.Flavour, cfg Config) *started {
	t.Helper()
	return startWrapped(t, fl, cfg, func(c net.Conn) net.Conn { return c })
}

// startWrapped is start with the accepted connection wrapped.
func startWrapped(t *testing.T, fl lenframe.Flavour, cfg Config, wrap func(net.Conn) net.Conn) *started {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	cfg.Codec = lenframe.New(fl)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err := peer.Dial(ln.Addr().String(), fl)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c, ok := <-accepted
	if !ok {
		t.Fatalf("accept failed")
	}
	st := &started{s: New(wrap(c), cfg), client: client, served: make(chan error, 1)}
	go func() { st.served <- st.s.Serve(context.Background()) }()
	t.Cleanup(func() {
		_ = st.s.Close()
		_ = client.Close()
	})
	return st
}

// wait returns Serve's result, failing the test if it does not come.
func (st *started) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-st.served:
		return err
	case <-time.After(callTimeout):
		t.Fatalf("Serve did not return")
		return nil
	}
}

// echo answers each request locally with its expected replies.
func echo(fl lenframe.Flavour) HandlerFunc {
	return func(_ context.Context, st *Stream) error {
		reply(fl, st)
		return nil
	}
}

func reply(fl lenframe.Flavour, st *Stream) {
	f := &st.Request
	if f.Kind == codecs.KindOneWay {
		return
	}
	m, k, b := string(f.Attrs.Method), string(f.Attrs.Key(0)), string(fl.Body(f))
	for i := 0; i < int(f.Raw[3]); i++ {
		st.Reply(fl.AppendResponse(nil, f.ID, codecs.StatusOK, peer.Answer(m, k, b, i)))
	}
}

// expect checks a call's replies.
func expect(t *testing.T, replies []peer.Reply, err error, method, key, body string, n int) {
	t.Helper()
	if err != nil {
		t.Errorf("call %s %s: %v", method, key, err)
		return
	}
	if len(replies) != n {
		t.Errorf("call %s %s: %d replies, want %d: %+v", method, key, len(replies), n, replies)
		return
	}
	for i, r := range replies {
		if want := peer.Answer(method, key, body, i); r.Body != want || r.Status != codecs.StatusOK {
			t.Errorf("call %s %s reply %d = %q (%v), want %q", method, key, i, r.Body, r.Status, want)
		}
	}
}

// eventually polls cond until it holds or fails the test.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
