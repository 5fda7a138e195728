package xds

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestADSInitialSync(t *testing.T) {
	cp := startTest(t)
	cp.set("1", []*listenerv3.Listener{tcpListener(t, "l1", 10001, "c1")},
		[]*clusterv3.Cluster{edsCluster("c1")},
		[]*endpointv3.ClusterLoadAssignment{assignment("c1", 20001, 20002)})
	rec := &recorder{}
	c, stop := runClient(t, cp, rec)

	u := rec.wait(t, "with l1 and c1", func(u *Update) bool { return len(u.Listeners) == 1 && len(u.Clusters) == 1 })
	if u.Listeners[0].Name != "l1" || u.Clusters[0].Name != "c1" {
		t.Fatalf("update has %q and %q, want l1 and c1", u.Listeners[0].Name, u.Clusters[0].Name)
	}
	la := u.Clusters[0].LoadAssignment
	if la == nil || len(la.Localities) != 1 || len(la.Localities[0].Endpoints) != 2 {
		t.Fatalf("cluster c1 load assignment = %+v, want 2 endpoints", la)
	}
	if got := la.Localities[0].Endpoints[1].Address; got != (config.Address{Host: "127.0.0.1", Port: 20002}) {
		t.Errorf("endpoint 1 = %v, want 127.0.0.1:20002", got)
	}
	for _, typ := range []string{ListenerTypeURL, ClusterTypeURL, EndpointTypeURL} {
		if u.Versions[typ] != "1" {
			t.Errorf("Versions[%s] = %q, want 1", typ, u.Versions[typ])
		}
		cp.waitACK(typ, "1")
	}
	eds := cp.waitACK(EndpointTypeURL, "1")
	if !slices.Equal(eds.req.GetResourceNames(), []string{"c1"}) {
		t.Errorf("EDS ACK names %v, want [c1]", eds.req.GetResourceNames())
	}
	first := cp.waitRequest("first request", func(streamRequest) bool { return true })
	if first.req.GetNode().GetId() != testNode {
		t.Errorf("first request node id %q, want %q", first.req.GetNode().GetId(), testNode)
	}
	st := c.Status()
	if !st.Connected || st.Warming != "" || st.Updates == 0 || st.Versions[ListenerTypeURL] != "1" {
		t.Errorf("status = %+v, want connected, warm, lds version 1", st)
	}
	if s := u.Snapshot(config.Node{ID: testNode}); s.Version != "cds=1,eds=1,lds=1" || s.Validate() != nil {
		t.Errorf("snapshot version %q, validate %v", s.Version, s.Validate())
	}
	stop()
}

func TestADSNackKeepsState(t *testing.T) {
	cp := startTest(t)
	good := tcpListener(t, "l1", 10001, "c1")
	cs := []*clusterv3.Cluster{edsCluster("c1")}
	las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)}
	cp.set("1", []*listenerv3.Listener{good}, cs, las)
	rec := &recorder{}
	c, _ := runClient(t, cp, rec)
	rec.wait(t, "version 1", func(u *Update) bool { return u.Versions[ListenerTypeURL] == "1" })
	cp.waitACK(ListenerTypeURL, "1")

	cp.set("2", []*listenerv3.Listener{good, mongoListener(t, "bad", 10002)}, cs, las)
	nack := cp.waitRequest("LDS NACK", func(r streamRequest) bool {
		return r.req.GetTypeUrl() == ListenerTypeURL && r.req.GetErrorDetail() != nil
	})
	msg := nack.req.GetErrorDetail().GetMessage()
	if !strings.Contains(msg, `listener "bad".filter_chains[0].filters[0]: unsupported filter`) {
		t.Errorf("error_detail = %q, want it to name listener \"bad\" and the filter", msg)
	}
	if nack.req.GetVersionInfo() != "1" {
		t.Errorf("NACK version_info = %q, want the last accepted version 1", nack.req.GetVersionInfo())
	}
	if st := c.Status(); !strings.Contains(st.LastError, `listener "bad"`) || st.Rejected == 0 {
		t.Errorf("status = %+v, want the rejection recorded", st)
	}
	for _, u := range rec.all() {
		if len(u.Listeners) != 1 || u.Versions[ListenerTypeURL] != "1" {
			t.Fatalf("an update carried the rejected listeners: %d listeners, lds version %q", len(u.Listeners), u.Versions[ListenerTypeURL])
		}
	}

	cp.set("3", []*listenerv3.Listener{good, tcpListener(t, "l2", 10002, "c1")}, cs, las)
	rec.wait(t, "version 3 with two listeners", func(u *Update) bool {
		return u.Versions[ListenerTypeURL] == "3" && len(u.Listeners) == 2
	})
	cp.waitACK(ListenerTypeURL, "3")
}

func TestADSRemovedCluster(t *testing.T) {
	cp := startTest(t)
	ls := []*listenerv3.Listener{tcpListener(t, "l1", 10001, "c1")}
	cp.set("1", ls, []*clusterv3.Cluster{edsCluster("c1"), edsCluster("c2")},
		[]*endpointv3.ClusterLoadAssignment{assignment("c1", 20001), assignment("c2", 20002)})
	rec := &recorder{}
	runClient(t, cp, rec)
	rec.wait(t, "with c1 and c2", func(u *Update) bool { return slices.Equal(clusterNames(u), []string{"c1", "c2"}) })

	cp.set("2", ls, []*clusterv3.Cluster{edsCluster("c1")}, []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)})
	u := rec.wait(t, "without c2", func(u *Update) bool { return u.Versions[ClusterTypeURL] == "2" })
	if !slices.Equal(clusterNames(u), []string{"c1"}) {
		t.Errorf("clusters = %v, want [c1]", clusterNames(u))
	}
	if _, ok := u.Endpoints["c2"]; ok {
		t.Errorf("assignment of removed cluster c2 kept")
	}
}

