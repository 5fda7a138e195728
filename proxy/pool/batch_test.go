package pool_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
	"github.com/sidewire/sidewire/proxy/pool"
)

// gatedConn counts writes; the first one waits for the gate to open.
type gatedConn struct {
	net.Conn
	writes atomic.Int64
	first  chan struct{} // closed when the first write starts
	gate   chan struct{}
}

func (c *gatedConn) Write(p []byte) (int, error) {
	if c.writes.Add(1) == 1 {
		close(c.first)
		<-c.gate
	}
	return c.Conn.Write(p)
}

// Requests queued while a write is in progress leave in one write call.
func TestWritesAreCoalesced(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{})
	gc := &gatedConn{first: make(chan struct{}), gate: make(chan struct{})}
	d := pool.DialerFunc(func(ctx context.Context) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", up.Addr())
		gc.Conn = c
		return gc, err
	})
	m := pool.NewMultiplex(d, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { m.Close() })
	var wg sync.WaitGroup
	call := func(i int) {
		defer wg.Done()
		if _, _, err := roundTrip(t, m, request(t, fl, uint64(i), 1, "GET", "k", "")); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	wg.Add(1)
	go call(0)
	<-gc.first // the writer is stuck writing request 0
	const n = 100
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go call(i)
	}
	eventually(t, "requests queued", func() bool { return m.Pending() == n+1 })
	close(gc.gate)
	wg.Wait()
	if w := gc.writes.Load(); w != 2 {
		t.Fatalf("%d requests took %d write calls, want 2 (one blocked, one batch)", n+1, w)
	}
}
