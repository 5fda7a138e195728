package session

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// gatedConn counts writes; the first one waits for the gate to open.
type gatedConn struct {
	net.Conn
	writes atomic.Int64
	first  chan struct{}
	gate   chan struct{}
}

func (c *gatedConn) Write(p []byte) (int, error) {
	if c.writes.Add(1) == 1 {
		close(c.first)
		<-c.gate
	}
	return c.Conn.Write(p)
}

// Answers that complete while a write is in progress leave together.
func TestAnswersAreCoalesced(t *testing.T) {
	for _, fl := range []lenframe.Flavour{lenframe.Pipelined, lenframe.Multiplexed} {
		t.Run(lenframe.New(fl).Name(), func(t *testing.T) {
			leakcheck.Check(t)
			gc := &gatedConn{first: make(chan struct{}), gate: make(chan struct{})}
			ss := startWrapped(t, fl, Config{Handler: echo(fl)}, func(c net.Conn) net.Conn { gc.Conn = c; return gc })
			var wg sync.WaitGroup
			call := func(key string) {
				defer wg.Done()
				r, err := ss.client.Call("GET", key, "", 1, callTimeout)
				expect(t, r, err, "GET", key, "", 1)
			}
			wg.Add(1)
			go call("first")
			<-gc.first
			const n = 50
			for i := 0; i < n; i++ {
				wg.Add(1)
				go call(fmt.Sprint(i))
			}
			eventually(t, "answers ready", func() bool { return readyAnswers(ss.s.w) == n })
			close(gc.gate)
			wg.Wait()
			if w := gc.writes.Load(); w != 2 {
				t.Fatalf("%d answers took %d write calls, want 2", n+1, w)
			}
		})
	}
}

// readyAnswers counts the complete answers queued for the writer.
func readyAnswers(w *writer) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for i := 0; i < w.q.Len(); i++ {
		if w.q.At(i).done {
			n++
		}
	}
	return n
}
