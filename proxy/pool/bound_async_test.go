package pool_test

import (
	"errors"
	"testing"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
	"github.com/sidewire/sidewire/proxy/pool"
)

// SendAsync on a bound connection completes requests in order with the
// reader's batch, holds batched requests until the batch runs, and fails
// what is pending (and every later send) once the connection is closed.
func TestBoundSendAsync(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{})
	b := pool.NewBound(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { b.Close() })
	bc, err := b.Connect(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(fl)
	var batch pool.Batch
	const n = 5
	for i := range n {
		if err := bc.SendAsync(ctx(t), request(t, fl, 0, 1, "GET", string(rune('a'+i)), ""), rec, &batch); err != nil {
			t.Fatal(err)
		}
	}
	if up.Requests() != 0 {
		t.Fatalf("upstream saw %d requests before the batch ran", up.Requests())
	}
	batch.Run()
	for i := range n {
		o := rec.next(t)
		want := peer.Answer("GET", string(rune('a'+i)), "", 0)
		if o.err != nil || len(o.bodies) != 1 || o.bodies[0] != want || !o.batched {
			t.Fatalf("completion %d = %+v, want %q from the reader's batch", i, o, want)
		}
	}

	slow := peer.Behavior{SlowDelay: callTimeout * 10}
	up2 := upstream(t, fl, slow)
	b2 := pool.NewBound(&pool.TCPDialer{Addr: up2.Addr()}, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { b2.Close() })
	bc2, err := b2.Connect(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bc2.SendAsync(ctx(t), request(t, fl, 0, 1, "SLOW", "k", ""), rec, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "request sent", func() bool { return up2.Requests() == 1 })
	bc2.Close()
	if o := rec.next(t); !errors.Is(o.err, pool.ErrPoolClosed) {
		t.Fatalf("completion after Close = %+v, want ErrPoolClosed", o)
	}
	if err := bc2.SendAsync(ctx(t), request(t, fl, 0, 1, "GET", "k", ""), rec, nil); err == nil {
		t.Fatal("SendAsync on a closed bound connection succeeded")
	}
}
