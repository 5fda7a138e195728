package pool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
	"github.com/sidewire/sidewire/internal/proxytest"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/session"
)

type boundKey struct{}

// Each downstream session gets its own upstream connection; pushes the
// upstream sends on it reach that session's client after the answers
// owed, and the connection closes with the session.
func TestBoundConnectionPerSession(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	up := upstream(t, fl, peer.Behavior{MaxDelay: 200 * time.Microsecond})
	b := pool.NewBound(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { b.Close() })
	h := session.HandlerFunc(func(ctx context.Context, st *session.Stream) error {
		s := st.Session()
		v, err := s.LoadOrCreate(boundKey{}, func() (io.Closer, error) { return b.Connect(ctx, s.Push) })
		if err != nil {
			return err
		}
		return st.Forward(ctx, v.(*pool.BoundConn))
	})
	f := proxytest.Serve(t, session.Config{Codec: lenframe.New(fl), Handler: h})
	const clients, workers, calls = 8, 3, 30
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		cl := dial(t, f.Addr(), fl)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cl.Close()
			var inner sync.WaitGroup
			for w := 0; w < workers; w++ {
				inner.Add(1)
				go func() {
					defer inner.Done()
					for i := 0; i < calls; i++ {
						key := fmt.Sprintf("c%d-w%d-%d", c, w, i)
						method := "GET"
						if i%10 == 0 {
							method = "PUSH"
						}
						r, err := cl.Call(method, key, "", 1, callTimeout)
						checkReplies(t, r, err, method, key, "", 1)
					}
				}()
			}
			inner.Wait()
			want := workers * ((calls + 9) / 10)
			for i := 0; i < want; i++ {
				select {
				case p := <-cl.Pushes():
					if p.Kind != codecs.KindEvent || !bytes.HasPrefix([]byte(p.Body), []byte(fmt.Sprintf("push:c%d-", c))) {
						t.Errorf("client %d got push %+v", c, p)
					}
				case <-time.After(callTimeout):
					t.Errorf("client %d: %d of %d pushes", c, i, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := up.Accepted(); n != clients {
		t.Fatalf("upstream accepted %d connections for %d sessions", n, clients)
	}
	f.Close()
	eventually(t, "bound connections closed with their sessions", func() bool { return up.Live() == 0 })
}

func TestBoundConnFailsWithoutRedial(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	up := upstream(t, fl, peer.Behavior{})
	b := pool.NewBound(&pool.TCPDialer{Addr: up.Addr()}, lenframe.New(fl), pool.Options{})
	t.Cleanup(func() { b.Close() })
	bc, err := b.Connect(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := roundTrip(t, bc, request(t, fl, 9, 1, "GET", "k", "")); err != nil {
		t.Fatal(err)
	}
	up.CloseConns()
	<-bc.Done()
	if _, _, err := roundTrip(t, bc, request(t, fl, 9, 1, "GET", "k", "")); !errors.Is(err, pool.ErrConnClosed) {
		t.Fatalf("request on a failed bound connection: %v, want ErrConnClosed", err)
	}
	if up.Accepted() != 1 {
		t.Fatalf("bound connection was re-dialed")
	}
	b.Close()
	if _, err := b.Connect(ctx(t), nil); !errors.Is(err, pool.ErrPoolClosed) {
		t.Fatalf("Connect after Close: %v", err)
	}
}

// echoTCP accepts connections and echoes bytes until EOF, then half-closes.
func echoTCP(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	return ln
}

// splicePair returns a client connection spliced to the echo upstream
// and the channel Splice's result arrives on.
func splicePair(t *testing.T, b *pool.Bound, opt pool.SpliceOptions, c context.Context) (net.Conn, chan error, *pool.SpliceStats) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	stats := new(pool.SpliceStats)
	go func() {
		down, err := ln.Accept()
		ln.Close()
		if err != nil {
			done <- err
			return
		}
		up, err := b.Dial(c)
		if err != nil {
			down.Close()
			done <- err
			return
		}
		*stats, err = pool.Splice(c, down, up, opt)
		done <- err
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client, done, stats
}

func TestSpliceBothWaysWithHalfClose(t *testing.T) {
	leakcheck.Check(t)
	ln := echoTCP(t)
	b := pool.NewBound(&pool.TCPDialer{Addr: ln.Addr().String()}, nil, pool.Options{})
	client, done, stats := splicePair(t, b, pool.SpliceOptions{IdleTimeout: 5 * time.Second}, context.Background())
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	go func() {
		client.Write(payload)
		client.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(client)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("echoed %d bytes (%v), want the %d sent; Splice: %v %+v", len(got), err, len(payload), <-done, *stats)
	}
	if err := <-done; err != nil {
		t.Fatalf("Splice = %v", err)
	}
	if stats.Downstream != int64(len(payload)) || stats.Upstream != int64(len(payload)) {
		t.Fatalf("stats %+v, want %d each way", *stats, len(payload))
	}
}

func TestSpliceIdleAndCancel(t *testing.T) {
	leakcheck.Check(t)
	ln := echoTCP(t)
	b := pool.NewBound(&pool.TCPDialer{Addr: ln.Addr().String()}, nil, pool.Options{})
	client, done, _ := splicePair(t, b, pool.SpliceOptions{IdleTimeout: 30 * time.Millisecond}, context.Background())
	client.Write([]byte("hi"))
	if err := <-done; !errors.Is(err, pool.ErrIdle) {
		t.Fatalf("idle Splice = %v, want ErrIdle", err)
	}
	c, cancel := context.WithCancel(context.Background())
	_, done, _ = splicePair(t, b, pool.SpliceOptions{}, c)
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Splice = %v, want context.Canceled", err)
	}
}
