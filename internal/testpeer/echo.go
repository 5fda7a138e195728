package testpeer

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Echo is a TCP server that writes back what it reads. When the client
// half-closes, it finishes echoing and then half-closes too.
type Echo struct {
	ln     net.Listener
	served atomic.Int64
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

// StartEcho starts an echo server on 127.0.0.1:0.
func StartEcho(t testing.TB) *Echo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen echo: %v", err)
	}
	e := &Echo{ln: ln, conns: map[net.Conn]struct{}{}}
	e.wg.Add(1)
	go e.serve()
	t.Cleanup(e.Close)
	return e
}

// Addr is the server's address.
func (e *Echo) Addr() *net.TCPAddr { return e.ln.Addr().(*net.TCPAddr) }

// Served counts the connections that carried at least one byte, so
// connect-only health checks do not count.
func (e *Echo) Served() int64 { return e.served.Load() }

// Close stops the server and closes its connections.
func (e *Echo) Close() {
	e.ln.Close()
	e.mu.Lock()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
}

func (e *Echo) serve() {
	defer e.wg.Done()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[c] = struct{}{}
		e.mu.Unlock()
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			if n, _ := io.Copy(c, c); n > 0 {
				e.served.Add(1)
			}
			c.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, c) // until the peer closes
			c.Close()
			e.mu.Lock()
			delete(e.conns, c)
			e.mu.Unlock()
		}()
	}
}
