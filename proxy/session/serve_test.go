package session

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
)

func pipeSession(t *testing.T) (*Session, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { b.Close() })
	fl := lenframe.Pipelined
	return New(a, Config{Codec: lenframe.New(fl), Handler: echo(fl)}), b
}

func TestServeOnlyOnce(t *testing.T) {
	leakcheck.Check(t)
	s, peerEnd := pipeSession(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Serve after Close = %v, want ErrClosed", err)
	}
	s2, _ := pipeSession(t)
	served := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() { served <- s2.Serve(context.Background()) }()
	}
	// One call serves; the other returns ErrClosed at once.
	if err := <-served; !errors.Is(err, ErrClosed) {
		t.Fatalf("second Serve = %v, want ErrClosed", err)
	}
	s2.Close()
	if err := <-served; err != nil {
		t.Fatalf("Serve after Close = %v, want nil", err)
	}
	peerEnd.Close()
}

func TestServeContextCancel(t *testing.T) {
	leakcheck.Check(t)
	s, _ := pipeSession(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve after its context was canceled = %v, want context.Canceled", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatalf("Done not closed after Serve returned")
	}
}
