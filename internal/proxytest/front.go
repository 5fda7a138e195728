package proxytest

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/sidewire/sidewire/proxy/session"
)

// Front accepts connections and serves each with a session.Session.
type Front struct {
	ln       net.Listener
	cfg      session.Config
	wg       sync.WaitGroup
	mu       sync.Mutex
	sessions map[*session.Session]struct{}
	results  []error
	closed   bool
}

// Serve starts a Front with cfg; it is closed when the test ends.
func Serve(t testing.TB, cfg session.Config) *Front {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	f := &Front{ln: ln, cfg: cfg, sessions: map[*session.Session]struct{}{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.Close)
	return f
}

// Addr is the listener's address.
func (f *Front) Addr() string { return f.ln.Addr().String() }

func (f *Front) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		s := session.New(c, f.cfg)
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			_ = s.Close()
			return
		}
		f.sessions[s] = struct{}{}
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			err := s.Serve(context.Background())
			f.mu.Lock()
			delete(f.sessions, s)
			f.results = append(f.results, err)
			f.mu.Unlock()
		}()
	}
}

// Sessions returns the live sessions.
func (f *Front) Sessions() []*session.Session {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*session.Session, 0, len(f.sessions))
	for s := range f.sessions {
		out = append(out, s)
	}
	return out
}

// Results returns what Serve returned for each ended session.
func (f *Front) Results() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.results...)
}

// Drain drains every live session, then stops accepting and waits.
func (f *Front) Drain(ctx context.Context) {
	f.stop()
	for _, s := range f.Sessions() {
		_ = s.Drain(ctx)
	}
	f.wg.Wait()
}

// Close stops accepting, closes every session and waits for them.
func (f *Front) Close() {
	f.stop()
	for _, s := range f.Sessions() {
		_ = s.Close()
	}
	f.wg.Wait()
}

// stop closes the listener and refuses sessions accepted from now on.
func (f *Front) stop() {
	_ = f.ln.Close()
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}
