package xds

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// engineHarness drives an engine directly with SotW or delta changes.
type engineHarness struct {
	tb   testing.TB
	eng  *engine
	last *Update
}

func newEngineHarness(tb testing.TB) *engineHarness {
	h := &engineHarness{tb: tb}
	h.eng = newEngine(ApplierFunc(func(u *Update) error { h.last = u; return nil }), slog.New(slog.DiscardHandler), nil, true)
	return h
}

func anys(tb testing.TB, ms ...proto.Message) []resourceItem {
	tb.Helper()
	out := make([]resourceItem, len(ms))
	for i, m := range ms {
		a, err := anypb.New(m)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = resourceItem{res: a}
	}
	return out
}

func (h *engineHarness) accept(typ string, mode changeMode, items []resourceItem) error {
	return h.eng.accept(&change{typ: typ, version: "v", mode: mode, resources: items}, "test")
}

func (h *engineHarness) mustAccept(typ string, mode changeMode, items []resourceItem) {
	h.tb.Helper()
	if err := h.accept(typ, mode, items); err != nil {
		h.tb.Fatalf("accept %s: %v", typ, err)
	}
}

func clusterByName(u *Update, name string) *clusterTestView {
	for _, c := range u.Clusters {
		if c.Name == name {
			return &clusterTestView{ptr: fmt.Sprintf("%p", c), la: fmt.Sprintf("%p", c.LoadAssignment), timeout: c.ConnectTimeout}
		}
	}
	return nil
}

type clusterTestView struct {
	ptr, la string
	timeout time.Duration
}

// TestMemoKeepsUnchangedResources checks that a SotW response resending
// resources unchanged gives the very same translated values (the server
// skips them by pointer), while changed ones are translated anew.
func TestMemoKeepsUnchangedResources(t *testing.T) {
	h := newEngineHarness(t)
	h.mustAccept(ClusterTypeURL, sotw, anys(t, edsCluster("a"), edsCluster("b")))
	h.mustAccept(EndpointTypeURL, sotw, anys(t, assignment("a", 1), assignment("b", 2)))
	h.mustAccept(ListenerTypeURL, sotw, anys(t, tcpListener(t, "l", 10000, "a")))
	first := h.last
	a1, b1, l1 := clusterByName(first, "a"), clusterByName(first, "b"), first.Listeners[0]

	// EDS resent with b changed.
	h.mustAccept(EndpointTypeURL, sotw, anys(t, assignment("a", 1), assignment("b", 3)))
	a2, b2 := clusterByName(h.last, "a"), clusterByName(h.last, "b")
	if *a2 != *a1 {
		t.Errorf("unchanged cluster a: %+v, then %+v; want the same values", a1, a2)
	}
	if b2.la == b1.la || b2.ptr == b1.ptr {
		t.Errorf("cluster b's assignment changed but its values stayed the same")
	}
	if got := h.last.Endpoints["b"].Localities[0].Endpoints[0].Address.Port; got != 3 {
		t.Errorf("b's endpoint port %d, want 3", got)
	}
	if h.last.Listeners[0] != l1 {
		t.Errorf("listener changed on an EDS update")
	}

	// CDS resent with b's timeout changed.
	b := edsCluster("b")
	b.ConnectTimeout = durationpb.New(3 * time.Second)
	h.mustAccept(ClusterTypeURL, sotw, anys(t, edsCluster("a"), b))
	a3, b3 := clusterByName(h.last, "a"), clusterByName(h.last, "b")
	if *a3 != *a1 {
		t.Errorf("unchanged cluster a: %+v, then %+v; want the same values", a1, a3)
	}
	if b3.timeout != 3*time.Second || b3.la != b2.la {
		t.Errorf("cluster b after CDS change: %+v; want timeout 3s and the same assignment", b3)
	}

	// LDS resent unchanged.
	h.mustAccept(ListenerTypeURL, sotw, anys(t, tcpListener(t, "l", 10000, "a")))
	if h.last.Listeners[0] != l1 {
		t.Errorf("unchanged listener resent: got a new value")
	}
}

