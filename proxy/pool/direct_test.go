package pool_test

import (
	"context"
	"errors"
	"net"
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

// roundTrip sends one request directly through rt and returns the
// response bodies (releasing the responses) and ids.
func roundTrip(t *testing.T, rt pool.RoundTripper, req *codecs.Frame) ([]string, []uint64, error) {
	t.Helper()
	fl := lenframe.Pipelined
	if req.Raw[1] == 'M' {
		fl = lenframe.Multiplexed
	}
	resps, err := rt.RoundTrip(ctx(t), req, nil)
	var bodies []string
	var ids []uint64
	for i := range resps {
		bodies = append(bodies, string(fl.Body(&resps[i].Frame)))
		ids = append(ids, resps[i].Frame.ID)
	}
	pool.ReleaseAll(resps)
	return bodies, ids, err
}

func TestMultiplexRestoresCallerIDs(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { m.Close() })
	// Two callers with the same downstream id must not collide upstream.
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := string(rune('a' + i))
			bodies, ids, err := roundTrip(t, m, request(t, fl, 42, 1, "GET", key, ""))
			if err != nil || len(bodies) != 1 || bodies[0] != peer.Answer("GET", key, "", 0) || ids[0] != 42 {
				t.Errorf("caller %s: %q ids %v, %v", key, bodies, ids, err)
			}
		}()
	}
	wg.Wait()
}

func TestPipelineSeveralAndNoResponses(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{})
	p := pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { p.Close() })
	bodies, _, err := roundTrip(t, p, request(t, fl, 0, 3, "SUB", "ch", ""))
	if err != nil || len(bodies) != 3 || bodies[2] != peer.Answer("SUB", "ch", "", 2) {
		t.Fatalf("three-reply request: %q, %v", bodies, err)
	}
	bodies, _, err = roundTrip(t, p, request(t, fl, 0, 0, "LOG", "k", ""))
	if err != nil || len(bodies) != 0 {
		t.Fatalf("one-way request: %q, %v", bodies, err)
	}
	bodies, _, err = roundTrip(t, p, request(t, fl, 0, 1, "GET", "k", ""))
	if err != nil || len(bodies) != 1 || bodies[0] != peer.Answer("GET", "k", "", 0) {
		t.Fatalf("request after: %q, %v", bodies, err)
	}
}

// A response nothing asked for breaks pipelined matching: the
// connection is dropped and the next request gets a fresh one.
func TestPipelineUnexpectedResponseDropsConnection(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{})
	p := pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { p.Close() })
	if _, _, err := roundTrip(t, p, request(t, fl, 0, 1, "EXTRA", "k", "")); err != nil {
		t.Fatalf("EXTRA: %v", err)
	}
	eventually(t, "reconnect", func() bool {
		bodies, _, err := roundTrip(t, p, request(t, fl, 0, 1, "GET", "k", ""))
		return err == nil && len(bodies) == 1 && up.Accepted() == 2
	})
}

// An idle connection sends heartbeats; answered ones keep it.
func TestHeartbeatsOnIdleConnection(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{HeartbeatInterval: 10 * time.Millisecond})
	t.Cleanup(func() { m.Close() })
	if _, _, err := roundTrip(t, m, request(t, fl, 1, 1, "GET", "k", "")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "heartbeats", func() bool { return up.Heartbeats() >= 3 })
	if _, _, err := roundTrip(t, m, request(t, fl, 1, 1, "GET", "k", "")); err != nil {
		t.Fatal(err)
	}
	if up.Accepted() != 1 {
		t.Fatalf("answered heartbeats cost the connection: %d accepted", up.Accepted())
	}
}

// Heartbeats the upstream sends are answered.
func TestUpstreamHeartbeatsAnswered(t *testing.T) {
	leakcheck.Check(t)
	for _, fl := range []lenframe.Flavour{lenframe.Pipelined, lenframe.Multiplexed} {
		up := upstream(t, fl, peer.Behavior{HeartbeatEvery: 5 * time.Millisecond})
		var rt interface {
			pool.RoundTripper
			Close() error
		}
		if fl == lenframe.Pipelined {
			rt = pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
		} else {
			rt = pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
		}
		for i := 0; i < 20; i++ { // heartbeats interleave with responses
			if _, _, err := roundTrip(t, rt, request(t, fl, 1, 1, "GET", "k", "")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		eventually(t, "heartbeat acknowledgements", func() bool { return up.HeartbeatAcks() >= 3 })
		rt.Close()
	}
}

func TestUnansweredHeartbeatFailsConnection(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{IgnoreHeartbeats: true, SlowDelay: time.Hour})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{
		HeartbeatInterval: 10 * time.Millisecond, HeartbeatTimeout: 30 * time.Millisecond,
	})
	t.Cleanup(func() { m.Close() })
	_, _, err := roundTrip(t, m, request(t, fl, 1, 1, "SLOW", "k", ""))
	var pe *pool.Error
	if !errors.Is(err, pool.ErrHeartbeat) || !errors.As(err, &pe) || !pe.Sent || pe.CodecStatus() != codecs.StatusUnavailable {
		t.Fatalf("request on a dead connection: %v, want a sent *pool.Error wrapping ErrHeartbeat", err)
	}
}

