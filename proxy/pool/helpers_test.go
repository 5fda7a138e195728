package pool_test

import (
	"context"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
	"github.com/sidewire/sidewire/internal/proxytest"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/session"
)

const callTimeout = 10 * time.Second

// upstream starts a peer server closed when the test ends.
func upstream(t *testing.T, fl lenframe.Flavour, b peer.Behavior) *peer.Server {
	t.Helper()
	s, err := peer.Listen(fl, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// front serves sessions whose handler forwards every request through rt.
func front(t *testing.T, fl lenframe.Flavour, rt pool.RoundTripper) *proxytest.Front {
	t.Helper()
	h := session.HandlerFunc(func(ctx context.Context, st *session.Stream) error {
		return st.Forward(ctx, rt)
	})
	return proxytest.Serve(t, session.Config{Codec: lenframe.New(fl), Handler: h})
}

func dial(t *testing.T, addr string, fl lenframe.Flavour) *peer.Client {
	t.Helper()
	c, err := peer.Dial(addr, fl)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// request decodes a request frame as a session would.
func request(t testing.TB, fl lenframe.Flavour, id uint64, replies byte, method, key, body string) *codecs.Frame {
	t.Helper()
	f, _, err := lenframe.New(fl).NewServerCodec(codecs.Limits{}).Decode(fl.AppendRequest(nil, id, replies, method, key, body))
	if err != nil {
		t.Fatalf("decode request: %v", err)
	}
	return &f
}

// checkReplies checks a downstream call's answers.
func checkReplies(t *testing.T, r []peer.Reply, err error, method, key, body string, n int) {
	t.Helper()
	if err != nil {
		t.Errorf("call %s %s: %v", method, key, err)
		return
	}
	if len(r) != n {
		t.Errorf("call %s %s: %d replies, want %d: %+v", method, key, len(r), n, r)
		return
	}
	for i := range r {
		if want := peer.Answer(method, key, body, i); r[i].Body != want || r[i].Status != codecs.StatusOK {
			t.Errorf("call %s %s reply %d = %q (%v), want %q", method, key, i, r[i].Body, r[i].Status, want)
		}
	}
}

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

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c
}
