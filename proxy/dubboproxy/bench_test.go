package dubboproxy

import (
	"context"
	"testing"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// BenchmarkProxy measures one round trip through the filter: client ->
// proxy (decode, route on the zero-allocation attributes and the timeout
// attachment, id rewrite) -> provider -> back. The provider and client
// are in-process test peers, so most of the time and allocations are
// theirs and the kernel's; compare with BenchmarkDirect.
func BenchmarkProxy(b *testing.B) {
	prov := testpeer.StartDubbo(b, "p")
	p := startProxy(b, catchAll("c"), staticCluster("c", prov))
	benchCalls(b, p.addr)
}

// BenchmarkDirect is the same round trip without the proxy.
func BenchmarkDirect(b *testing.B) {
	prov := testpeer.StartDubbo(b, "p")
	benchCalls(b, prov.Addr())
}

func benchCalls(b *testing.B, addr string) {
	c, err := testpeer.DialDubbo(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	dc := sayHi("bench")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Call(ctx, dc); err != nil {
			b.Fatal(err)
		}
	}
}
