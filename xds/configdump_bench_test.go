package xds

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sidewire/sidewire/proxy/config"
)

// Scale of the dump benchmarks: 10,000 EDS clusters with 10 endpoints
// each (100,000 endpoints).
const (
	benchClusters  = 10_000
	benchEndpoints = 10
)

// benchDumpStore fills a dumpStore as a SotW CDS response and a SotW EDS
// response at benchmark scale would, and returns it with the state.
func benchDumpStore(tb testing.TB) (*dumpStore, *adsState) {
	tb.Helper()
	s := newADSState()
	cds := &change{typ: ClusterTypeURL, version: "1", mode: sotw}
	eds := &change{typ: EndpointTypeURL, version: "1", mode: sotw}
	for i := range benchClusters {
		name := fmt.Sprintf("outbound|8080||svc-%05d.ns.svc.cluster.local", i)
		c, err := anypb.New(edsCluster(name))
		if err != nil {
			tb.Fatal(err)
		}
		ports := make([]uint32, benchEndpoints)
		for j := range ports {
			ports[j] = uint32(20000 + j)
		}
		la, err := anypb.New(assignment(name, ports...))
		if err != nil {
			tb.Fatal(err)
		}
		cds.resources = append(cds.resources, resourceItem{res: c})
		eds.resources = append(eds.resources, resourceItem{res: la})
		s.clusters[name] = &config.Cluster{Name: name, Type: config.EDS}
		s.endpoints[name] = &config.LoadAssignment{}
	}
	d := &dumpStore{}
	now := time.Now()
	d.accept(cds, s, false, now)
	d.accept(eds, s, true, now)
	return d, s
}

// BenchmarkDumpStoreMemory reports the heap the dump keeps at 10,000
// clusters and 100,000 endpoints (dump-bytes), beyond the accepted state.
func BenchmarkDumpStoreMemory(b *testing.B) {
	var kept float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d, s := benchDumpStore(b)
		runtime.GC()
		runtime.ReadMemStats(&after)
		// The state's maps of placeholders are not the dump's.
		stateOnly := func() uint64 {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			s2 := newADSState()
			for n := range s.clusters {
				s2.clusters[n] = &config.Cluster{Name: n, Type: config.EDS}
				s2.endpoints[n] = &config.LoadAssignment{}
			}
			runtime.GC()
			runtime.ReadMemStats(&m1)
			runtime.KeepAlive(s2)
			return m1.HeapAlloc - m0.HeapAlloc
		}()
		kept = float64(after.HeapAlloc-before.HeapAlloc) - float64(stateOnly)
		runtime.KeepAlive(d)
		runtime.KeepAlive(s)
	}
	b.ReportMetric(kept, "dump-bytes")
}

// BenchmarkConfigDumpRender measures one /config_dump?include_eds at
// 10,000 clusters and 100,000 endpoints.
func BenchmarkConfigDumpRender(b *testing.B) {
	d, _ := benchDumpStore(b)
	c := &ADSClient{eng: newEngine(ApplierFunc(func(*Update) error { return nil }), slog.New(slog.DiscardHandler), nil, true)}
	c.eng.dump.accepted, c.eng.dump.applied = d.accepted, d.applied
	raw, err := os.ReadFile(dumpBootstrap)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := ConfigDump{Bootstrap: raw, Updated: time.Now(), ADS: c}.Render(DumpQuery{IncludeEDS: true})
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "json-bytes")
}

// BenchmarkDumpStoreAcceptEDS measures what the dump adds to accepting a
// state-of-the-world EDS response of 10,000 assignments, one changed.
func BenchmarkDumpStoreAcceptEDS(b *testing.B) {
	d, s := benchDumpStore(b)
	eds := &change{typ: EndpointTypeURL, version: "2", mode: sotw}
	for _, v := range d.accepted[EndpointTypeURL] {
		eds.resources = append(eds.resources, resourceItem{res: &anypb.Any{TypeUrl: EndpointTypeURL, Value: v.raw}})
	}
	changed, err := anypb.New(assignment(wireName(eds.resources[0].res.GetValue()), 30000))
	if err != nil {
		b.Fatal(err)
	}
	eds.resources[0].res = changed
	b.ReportAllocs()
	for b.Loop() {
		d.accept(eds, s, true, time.Now())
	}
}