// After a failed dial requests fail fast until the backoff passes.
func TestDialFailureBackoff(t *testing.T) {
	leakcheck.Check(t)
	var dials atomic.Int64
	d := pool.DialerFunc(func(ctx context.Context) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("connection refused")
	})
	fl := lenframe.Pipelined
	p := pool.NewPipeline(d, lenframe.New(fl), pool.Options{BackoffBase: 50 * time.Millisecond})
	t.Cleanup(func() { p.Close() })
	req := request(t, fl, 0, 1, "GET", "k", "")
	for i := 0; i < 5; i++ {
		_, _, err := roundTrip(t, p, req)
		var pe *pool.Error
		if !errors.As(err, &pe) || pe.Op != "connect upstream" || pe.Sent {
			t.Fatalf("attempt %d: %v, want an unsent connect error", i, err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d dials during the backoff, want 1", n)
	}
	time.Sleep(60 * time.Millisecond)
	roundTrip(t, p, req)
	if n := dials.Load(); n != 2 {
		t.Fatalf("%d dials after the backoff, want 2", n)
	}
}

// MaxPending makes callers wait; a caller that gives up is told its
// request was never sent.
func TestMaxPending(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{SlowDelay: 100 * time.Millisecond})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{MaxPending: 1})
	t.Cleanup(func() { m.Close() })
	slow := make(chan error, 1)
	go func() {
		_, _, err := roundTrip(t, m, request(t, fl, 1, 1, "SLOW", "k", ""))
		slow <- err
	}()
	eventually(t, "slow request pending", func() bool { return m.Pending() == 1 })
	c, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := m.RoundTrip(c, request(t, fl, 2, 1, "GET", "k", ""), nil)
	var pe *pool.Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &pe) || pe.Sent || pe.CodecStatus() != codecs.StatusTimeout {
		t.Fatalf("request over MaxPending: %v, want an unsent deadline error", err)
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if _, _, err := roundTrip(t, m, request(t, fl, 3, 1, "GET", "k", "")); err != nil {
		t.Fatal(err)
	}
}

// Close fails every pending request at once and refuses new ones.
func TestCloseFailsPending(t *testing.T) {
	leakcheck.Check(t)
	for _, fl := range []lenframe.Flavour{lenframe.Pipelined, lenframe.Multiplexed} {
		up := upstream(t, fl, peer.Behavior{SlowDelay: time.Hour})
		var rt interface {
			pool.RoundTripper
			Pending() int
			Close() error
		}
		if fl == lenframe.Pipelined {
			rt = pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
		} else {
			rt = pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
		}
		errs := make(chan error, 10)
		for i := 0; i < 10; i++ {
			go func() {
				_, _, err := roundTrip(t, rt, request(t, fl, uint64(i), 1, "SLOW", "k", ""))
				errs <- err
			}()
		}
		eventually(t, "requests pending", func() bool { return rt.Pending() == 10 })
		rt.Close()
		for i := 0; i < 10; i++ {
			if err := <-errs; !errors.Is(err, pool.ErrPoolClosed) {
				t.Fatalf("pending request after Close: %v, want ErrPoolClosed", err)
			}
		}
		if _, _, err := roundTrip(t, rt, request(t, fl, 1, 1, "GET", "k", "")); !errors.Is(err, pool.ErrPoolClosed) {
			t.Fatalf("request after Close: %v, want ErrPoolClosed", err)
		}
	}
}

// Responses the caller keeps stay intact while the connection reads on.
func TestResponsesStayValidUntilReleased(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{})
	p := pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { p.Close() })
	var kept []pool.Response
	for i := 0; i < 2000; i++ {
		key := string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		var err error
		kept, err = p.RoundTrip(ctx(t), request(t, fl, 0, 1, "GET", key, "0123456789"), kept)
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range kept {
		key := string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		if got := string(fl.Body(&kept[i].Frame)); got != peer.Answer("GET", key, "0123456789", 0) {
			t.Fatalf("response %d changed before release: %q", i, got)
		}
	}
	pool.ReleaseAll(kept)
}

// One-way requests to an upstream that stopped reading are refused once
// the write buffer passes BufferLimit, instead of growing without bound.
func TestOneWayBackpressure(t *testing.T) {
	leakcheck.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // never read
		}
		close(accepted)
	}()
	fl := lenframe.Pipelined
	p := pool.NewPipeline(&pool.TCPDialer{Addr: ln.Addr().String()}, lenframe.New(fl), pool.Options{BufferLimit: 256 << 10})
	req := request(t, fl, 0, 0, "LOG", "k", string(make([]byte, 64<<10)))
	var full error
	for i := 0; i < 2000 && full == nil; i++ { // at most 128 MiB
		if _, err := p.RoundTrip(ctx(t), req, nil); err != nil {
			full = err
		}
	}
	var pe *pool.Error
	if !errors.Is(full, pool.ErrBufferFull) || !errors.As(full, &pe) || pe.Sent {
		t.Fatalf("one-way flood to a stalled upstream: %v, want an unsent ErrBufferFull", full)
	}
	p.Close()
	ln.Close()
	if c, ok := <-accepted; ok {
		c.Close()
	}
}