// TestMemoRejectedChangeIsNotRemembered checks that a rejected response
// neither changes the state nor leaves its translations behind, and that a
// duplicate of a remembered resource is still an error.
func TestMemoRejectedChangeIsNotRemembered(t *testing.T) {
	h := newEngineHarness(t)
	h.mustAccept(ClusterTypeURL, sotw, anys(t, edsCluster("a")))
	h.mustAccept(EndpointTypeURL, sotw, anys(t, assignment("a", 1)))
	// A listener with an unsupported filter fails translation: the whole
	// response is rejected, and the good listener in it is not remembered.
	err := h.accept(ListenerTypeURL, sotw, anys(t, tcpListener(t, "l1", 10001, "a"), mongoListener(t, "l2", 10002)))
	if err == nil {
		t.Fatal("listener with an unsupported filter accepted")
	}
	if tm := h.eng.memo.types[ListenerTypeURL]; tm == nil || tm.size() != 0 || tm.open {
		t.Errorf("memo after a rejected change: %+v, want empty", tm)
	}
	// Sent twice in one response, both times from the memo.
	err = h.accept(EndpointTypeURL, sotw, anys(t, assignment("a", 1), assignment("a", 1)))
	if err == nil || !strings.Contains(err.Error(), "sent twice") {
		t.Errorf("assignment sent twice: %v, want a 'sent twice' error", err)
	}
	if got := h.eng.memo.types[EndpointTypeURL].size(); got != 1 {
		t.Errorf("EDS memo holds %d entries after the rejection, want 1", got)
	}
}

// TestMemoNotUsedForDelta checks that delta changes, which carry only
// resources that changed, are not remembered.
func TestMemoNotUsedForDelta(t *testing.T) {
	h := newEngineHarness(t)
	items := anys(t, edsCluster("a"))
	items[0].name = "a"
	h.mustAccept(ClusterTypeURL, delta, items)
	if tm := h.eng.memo.types[ClusterTypeURL]; tm != nil {
		t.Errorf("delta change remembered: %+v", tm)
	}
}

// TestMemoDigestCoversTypeURL checks that the same bytes under another
// type URL do not hit the memo.
func TestMemoDigestCoversTypeURL(t *testing.T) {
	m := newMemo()
	tm := m.forChange(&change{typ: ClusterTypeURL, mode: sotw})
	a := &anypb.Any{TypeUrl: "type.googleapis.com/x", Value: []byte{1, 2}}
	b := &anypb.Any{TypeUrl: "type.googleapis.com/y", Value: []byte{1, 2}}
	if tm.digest(a) == tm.digest(b) {
		t.Error("same digest for different type URLs")
	}
	c := &anypb.Any{TypeUrl: "type.googleapis.com/x", Value: []byte{1, 2}}
	if tm.digest(a) != tm.digest(c) {
		t.Error("different digests for equal resources")
	}
}

// scaleResources returns n EDS clusters, their assignments of 10
// endpoints (ports from port) and n/10 tcp_proxy listeners on port 0.
func scaleResources(tb testing.TB, n int, port uint32) (cs, las, ls []resourceItem) {
	var cms, lams, lms []proto.Message
	for i := range n {
		name := fmt.Sprintf("c%05d", i)
		cms = append(cms, edsCluster(name))
		eps := make([]uint32, 10)
		for j := range eps {
			eps[j] = port + uint32(j)
		}
		lams = append(lams, assignment(name, eps...))
		if i%10 == 0 {
			tp, err := anypb.New(&tcpproxyv3.TcpProxy{StatPrefix: name, ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: name}})
			if err != nil {
				tb.Fatal(err)
			}
			lms = append(lms, &listenerv3.Listener{
				Name:    fmt.Sprintf("l%04d", i/10),
				Address: socketAddr("127.0.0.1", 0),
				FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
					Name: "envoy.filters.network.tcp_proxy", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: tp},
				}}}},
			})
		}
	}
	return anys(tb, cms...), anys(tb, lams...), anys(tb, lms...)
}

