package pool_test

import (
	"context"
	"net"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
	"github.com/sidewire/sidewire/internal/proxytest"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/session"
)

func echoServer(b *testing.B, fl lenframe.Flavour) *peer.Echo {
	e, err := peer.ListenEcho(fl)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Close)
	return e
}

// benchRoundTrip measures RoundTrip from many goroutines against a
// minimal upstream: one op is one request and its response.
func benchRoundTrip(b *testing.B, fl lenframe.Flavour, rt pool.RoundTripper) {
	req := request(b, fl, 7, 1, "GET", "user:1", "0123456789abcdef0123456789abcdef")
	b.ReportAllocs()
	b.SetParallelism(16) // 32 concurrent callers on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		dst := make([]pool.Response, 0, 1)
		ctx := context.Background()
		for pb.Next() {
			var err error
			dst, err = rt.RoundTrip(ctx, req, dst[:0])
			if err != nil || len(dst) != 1 {
				b.Errorf("RoundTrip: %d responses, %v", len(dst), err)
				return
			}
			dst[0].Release()
		}
	})
}

// benchSerial measures one caller's round trip: latency, no batching.
func benchSerial(b *testing.B, fl lenframe.Flavour, rt pool.RoundTripper) {
	req := request(b, fl, 7, 1, "GET", "user:1", "0123456789abcdef0123456789abcdef")
	dst := make([]pool.Response, 0, 1)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		dst, err = rt.RoundTrip(context.Background(), req, dst[:0])
		if err != nil || len(dst) != 1 {
			b.Fatalf("RoundTrip: %d responses, %v", len(dst), err)
		}
		dst[0].Release()
	}
}

func BenchmarkPipelineRoundTrip(b *testing.B) {
	fl := lenframe.Pipelined
	e := echoServer(b, fl)
	p := pool.NewPipeline(&pool.TCPDialer{Addr: e.Addr()}, lenframe.New(fl), pool.Options{})
	defer p.Close()
	b.Run("parallel", func(b *testing.B) { benchRoundTrip(b, fl, p) })
	b.Run("serial", func(b *testing.B) { benchSerial(b, fl, p) })
}

func BenchmarkMultiplexRoundTrip(b *testing.B) {
	fl := lenframe.Multiplexed
	e := echoServer(b, fl)
	m := pool.NewMultiplex(&pool.TCPDialer{Addr: e.Addr()}, lenframe.New(fl), pool.Options{})
	defer m.Close()
	b.Run("parallel", func(b *testing.B) { benchRoundTrip(b, fl, m) })
	b.Run("serial", func(b *testing.B) { benchSerial(b, fl, m) })
}

// BenchmarkProxyPipelined measures the whole path: a client sends
// batches of requests (64, or 1 for the serial latency) to a session,
// whose handler forwards them through a pipeline pool to the upstream.
// One op is one request.
func BenchmarkProxyPipelined(b *testing.B) {
	b.Run("batch64", func(b *testing.B) { benchProxy(b, lenframe.Pipelined, 64) })
	b.Run("serial", func(b *testing.B) { benchProxy(b, lenframe.Pipelined, 1) })
}

// BenchmarkProxyMultiplexed is BenchmarkProxyPipelined with ids.
func BenchmarkProxyMultiplexed(b *testing.B) {
	b.Run("batch64", func(b *testing.B) { benchProxy(b, lenframe.Multiplexed, 64) })
	b.Run("serial", func(b *testing.B) { benchProxy(b, lenframe.Multiplexed, 1) })
}

func benchProxy(b *testing.B, fl lenframe.Flavour, batch int) {
	e := echoServer(b, fl)
	var rt interface {
		pool.RoundTripper
		Close() error
	}
	if fl == lenframe.Pipelined {
		rt = pool.NewPipeline(&pool.TCPDialer{Addr: e.Addr()}, lenframe.New(fl), pool.Options{})
	} else {
		rt = pool.NewMultiplex(&pool.TCPDialer{Addr: e.Addr()}, lenframe.New(fl), pool.Options{})
	}
	defer rt.Close()
	h := session.HandlerFunc(func(ctx context.Context, st *session.Stream) error { return st.Forward(ctx, rt) })
	f := proxytest.Serve(b, session.Config{Codec: lenframe.New(fl), Handler: h})
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var out []byte
	for i := 0; i < batch; i++ {
		out = fl.AppendRequest(out, uint64(i+1), 1, "GET", "user:1", "0123456789abcdef0123456789abcdef")
	}
	dec := lenframe.New(fl).NewClientCodec(codecs.Limits{})
	in := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(out) / batch))
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		if _, err := c.Write(out); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < batch; {
			f, n, err := dec.Decode(in)
			if err == codecs.ErrNeedMore {
				m, err := c.Read(in[len(in):cap(in)])
				if err != nil {
					b.Fatal(err)
				}
				in = in[:len(in)+m]
				continue
			}
			if err != nil || f.Attrs.Status != codecs.StatusOK {
				b.Fatalf("response %d: %v %v", got, err, f.Attrs.Status)
			}
			in = in[:copy(in, in[n:])]
			got++
		}
	}
}
