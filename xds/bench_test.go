package xds

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
)

// BenchmarkLoadBootstrap measures loading the default bootstrap (4
// listeners, 4 clusters) from YAML to a validated snapshot.
func BenchmarkLoadBootstrap(b *testing.B) {
	data := DefaultBootstrapYAML()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadBootstrap(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSotWEDSUpdate10k is a state-of-the-world EDS response of
// 10,000 assignments (10 endpoints each) of which 10 changed, as the
// client handles it after the response is received: digests, memo hits,
// translating the changed ones, the state and the Update for the
// Applier (here one that does nothing).
func BenchmarkSotWEDSUpdate10k(b *testing.B) {
	const n, changed = 10000, 10
	h := newEngineHarness(b)
	cs := make([]proto.Message, n)
	las := [2][]resourceItem{}
	for i := range n {
		name := fmt.Sprintf("cluster-%05d", i)
		cs[i] = edsCluster(name)
	}
	for v := range las {
		ms := make([]proto.Message, n)
		for i := range n {
			ports := make([]uint32, 10)
			for j := range ports {
				ports[j] = uint32(10000 + j)
				if i < changed {
					ports[j] += uint32(100 * v)
				}
			}
			ms[i] = assignment(fmt.Sprintf("cluster-%05d", i), ports...)
		}
		las[v] = anys(b, ms...)
	}
	h.mustAccept(ClusterTypeURL, sotw, anys(b, cs...))
	h.mustAccept(EndpointTypeURL, sotw, las[0])
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		h.mustAccept(EndpointTypeURL, sotw, las[i%2])
	}
}
