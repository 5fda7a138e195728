package session

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
)

// Drain answers what is in flight, reads nothing more, then closes.
func TestDrainFinishesInFlightThenCloses(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	release := make(chan struct{})
	var served atomic.Int64
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		served.Add(1)
		if string(st.Request.Attrs.Key(0)) == "hold" {
			<-release
		}
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h})
	held := make(chan error, 1)
	go func() {
		r, err := ss.client.Call("GET", "hold", "", 1, callTimeout)
		expect(t, r, err, "GET", "hold", "", 1)
		held <- err
	}()
	eventually(t, "held request in flight", func() bool { return ss.s.InFlight() == 1 })
	drained := make(chan error, 1)
	go func() { drained <- ss.s.Drain(context.Background()) }()
	eventually(t, "drain to start", ss.s.isDraining)
	// Sent after the drain began: never read, never served.
	after := make(chan error, 1)
	go func() {
		_, err := ss.client.Call("GET", "after", "", 1, callTimeout)
		after <- err
	}()
	select {
	case err := <-drained:
		t.Fatalf("Drain returned %v with a request in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatalf("held request: %v", err)
	}
	if err := <-drained; err != nil {
		t.Fatalf("Drain = %v, want nil", err)
	}
	if err := <-after; !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("request sent during drain: err = %v, want the connection closed", err)
	}
	if n := served.Load(); n != 1 {
		t.Fatalf("handler served %d requests, want only the one in flight", n)
	}
	if err := ss.wait(t); err != nil {
		t.Fatalf("Serve after Drain = %v, want nil", err)
	}
}

// Drain with an expired context closes at once and cancels handlers.
func TestDrainDeadlineAborts(t *testing.T) {
	leakcheck.Check(t)
	canceled := make(chan struct{})
	h := HandlerFunc(func(ctx context.Context, st *Stream) error {
		<-ctx.Done()
		close(canceled)
		return ctx.Err()
	})
	ss := start(t, lenframe.Pipelined, Config{Handler: h})
	go func() { _, _ = ss.client.Call("GET", "k", "", 1, callTimeout) }()
	eventually(t, "request in flight", func() bool { return ss.s.InFlight() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := ss.s.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain = %v, want DeadlineExceeded", err)
	}
	<-canceled
	ss.wait(t)
}

func TestIdleTimeout(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	const idle = 50 * time.Millisecond
	release := make(chan struct{})
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		<-release
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h, IdleTimeout: idle})
	answered := make(chan error, 1)
	go func() {
		r, err := ss.client.Call("GET", "k", "", 1, callTimeout)
		expect(t, r, err, "GET", "k", "", 1)
		answered <- err
	}()
	eventually(t, "request in flight", func() bool { return ss.s.InFlight() == 1 })
	time.Sleep(4 * idle) // a request in flight is not idleness
	select {
	case <-ss.s.Done():
		t.Fatalf("session closed as idle with a request in flight")
	default:
	}
	close(release)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if err := ss.wait(t); err != nil {
		t.Fatalf("Serve after idle timeout = %v, want nil", err)
	}
	<-ss.client.Done() // the connection was closed
}

// Close cancels handlers and returns once Serve has finished.
func TestCloseCancelsHandlers(t *testing.T) {
	leakcheck.Check(t)
	sawCancel := make(chan struct{})
	h := HandlerFunc(func(ctx context.Context, st *Stream) error {
		<-ctx.Done()
		close(sawCancel)
		return ctx.Err()
	})
	ss := start(t, lenframe.Multiplexed, Config{Handler: h})
	go func() { _, _ = ss.client.Call("GET", "k", "", 1, callTimeout) }()
	eventually(t, "request in flight", func() bool { return ss.s.InFlight() == 1 })
	if err := ss.s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sawCancel:
	default:
		t.Fatalf("Close returned before the handler saw its context canceled")
	}
	if err := ss.wait(t); err != nil {
		t.Fatalf("Serve after Close = %v, want nil", err)
	}
	if _, err := ss.s.LoadOrCreate("k", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("LoadOrCreate after close = %v, want ErrClosed", err)
	}
}

func TestClientEOFEndsSessionCleanly(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	ss := start(t, fl, Config{Handler: echo(fl)})
	r, err := ss.client.Call("GET", "k", "", 1, callTimeout)
	expect(t, r, err, "GET", "k", "", 1)
	ss.client.Close()
	if err := ss.wait(t); err != nil {
		t.Fatalf("Serve after client EOF = %v, want nil", err)
	}
}
