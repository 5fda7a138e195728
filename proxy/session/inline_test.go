package session

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
	"github.com/sidewire/sidewire/proxy/pool"
)

// rawSession serves one loopback connection with cfg and returns the
// client end as a plain net.Conn, so a test controls when it reads.
func rawSession(t *testing.T, fl lenframe.Flavour, cfg Config) (*Session, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Codec = lenframe.New(fl)
	s := New(server, cfg)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(context.Background())
	}()
	t.Cleanup(func() {
		_ = client.Close()
		_ = s.Close()
		<-served
	})
	return s, client
}

// readAnswers reads n answers from c and returns their bodies.
func readAnswers(t *testing.T, c net.Conn, fl lenframe.Flavour, n int) []string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(callTimeout))
	dec := lenframe.New(fl).NewClientCodec(codecs.Limits{MaxFrameSize: 64 << 20})
	var buf []byte
	tmp := make([]byte, 64<<10)
	var out []string
	for len(out) < n {
		f, m, err := dec.Decode(buf)
		if err == nil {
			out = append(out, string(fl.Body(&f)))
			buf = buf[m:]
			continue
		}
		if err != codecs.ErrNeedMore {
			t.Fatalf("decode answer: %v", err)
		}
		k, err := c.Read(tmp)
		if err != nil {
			t.Fatalf("read answer %d of %d: %v", len(out)+1, n, err)
		}
		buf = append(buf, tmp[:k]...)
	}
	return out
}

// An inline handler runs on the read goroutine, one request at a time,
// in arrival order; a held request completed later keeps its place in
// the answers.
func TestInlineHandlerOrderAndHold(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	var active, maxActive atomic.Int32
	var mu sync.Mutex
	var order []string
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		if n := active.Add(1); n > maxActive.Load() {
			maxActive.Store(n)
		}
		defer active.Add(-1)
		key := string(st.Request.Attrs.Key(0))
		mu.Lock()
		order = append(order, key)
		mu.Unlock()
		if !strings.HasPrefix(key, "held") {
			reply(fl, st)
			return nil
		}
		st.Hold()
		go func() {
			time.Sleep(20 * time.Millisecond)
			reply(fl, st)
			st.Complete(nil)
		}()
		return nil
	})
	_, client := rawSession(t, fl, Config{Handler: h, Inline: true})
	keys := []string{"a", "held1", "b", "held2", "c"}
	var raw []byte
	for _, k := range keys {
		raw = fl.AppendRequest(raw, 0, 1, "GET", k, "")
	}
	if _, err := client.Write(raw); err != nil {
		t.Fatal(err)
	}
	got := readAnswers(t, client, fl, len(keys))
	for i, k := range keys {
		if want := peer.Answer("GET", k, "", 0); got[i] != want {
			t.Fatalf("answer %d = %q, want %q (answers %q)", i, got[i], want, got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(order, ",") != strings.Join(keys, ",") {
		t.Errorf("handlers ran in order %v, want %v", order, keys)
	}
	if maxActive.Load() != 1 {
		t.Errorf("%d inline handlers ran at once, want 1", maxActive.Load())
	}
}

// Answers completed in a batch are written when the batch runs, by its
// goroutine; what the socket does not take at once (the client is not
// reading) is finished by the writer goroutine, intact and in order.
func TestCompleteInBatchAndCarry(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	held := make(chan *Stream, 16)
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		st.Hold()
		held <- st
		return nil
	})
	_, client := rawSession(t, fl, Config{Handler: h, Inline: true})
	const n = 6
	big := strings.Repeat("x", 2<<20) // far more than the socket buffers take
	var raw []byte
	for i := range n {
		raw = fl.AppendRequest(raw, 0, 1, "GET", string(rune('a'+i)), "")
	}
	if _, err := client.Write(raw); err != nil {
		t.Fatal(err)
	}
	var b pool.Batch
	for i := range n {
		st := <-held
		body := big
		if i == 0 {
			body = "small"
		}
		st.Reply(fl.AppendResponse(nil, st.Request.ID, codecs.StatusOK, body))
		st.CompleteIn(&b, nil)
		if i == 0 {
			// Not written until the batch runs.
			_ = client.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
			if k, err := client.Read(make([]byte, 1)); k != 0 || err == nil {
				t.Fatalf("read %d bytes before the batch ran", k)
			}
		}
	}
	if b.Len() != 1 {
		t.Fatalf("batch holds %d flushes, want 1 (one session)", b.Len())
	}
	b.Run() // does not block although the client reads nothing yet
	time.Sleep(20 * time.Millisecond)
	got := readAnswers(t, client, fl, n)
	for i, body := range got {
		want := big
		if i == 0 {
			want = "small"
		}
		if body != want {
			t.Fatalf("answer %d: %d bytes, want %d", i, len(body), len(want))
		}
	}
}

// ServeDraining drains the session when its listener drains: the
// request in flight is answered, then Serve returns and the connection
// closes.
func TestServeDraining(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	release := make(chan struct{})
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		<-release
		reply(fl, st)
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s := New(server, Config{Codec: lenframe.New(fl), Handler: h})
	draining := make(chan struct{})
	var drains atomic.Int32
	served := make(chan error, 1)
	go func() { served <- s.ServeDraining(context.Background(), draining, func() { drains.Add(1) }) }()
	if _, err := client.Write(fl.AppendRequest(nil, 1, 1, "GET", "k", "")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "request in flight", func() bool { return s.InFlight() == 1 })
	close(draining)
	eventually(t, "drain started", func() bool { return drains.Load() == 1 })
	close(release)
	if got := readAnswers(t, client, fl, 1); got[0] != peer.Answer("GET", "k", "", 0) {
		t.Fatalf("answer during drain = %q", got[0])
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("ServeDraining = %v, want nil after a drain", err)
		}
	case <-time.After(callTimeout):
		t.Fatal("ServeDraining did not return after the drain")
	}
}
