package pool_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
	"github.com/sidewire/sidewire/proxy/pool"
)

// Per-request timeouts on a multiplexed pool: a short one sent after a
// long one is pending still fires on time (the connection's timer is
// brought forward), a long one outlives Options.Timeout, the late
// response is dropped, and the connection keeps serving.
func TestSendAsyncTimeoutPerRequest(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{SlowDelay: 400 * time.Millisecond})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Timeout: 250 * time.Millisecond})
	t.Cleanup(func() { m.Close() })
	long, def, short := newRecorder(fl), newRecorder(fl), newRecorder(fl)
	start := time.Now()
	// Pending first with a deadline far away: it arms the timer late.
	if err := m.SendAsyncTimeout(ctx(t), request(t, fl, 1, 1, "SLOW", "long", ""), long, nil, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := m.SendAsync(ctx(t), request(t, fl, 2, 1, "SLOW", "default", ""), def, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.SendAsyncTimeout(ctx(t), request(t, fl, 3, 1, "SLOW", "short", ""), short, nil, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	o := short.next(t)
	if el := time.Since(start); !errors.Is(o.err, pool.ErrTimeout) || el > 200*time.Millisecond {
		t.Fatalf("50ms request: %+v after %s, want a timeout well before the 250ms default", o, el)
	}
	o = def.next(t)
	if el := time.Since(start); !errors.Is(o.err, pool.ErrTimeout) || el < 250*time.Millisecond || el > 390*time.Millisecond {
		t.Fatalf("default request: %+v after %s, want a timeout at Options.Timeout (250ms)", o, el)
	}
	o = long.next(t)
	if o.err != nil || len(o.bodies) != 1 || o.bodies[0] != peer.Answer("SLOW", "long", "", 0) {
		t.Fatalf("5s request: %+v, want its answer after 400ms", o)
	}
	// The late answers of the two expired requests were dropped; the
	// connection still works and nothing is left pending.
	time.Sleep(100 * time.Millisecond)
	if err := m.SendAsyncTimeout(ctx(t), request(t, fl, 4, 1, "GET", "k", ""), def, nil, time.Second); err != nil {
		t.Fatal(err)
	}
	if o := def.next(t); o.err != nil || len(o.bodies) != 1 {
		t.Fatalf("after the timeouts: %+v", o)
	}
	if m.Pending() != 0 {
		t.Fatalf("%d pending after every completion", m.Pending())
	}
}
