package session

import (
	"context"
	"errors"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// A malformed frame gets the answers owed, an error reply, then close.
func TestMalformedFrameRepliesThenCloses(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	ss := start(t, fl, Config{Handler: echo(fl)})
	r, err := ss.client.Call("GET", "ok", "", 1, callTimeout)
	expect(t, r, err, "GET", "ok", "", 1)
	if err := ss.client.Send([]byte("LMgarbage-garbage")); err != nil {
		t.Fatal(err)
	}
	// The error reply has id 0, which no call waits for: watch the
	// connection close and Serve's error instead.
	<-ss.client.Done()
	err = ss.wait(t)
	var pe *codecs.ProtocolError
	if !errors.As(err, &pe) || pe.Protocol != "lenframe-mux" {
		t.Fatalf("Serve = %v, want a lenframe-mux ProtocolError", err)
	}
}

func TestMalformedFrameErrorReplyFormat(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	ss := start(t, fl, Config{Handler: echo(fl), Limits: codecs.Limits{MaxFrameSize: 1024}})
	// An oversized request: the pipelined client's waiter gets the error.
	r, err := ss.client.Call("PUT", "big", string(make([]byte, 2000)), 1, callTimeout)
	if err != nil || len(r) != 1 || r[0].Status != codecs.StatusBadRequest {
		t.Fatalf("oversized request answered %+v, %v; want one bad_request reply", r, err)
	}
	if err := ss.wait(t); !errors.Is(err, codecs.ErrFrameTooLarge) {
		t.Fatalf("Serve = %v, want ErrFrameTooLarge", err)
	}
}

func TestClientResponseFrameIsProtocolError(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	ss := start(t, fl, Config{Handler: echo(fl)})
	if err := ss.client.Send(fl.AppendResponse(nil, 0, codecs.StatusOK, "x")); err != nil {
		t.Fatal(err)
	}
	var pe *codecs.ProtocolError
	if err := ss.wait(t); !errors.As(err, &pe) {
		t.Fatalf("Serve = %v, want a ProtocolError", err)
	}
}

// Handler errors and panics become error replies in the protocol's
// format; the session goes on.
func TestHandlerErrorsBecomeReplies(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		switch string(st.Request.Attrs.Key(0)) {
		case "deny":
			return &codecs.ReplyError{Status: codecs.StatusDenied, Err: errors.New("rbac: denied")}
		case "panic":
			panic("boom")
		}
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h})
	for _, tc := range []struct {
		key  string
		want codecs.Status
		body string
	}{
		{"deny", codecs.StatusDenied, "rbac: denied"},
		{"panic", codecs.StatusInternal, "handler panic: boom"},
	} {
		r, err := ss.client.Call("GET", tc.key, "", 1, callTimeout)
		if err != nil || len(r) != 1 || r[0].Status != tc.want || r[0].Body != tc.body {
			t.Errorf("%s: replies %+v, %v; want one %v reply %q", tc.key, r, err, tc.want, tc.body)
		}
	}
	r, err := ss.client.Call("GET", "fine", "", 1, callTimeout)
	expect(t, r, err, "GET", "fine", "", 1)
}