func TestADSWarming(t *testing.T) {
	cp := startTest(t)
	ls := []*listenerv3.Listener{tcpListener(t, "l1", 10001, "c1")}
	cs := []*clusterv3.Cluster{edsCluster("c1")}
	cp.set("1", ls, cs, nil)
	rec := &recorder{}
	c, _ := runClient(t, cp, rec)
	cp.waitACK(ListenerTypeURL, "1")
	cp.waitACK(ClusterTypeURL, "1")
	cp.waitRequest("EDS subscription to c1", func(r streamRequest) bool {
		return r.req.GetTypeUrl() == EndpointTypeURL && slices.Equal(r.req.GetResourceNames(), []string{"c1"})
	})
	if st := c.Status(); st.Warming != `waiting for load assignment "c1"` {
		t.Errorf("Warming = %q, want it waiting for c1's assignment", st.Warming)
	}
	if n := len(rec.all()); n != 0 {
		t.Fatalf("%d updates applied before c1 had endpoints", n)
	}
	cp.set("2", ls, cs, []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)})
	rec.wait(t, "once c1 has endpoints", func(u *Update) bool { return u.Endpoints["c1"] != nil })
	if st := c.Status(); st.Warming != "" {
		t.Errorf("Warming = %q after the update, want empty", st.Warming)
	}
}

func TestADSReconnect(t *testing.T) {
	cp := startTest(t)
	cs := []*clusterv3.Cluster{edsCluster("c1")}
	las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)}
	cp.set("1", []*listenerv3.Listener{tcpListener(t, "l1", 10001, "c1")}, cs, las)
	rec := &recorder{}
	c, _ := runClient(t, cp, rec)
	rec.wait(t, "version 1", func(u *Update) bool { return u.Versions[ListenerTypeURL] == "1" })
	cp.waitACK(ListenerTypeURL, "1")

	cp.stop()
	deadline := time.Now().Add(10 * time.Second)
	for c.Status().Connected && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if c.Status().Connected {
		t.Fatal("client still connected after the control plane stopped")
	}
	cp.start(cp.addr)
	resume := cp.waitRequest("LDS request on a new stream", func(r streamRequest) bool {
		return r.req.GetTypeUrl() == ListenerTypeURL && r.req.GetResponseNonce() == ""
	})
	if resume.req.GetVersionInfo() != "1" {
		t.Errorf("resumed LDS request version_info = %q, want the known version 1", resume.req.GetVersionInfo())
	}
	cp.set("2", []*listenerv3.Listener{tcpListener(t, "l1", 10001, "c1"), tcpListener(t, "l2", 10002, "c1")}, cs, las)
	rec.wait(t, "version 2 after reconnect", func(u *Update) bool { return u.Versions[ListenerTypeURL] == "2" && len(u.Listeners) == 2 })
	if !c.Status().Connected {
		t.Error("status not connected after resync")
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for _, tc := range []struct {
		attempt int
		max     time.Duration
	}{{0, 100 * time.Millisecond}, {1, 200 * time.Millisecond}, {3, 800 * time.Millisecond}, {4, time.Second}, {60, time.Second}} {
		for range 50 {
			if d := b.delay(tc.attempt); d < tc.max/2 || d > tc.max {
				t.Fatalf("delay(%d) = %v, want in [%v, %v]", tc.attempt, d, tc.max/2, tc.max)
			}
		}
	}
}

// TestADSNackAfterTranslation covers rejections found once a response is
// translated: cross-resource checks and the Applier's own refusal.
func TestADSNackAfterTranslation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		port   uint32 // of the second listener
		refuse bool   // the Applier refuses two listeners
		want   string
	}{
		{"duplicate address", 10001, false, `listener "l2".address: duplicate listener address 127.0.0.1:10001`},
		{"applier refuses", 10002, true, `apply update: refusing l2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := startTest(t)
			cs := []*clusterv3.Cluster{edsCluster("c1")}
			las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)}
			l1 := tcpListener(t, "l1", 10001, "c1")
			cp.set("1", []*listenerv3.Listener{l1}, cs, las)
			rec := &recorder{}
			app := ApplierFunc(func(u *Update) error {
				if tc.refuse && len(u.Listeners) == 2 {
					return errors.New("refusing l2")
				}
				return rec.ApplyXDS(u)
			})
			runClient(t, cp, app)
			rec.wait(t, "version 1", func(u *Update) bool { return u.Versions[ListenerTypeURL] == "1" })
			cp.set("2", []*listenerv3.Listener{l1, tcpListener(t, "l2", tc.port, "c1")}, cs, las)
			nack := cp.waitRequest("LDS NACK", func(r streamRequest) bool {
				return r.req.GetTypeUrl() == ListenerTypeURL && r.req.GetErrorDetail() != nil
			})
			if msg := nack.req.GetErrorDetail().GetMessage(); !strings.Contains(msg, tc.want) {
				t.Errorf("error_detail = %q, want it to contain %q", msg, tc.want)
			}
			for _, u := range rec.all() {
				if len(u.Listeners) != 1 {
					t.Fatalf("rejected update with %d listeners was applied", len(u.Listeners))
				}
			}
		})
	}
}