// loadScale accepts the resources of scaleResources, SotW or delta.
func (h *engineHarness) loadScale(mode changeMode, cs, las, ls []resourceItem) {
	name := func(items []resourceItem, get func(proto.Message) string, m func() proto.Message) []resourceItem {
		if mode != delta {
			return items
		}
		out := make([]resourceItem, len(items))
		for i, it := range items {
			msg := m()
			if err := it.res.UnmarshalTo(msg); err != nil {
				h.tb.Fatal(err)
			}
			out[i] = resourceItem{name: get(msg), version: "1", res: it.res}
		}
		return out
	}
	h.mustAccept(ClusterTypeURL, mode, name(cs, func(m proto.Message) string { return m.(*clusterv3.Cluster).GetName() }, func() proto.Message { return new(clusterv3.Cluster) }))
	h.mustAccept(EndpointTypeURL, mode, name(las, func(m proto.Message) string { return m.(*endpointv3.ClusterLoadAssignment).GetClusterName() }, func() proto.Message { return new(endpointv3.ClusterLoadAssignment) }))
	h.mustAccept(ListenerTypeURL, mode, name(ls, func(m proto.Message) string { return m.(*listenerv3.Listener).GetName() }, func() proto.Message { return new(listenerv3.Listener) }))
}

// BenchmarkEngineEDSUpdate10k measures accepting an EDS change that
// moves one assignment of 10,000 (1,000 listeners): SotW resends every
// assignment, delta only the one.
func BenchmarkEngineEDSUpdate10k(b *testing.B) {
	const n = 10000
	cs, las, ls := scaleResources(b, n, 20000)
	_, las2, _ := scaleResources(b, 1, 30000) // c00000 moved
	for _, mode := range []changeMode{sotw, delta} {
		name := map[changeMode]string{sotw: "sotw", delta: "delta"}[mode]
		b.Run(name, func(b *testing.B) {
			h := newEngineHarness(b)
			h.loadScale(mode, cs, las, ls)
			moved := append([]resourceItem{las2[0]}, las[1:]...)
			if mode == delta {
				moved = []resourceItem{{name: "c00000", version: "2", res: las2[0].res}}
			}
			back := append([]resourceItem{las[0]}, las[1:]...)
			if mode == delta {
				back = []resourceItem{{name: "c00000", version: "1", res: las[0].res}}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				items := moved
				if i%2 == 1 {
					items = back
				}
				i++
				if err := h.accept(EndpointTypeURL, mode, items); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTranslateLoadAssignment measures decoding and translating one
// assignment of 10 endpoints, the per-resource cost of a full EDS load.
func BenchmarkTranslateLoadAssignment(b *testing.B) {
	_, las, _ := scaleResources(b, 1, 20000)
	b.ReportAllocs()
	for b.Loop() {
		m := new(endpointv3.ClusterLoadAssignment)
		if err := las[0].res.UnmarshalTo(m); err != nil {
			b.Fatal(err)
		}
		if _, err := TranslateLoadAssignment(`cluster_load_assignment "c00000"`, m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeAllParallelMatchesSequential checks that a large change,
// translated on several goroutines, gives the same resources and the
// same errors, in the same order, as one translated on one.
func TestDecodeAllParallelMatchesSequential(t *testing.T) {
	var ms []proto.Message
	for i := range 300 {
		c := edsCluster(fmt.Sprintf("c%03d", i))
		switch i {
		case 7, 150:
			c.ConnectTimeout = durationpb.New(-time.Second) // invalid
		case 200:
			c.Name = "c100" // sent twice
		case 299:
			c.Name = "" // no name
		}
		ms = append(ms, c)
	}
	items := anys(t, ms...)
	run := func(procs int) (int, string) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var errs errList
		ch := &change{typ: ClusterTypeURL, mode: sotw, resources: items, ads: true, memo: newMemo()}
		got := decodeAll(&errs, ch, "cluster", (*clusterv3.Cluster).GetName, func(p string, m *clusterv3.Cluster) (clusterIR, error) {
			c, err := TranslateCluster(p, m)
			return clusterIR{c: c}, err
		})
		return len(got), errs.err().Error()
	}
	n1, e1 := run(1)
	n4, e4 := run(4)
	if n1 != 296 || n4 != n1 {
		t.Errorf("translated %d clusters on 1 goroutine, %d on 4; want 296", n1, n4)
	}
	if e1 != e4 {
		t.Errorf("errors differ:\n1 goroutine:\n%s\n4 goroutines:\n%s", e1, e4)
	}
	for _, want := range []string{`cluster "c007"`, `cluster "c150"`, `cluster "c100": sent twice`, `cluster[299].name: is required`} {
		if !strings.Contains(e4, want) {
			t.Errorf("errors lack %q:\n%s", want, e4)
		}
	}
	if i, j := strings.Index(e4, `"c007"`), strings.Index(e4, `"c150"`); i > j {
		t.Errorf("errors out of order:\n%s", e4)
	}
}
