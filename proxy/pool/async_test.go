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

// outcome is what a Completion was told.
type outcome struct {
	bodies  []string
	err     error
	batched bool
}

// recorder is a Completion that reports on a channel.
type recorder struct {
	fl lenframe.Flavour
	ch chan outcome
}

func newRecorder(fl lenframe.Flavour) *recorder {
	return &recorder{fl: fl, ch: make(chan outcome, 64)}
}

func (r *recorder) Complete(b *pool.Batch, resps []pool.Response, err error) {
	o := outcome{err: err, batched: b != nil}
	for i := range resps {
		o.bodies = append(o.bodies, string(r.fl.Body(&resps[i].Frame)))
		resps[i].Release()
	}
	r.ch <- o
}

func (r *recorder) next(t *testing.T) outcome {
	t.Helper()
	select {
	case o := <-r.ch:
		return o
	case <-time.After(callTimeout):
		t.Fatal("no completion")
		return outcome{}
	}
}

// A batch holds the requests queued with it until it runs; responses
// complete on the reader with the reader's batch.
func TestSendAsyncBatchedWrite(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{})
	p := pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Timeout: callTimeout})
	t.Cleanup(func() { p.Close() })
	rec := newRecorder(fl)
	var b pool.Batch
	for i := range 3 {
		if err := p.SendAsync(ctx(t), request(t, fl, 0, 1, "GET", string(rune('a'+i)), ""), rec, &b); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 1 {
		t.Fatalf("batch holds %d flushes, want 1 (one connection)", b.Len())
	}
	time.Sleep(20 * time.Millisecond)
	if n := up.Requests(); n != 0 {
		t.Fatalf("upstream saw %d requests before the batch ran", n)
	}
	b.Run()
	for i := range 3 {
		o := rec.next(t)
		want := peer.Answer("GET", string(rune('a'+i)), "", 0)
		if o.err != nil || len(o.bodies) != 1 || o.bodies[0] != want || !o.batched {
			t.Fatalf("completion %d = %+v, want %q from the reader's batch", i, o, want)
		}
	}
}

// Without a batch the writer goroutine sends at once.
func TestSendAsyncUnbatched(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{MaxDelay: 5 * time.Millisecond})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Timeout: callTimeout})
	t.Cleanup(func() { m.Close() })
	rec := newRecorder(fl)
	const n = 20
	for i := range n {
		if err := m.SendAsync(ctx(t), request(t, fl, uint64(i), 1, "GET", "k", ""), rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		if o := rec.next(t); o.err != nil || len(o.bodies) != 1 {
			t.Fatalf("completion = %+v", o)
		}
	}
}

// On a pipeline a timeout fails the connection and every request behind
// the expired one; the pool redials for the next request.
func TestSendAsyncPipelineTimeout(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{SlowDelay: time.Hour})
	p := pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Timeout: 50 * time.Millisecond})
	t.Cleanup(func() { p.Close() })
	rec := newRecorder(fl)
	start := time.Now()
	for _, m := range []string{"SLOW", "GET"} {
		if err := p.SendAsync(ctx(t), request(t, fl, 0, 1, m, "k", ""), rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		o := rec.next(t)
		var pe *pool.Error
		if !errors.Is(o.err, pool.ErrTimeout) || !errors.As(o.err, &pe) || !pe.Timeout() {
			t.Fatalf("completion = %+v, want a timeout", o)
		}
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("timed out after %v, before the 50ms timeout", d)
	}
	if err := p.SendAsync(ctx(t), request(t, fl, 0, 1, "GET", "k", ""), rec, nil); err != nil {
		t.Fatal(err)
	}
	if o := rec.next(t); o.err != nil || len(o.bodies) != 1 {
		t.Fatalf("after the timeout: %+v", o)
	}
}

// On a multiplexed connection only the expired request fails; the
// others complete and the late answer is dropped.
func TestSendAsyncMultiplexTimeout(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{SlowDelay: 300 * time.Millisecond})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Timeout: 100 * time.Millisecond})
	t.Cleanup(func() { m.Close() })
	slow, fast := newRecorder(fl), newRecorder(fl)
	if err := m.SendAsync(ctx(t), request(t, fl, 1, 1, "SLOW", "k", ""), slow, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.SendAsync(ctx(t), request(t, fl, 2, 1, "GET", "k", ""), fast, nil); err != nil {
		t.Fatal(err)
	}
	if o := fast.next(t); o.err != nil || len(o.bodies) != 1 {
		t.Fatalf("fast request: %+v", o)
	}
	if o := slow.next(t); !errors.Is(o.err, pool.ErrTimeout) {
		t.Fatalf("slow request: %+v, want a timeout", o)
	}
	time.Sleep(300 * time.Millisecond) // the late answer arrives and is dropped
	if err := m.SendAsync(ctx(t), request(t, fl, 3, 1, "GET", "k", ""), fast, nil); err != nil {
		t.Fatal(err)
	}
	if o := fast.next(t); o.err != nil || len(o.bodies) != 1 {
		t.Fatalf("after the timeout: %+v", o)
	}
	if m.Pending() != 0 {
		t.Fatalf("%d pending after every completion", m.Pending())
	}
}

// A sender out of MaxPending slots runs its batch before waiting: the
// requests it deferred are what frees the slots.
func TestSendAsyncRunsBatchBeforeWaiting(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{})
	p := pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{MaxPending: 2, Timeout: callTimeout})
	t.Cleanup(func() { p.Close() })
	rec := newRecorder(fl)
	var b pool.Batch
	const n = 10
	done := make(chan error, 1)
	go func() {
		for range n {
			if err := p.SendAsync(ctx(t), request(t, fl, 0, 1, "GET", "k", ""), rec, &b); err != nil {
				done <- err
				return
			}
		}
		b.Run()
		done <- nil
	}()
	for range n {
		if o := rec.next(t); o.err != nil {
			t.Fatal(o.err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Closing the pool completes what is pending.
func TestSendAsyncClose(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{SlowDelay: time.Hour})
	p := pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Timeout: time.Hour})
	rec := newRecorder(fl)
	if err := p.SendAsync(ctx(t), request(t, fl, 0, 1, "SLOW", "k", ""), rec, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "request pending", func() bool { return p.Pending() == 1 })
	p.Close()
	if o := rec.next(t); !errors.Is(o.err, pool.ErrPoolClosed) {
		t.Fatalf("completion after Close = %+v, want ErrPoolClosed", o)
	}
}
