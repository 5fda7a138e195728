package pool_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/proxy/pool"
)

// arrivalServer answers each pipelined request with the order in which
// its connection received it ("0", "1", ...).
func arrivalServer(t *testing.T, fl lenframe.Flavour) string {
	t.Helper()
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
				dec := lenframe.New(fl).NewServerCodec(codecs.Limits{})
				var in []byte
				buf := make([]byte, 4096)
				n := 0
				for {
					m, err := c.Read(buf)
					if err != nil {
						return
					}
					in = append(in, buf[:m]...)
					var out []byte
					for {
						f, k, err := dec.Decode(in)
						if err != nil {
							break
						}
						in = in[k:]
						out = fl.AppendResponse(out, f.ID, codecs.StatusOK, strconv.Itoa(n))
						n++
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestPipelineSendKeepsOrder sends requests one after another without
// waiting, then collects the answers concurrently in reverse: the
// upstream received them in send order and each caller gets its own.
func TestPipelineSendKeepsOrder(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	p := pool.NewPipeline(&pool.TCPDialer{Addr: arrivalServer(t, fl)}, lenframe.New(fl), pool.Options{Conns: 1})
	defer p.Close()
	ctx := context.Background()
	const n = 200
	pending := make([]pool.Pending, n)
	for i := range pending {
		var err error
		if pending[i], err = p.Send(ctx, request(t, fl, 0, 1, "GET", fmt.Sprint(i), "")); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	var wg sync.WaitGroup
	for i := n - 1; i >= 0; i-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := pending[i].Wait(ctx, nil)
			if err != nil || len(rs) != 1 {
				t.Errorf("Wait %d: %d responses, %v", i, len(rs), err)
				return
			}
			defer pool.ReleaseAll(rs)
			if got := string(fl.Body(&rs[0].Frame)); got != strconv.Itoa(i) {
				t.Errorf("request %d arrived as number %s", i, got)
			}
		}()
	}
	wg.Wait()
	if p.Pending() != 0 {
		t.Errorf("Pending = %d after every Wait", p.Pending())
	}
}

func TestPipelineSendFailures(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := pool.NewPipeline(&pool.TCPDialer{Addr: addr}, lenframe.New(fl), pool.Options{})
	defer p.Close()
	pd, err := p.Send(context.Background(), request(t, fl, 0, 1, "GET", "k", ""))
	if err == nil {
		t.Fatal("Send to a refused upstream succeeded")
	}
	dst := make([]pool.Response, 0, 1)
	if rs, err := pd.Wait(context.Background(), dst); err != nil || len(rs) != 0 {
		t.Errorf("Wait on a failed Send = %d responses, %v; want none, nil", len(rs), err)
	}
	// One-way requests need no Wait, and Wait returns at once.
	q := pool.NewPipeline(&pool.TCPDialer{Addr: arrivalServer(t, fl)}, lenframe.New(fl), pool.Options{})
	defer q.Close()
	pd, err = q.Send(context.Background(), request(t, fl, 0, 0, "LOG", "k", ""))
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := pd.Wait(context.Background(), nil); err != nil || len(rs) != 0 {
		t.Errorf("Wait on a one-way request = %d responses, %v", len(rs), err)
	}
}
