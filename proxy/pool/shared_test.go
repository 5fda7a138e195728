package pool_test

import (
	"fmt"
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

// load runs clients × workers × calls through the proxy at addr and
// returns how many calls were answered correctly and how many with an
// error reply. Wrong answers and hangs fail the test.
func load(t *testing.T, addr string, fl lenframe.Flavour, clients, workers, calls int, oneway *atomic.Int64) (ok, failed int64) {
	var okN, failN atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		cl := dial(t, addr, fl)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < calls; i++ {
					key := fmt.Sprintf("c%d-w%d-%d", c, w, i)
					replies := 1
					switch {
					case i%11 == 5 && fl == lenframe.Pipelined:
						replies = 3
					case i%13 == 7:
						if _, err := cl.Call("LOG", key, "", 0, callTimeout); err == nil && oneway != nil {
							oneway.Add(1)
						}
						continue
					}
					r, err := cl.Call("GET", key, "v", replies, callTimeout)
					if err == nil && len(r) == 1 && r[0].Status == codecs.StatusUnavailable {
						failN.Add(1)
						continue
					}
					checkReplies(t, r, err, "GET", key, "v", replies)
					okN.Add(1)
				}
			}()
		}
		defer cl.Close()
	}
	wg.Wait()
	return okN.Load(), failN.Load()
}

// Many downstream sessions share two pipelined upstream connections.
func TestPipelineSharedByManySessions(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{MaxDelay: 100 * time.Microsecond})
	p := pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Conns: 2})
	t.Cleanup(func() { p.Close() })
	f := front(t, fl, p)
	var oneway atomic.Int64
	ok, failed := load(t, f.Addr(), fl, 12, 4, 60, &oneway)
	if failed != 0 || ok == 0 {
		t.Fatalf("%d answered, %d failed; want all answered", ok, failed)
	}
	if n := up.Accepted(); n != 2 {
		t.Errorf("upstream accepted %d connections, want 2 shared ones", n)
	}
	eventually(t, "one-way requests upstream", func() bool { return int64(up.OneWay()) == oneway.Load() })
	if p.Pending() != 0 {
		t.Errorf("Pending = %d after every call returned", p.Pending())
	}
}

// Out-of-order, slow answers on shared multiplexed connections reach
// the right callers with their own ids.
func TestMultiplexOutOfOrder(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{MaxDelay: 3 * time.Millisecond})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Conns: 2})
	t.Cleanup(func() { m.Close() })
	f := front(t, fl, m)
	var oneway atomic.Int64
	ok, failed := load(t, f.Addr(), fl, 12, 6, 40, &oneway)
	if failed != 0 || ok == 0 {
		t.Fatalf("%d answered, %d failed; want all answered", ok, failed)
	}
	if n := up.Accepted(); n != 2 {
		t.Errorf("upstream accepted %d connections, want 2 shared ones", n)
	}
	eventually(t, "one-way requests upstream", func() bool { return int64(up.OneWay()) == oneway.Load() })
}

// An upstream that dies mid-flight fails its in-flight requests with
// error replies (never a hang); later requests reconnect.
func TestUpstreamDiesMidFlight(t *testing.T) {
	for _, fl := range []lenframe.Flavour{lenframe.Pipelined, lenframe.Multiplexed} {
		t.Run(lenframe.New(fl).Name(), func(t *testing.T) {
			leakcheck.Check(t)
			up := upstream(t, fl, peer.Behavior{DieAfter: 37, MaxDelay: 500 * time.Microsecond})
			var rt interface {
				pool.RoundTripper
				Close() error
			}
			if fl == lenframe.Pipelined {
				rt = pool.NewPipeline(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
			} else {
				rt = pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
			}
			t.Cleanup(func() { rt.Close() })
			f := front(t, fl, rt)
			ok, failed := load(t, f.Addr(), fl, 6, 4, 50, nil)
			if ok == 0 || failed == 0 {
				t.Fatalf("%d answered, %d failed; want both (the upstream dies every 37 requests)", ok, failed)
			}
			if up.Accepted() < 2 {
				t.Fatalf("upstream accepted %d connections: the pool never reconnected", up.Accepted())
			}
		})
	}
}

// A request that times out is answered at once with a timeout; its late
// response is dropped and the connection keeps serving.
func TestMultiplexTimeoutDropsLateResponse(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{SlowDelay: 150 * time.Millisecond})
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{Timeout: 30 * time.Millisecond})
	t.Cleanup(func() { m.Close() })
	f := front(t, fl, m)
	cl := dial(t, f.Addr(), fl)
	defer cl.Close()
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r, err := cl.Call("SLOW", fmt.Sprint(i), "", 1, callTimeout)
			if err != nil || len(r) != 1 || r[0].Status != codecs.StatusTimeout {
				t.Errorf("slow call: %+v, %v; want one timeout reply", r, err)
			}
		}()
		go func() {
			defer wg.Done()
			key := fmt.Sprint("fast", i)
			r, err := cl.Call("GET", key, "", 1, callTimeout)
			checkReplies(t, r, err, "GET", key, "", 1)
		}()
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // the late responses arrive now
	r, err := cl.Call("GET", "after", "", 1, callTimeout)
	checkReplies(t, r, err, "GET", "after", "", 1)
	if m.Pending() != 0 {
		t.Errorf("Pending = %d; timed-out requests were not forgotten", m.Pending())
	}
	if up.Accepted() != 1 {
		t.Errorf("upstream accepted %d connections; timeouts must not cost the connection", up.Accepted())
	}
}
