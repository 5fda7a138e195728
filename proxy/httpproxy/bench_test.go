package httpproxy

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// BenchmarkProxyHTTP1 and BenchmarkProxyH2 compare a client talking to a
// backend directly with the same client going through the proxy (same
// protocol both hops), one request at a time: the difference is the
// proxy's added latency and allocations per request.
func BenchmarkProxyHTTP1(b *testing.B) { benchProxy(b, false) }

func BenchmarkProxyH2(b *testing.B) { benchProxy(b, true) }

func benchProxy(b *testing.B, h2 bool) {
	payload := bytes.Repeat([]byte("x"), 1024)
	be := startBackend(b, "be", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write(payload)
	}))
	cl := staticCluster("be", be)
	client := h1Client(b)
	if h2 {
		cl = withHTTP2(cl)
		client = h2cClient(b)
	}
	p := startProxy(b, hcm(anyHost(toCluster("/", "be"))), cl)
	run := func(b *testing.B, url string) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if n != int64(len(payload)) {
				b.Fatalf("got %d bytes", n)
			}
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, "http://"+be.addr.String()+"/bench") })
	b.Run("proxied", func(b *testing.B) { run(b, p.url("/bench")) })
}
