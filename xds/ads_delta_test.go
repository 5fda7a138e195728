package xds

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

func useDelta(c *ADSConfig) { c.Delta = true }

// resourceNames returns the names of the resources of a delta response.
func resourceNames(res *discoveryv3.DeltaDiscoveryResponse) []string {
	var out []string
	for _, r := range res.GetResources() {
		out = append(out, r.GetName())
	}
	slices.Sort(out)
	return out
}

func hasResources(names ...string) func(*discoveryv3.DeltaDiscoveryResponse) bool {
	return func(res *discoveryv3.DeltaDiscoveryResponse) bool { return slices.Equal(resourceNames(res), names) }
}

func TestDeltaInitialSync(t *testing.T) {
	cp := startTest(t)
	cp.set("1", []*listenerv3.Listener{tcpListener(t, "l1", 10001, "c1")},
		[]*clusterv3.Cluster{edsCluster("c1")},
		[]*endpointv3.ClusterLoadAssignment{assignment("c1", 20001, 20002)})
	rec := &recorder{}
	c, stop := runClient(t, cp, rec, useDelta)

	u := rec.wait(t, "with l1 and c1", func(u *Update) bool { return len(u.Listeners) == 1 && len(u.Clusters) == 1 })
	la := u.Clusters[0].LoadAssignment
	if u.Listeners[0].Name != "l1" || u.Clusters[0].Name != "c1" || la == nil || len(la.Localities[0].Endpoints) != 2 {
		t.Fatalf("update = %+v, want l1, c1 with 2 endpoints", u)
	}
	for _, typ := range []string{ListenerTypeURL, ClusterTypeURL, EndpointTypeURL} {
		if u.Versions[typ] != "1" {
			t.Errorf("Versions[%s] = %q, want the system_version_info 1", typ, u.Versions[typ])
		}
	}
	cp.waitDeltaACK(ListenerTypeURL, hasResources("l1"))
	cp.waitDeltaACK(ClusterTypeURL, hasResources("c1"))
	cp.waitDeltaACK(EndpointTypeURL, hasResources("c1"))
	first := cp.waitDelta("first request", func(deltaRequest) bool { return true })
	if first.req.GetNode().GetId() != testNode {
		t.Errorf("first request node id %q, want %q", first.req.GetNode().GetId(), testNode)
	}
	for _, typ := range []string{ListenerTypeURL, ClusterTypeURL} {
		init := cp.waitDelta("initial "+typ, func(r deltaRequest) bool { return r.req.GetTypeUrl() == typ })
		if len(init.req.GetResourceNamesSubscribe()) != 0 || init.req.GetResponseNonce() != "" {
			t.Errorf("initial %s request = %v, want a wildcard subscription (no names, no nonce)", typ, init.req)
		}
	}
	sub := cp.waitDelta("EDS subscription", func(r deltaRequest) bool { return r.req.GetTypeUrl() == EndpointTypeURL })
	if !slices.Equal(sub.req.GetResourceNamesSubscribe(), []string{"c1"}) {
		t.Errorf("EDS subscribe = %v, want [c1]", sub.req.GetResourceNamesSubscribe())
	}
	if st := c.Status(); !st.Connected || st.Warming != "" || st.Updates == 0 {
		t.Errorf("status = %+v, want connected and warm", st)
	}
	stop()
}

func TestDeltaNackKeepsState(t *testing.T) {
	cp := startTest(t)
	good := tcpListener(t, "l1", 10001, "c1")
	cs := []*clusterv3.Cluster{edsCluster("c1")}
	las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)}
	cp.set("1", []*listenerv3.Listener{good}, cs, las)
	rec := &recorder{}
	c, _ := runClient(t, cp, rec, useDelta)
	rec.wait(t, "version 1", func(u *Update) bool { return u.Versions[ListenerTypeURL] == "1" })

	cp.set("2", []*listenerv3.Listener{good, mongoListener(t, "bad", 10002)}, cs, las)
	nack := cp.waitDelta("LDS NACK", func(r deltaRequest) bool {
		return r.req.GetTypeUrl() == ListenerTypeURL && r.req.GetErrorDetail() != nil
	})
	msg := nack.req.GetErrorDetail().GetMessage()
	if !strings.Contains(msg, `listener "bad".filter_chains[0].filters[0]: unsupported filter`) {
		t.Errorf("error_detail = %q, want it to name listener \"bad\" and the filter", msg)
	}
	if nack.req.GetResponseNonce() == "" {
		t.Error("NACK carries no response_nonce")
	}
	if st := c.Status(); !strings.Contains(st.LastError, `listener "bad"`) || st.Rejected == 0 || st.Versions[ListenerTypeURL] != "1" {
		t.Errorf("status = %+v, want the rejection recorded and lds version 1 kept", st)
	}
	for _, u := range rec.all() {
		if len(u.Listeners) != 1 {
			t.Fatalf("an update carried the rejected listener: %d listeners", len(u.Listeners))
		}
	}

	// The next good version replaces "bad" with a listener Sidewire runs:
	// the delta carries only it.
	cp.set("3", []*listenerv3.Listener{good, tcpListener(t, "bad", 10002, "c1")}, cs, las)
	rec.wait(t, "version 3 with two listeners", func(u *Update) bool {
		return u.Versions[ListenerTypeURL] == "3" && len(u.Listeners) == 2
	})
	cp.waitDeltaACK(ListenerTypeURL, hasResources("bad"))
}

func TestDeltaAddUpdateRemove(t *testing.T) {
	cp := startTest(t)
	l1, l2 := tcpListener(t, "l1", 10001, "c1"), tcpListener(t, "l2", 10002, "c2")
	c1, c2 := edsCluster("c1"), edsCluster("c2")
	cp.set("1", []*listenerv3.Listener{l1, l2}, []*clusterv3.Cluster{c1, c2},
		[]*endpointv3.ClusterLoadAssignment{assignment("c1", 20001), assignment("c2", 20002)})
	rec := &recorder{}
	runClient(t, cp, rec, useDelta)
	rec.wait(t, "with l1, l2, c1, c2", func(u *Update) bool {
		return len(u.Listeners) == 2 && slices.Equal(clusterNames(u), []string{"c1", "c2"}) && len(u.Endpoints) == 2
	})

	// Update: c1 moves to another port; only its assignment is sent.
	cp.set("2", []*listenerv3.Listener{l1, l2}, []*clusterv3.Cluster{c1, c2},
		[]*endpointv3.ClusterLoadAssignment{assignment("c1", 20011), assignment("c2", 20002)})
	u := rec.wait(t, "c1 on port 20011", func(u *Update) bool {
		la := u.Endpoints["c1"]
		return la != nil && la.Localities[0].Endpoints[0].Address.Port == 20011
	})
	if u.Changed != EndpointTypeURL || u.Endpoints["c2"].Localities[0].Endpoints[0].Address.Port != 20002 {
		t.Errorf("update changed %s, c2 = %+v; want an EDS update keeping c2", u.Changed, u.Endpoints["c2"])
	}
	cp.waitDeltaACK(EndpointTypeURL, hasResources("c1"))

	// Remove l2 and c2: both arrive as removed_resources, the client
	// unsubscribes from c2's assignment and drops it.
	cp.set("3", []*listenerv3.Listener{l1}, []*clusterv3.Cluster{c1},
		[]*endpointv3.ClusterLoadAssignment{assignment("c1", 20011)})
	u = rec.wait(t, "without l2 and c2", func(u *Update) bool {
		return len(u.Listeners) == 1 && slices.Equal(clusterNames(u), []string{"c1"})
	})
	if _, ok := u.Endpoints["c2"]; ok || u.Listeners[0].Name != "l1" {
		t.Errorf("update kept c2's assignment or lost l1: %+v", u)
	}
	unsub := cp.waitDelta("EDS unsubscribe of c2", func(r deltaRequest) bool {
		return r.req.GetTypeUrl() == EndpointTypeURL && slices.Equal(r.req.GetResourceNamesUnsubscribe(), []string{"c2"})
	})
	if len(unsub.req.GetResourceNamesSubscribe()) != 0 {
		t.Errorf("unsubscribe request also subscribes %v", unsub.req.GetResourceNamesSubscribe())
	}
	removed := map[string][]string{}
	for _, r := range cp.deltaResponses() {
		removed[r.res.GetTypeUrl()] = append(removed[r.res.GetTypeUrl()], r.res.GetRemovedResources()...)
	}
	if !slices.Equal(removed[ListenerTypeURL], []string{"l2"}) || !slices.Equal(removed[ClusterTypeURL], []string{"c2"}) {
		t.Errorf("removed_resources sent = %v, want l2 and c2", removed)
	}

	// Add c3 and a listener on it: the client subscribes to c3.
	cp.set("4", []*listenerv3.Listener{l1, tcpListener(t, "l3", 10003, "c3")}, []*clusterv3.Cluster{c1, edsCluster("c3")},
		[]*endpointv3.ClusterLoadAssignment{assignment("c1", 20011), assignment("c3", 20003)})
	rec.wait(t, "with l3 and c3", func(u *Update) bool {
		return len(u.Listeners) == 2 && slices.Equal(clusterNames(u), []string{"c1", "c3"}) && u.Endpoints["c3"] != nil
	})
	cp.waitDelta("EDS subscribe of c3", func(r deltaRequest) bool {
		return r.req.GetTypeUrl() == EndpointTypeURL && slices.Equal(r.req.GetResourceNamesSubscribe(), []string{"c3"})
	})
}

// TestDeltaRemovedAssignment: an assignment removed while its cluster
// stays leaves the cluster without endpoints.
func TestDeltaRemovedAssignment(t *testing.T) {
	cp := startTest(t)
	cs := []*clusterv3.Cluster{edsCluster("c1")}
	cp.set("1", nil, cs, []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)})
	rec := &recorder{}
	runClient(t, cp, rec, useDelta)
	rec.wait(t, "c1 with an endpoint", func(u *Update) bool { return u.Endpoints["c1"] != nil && len(u.Endpoints["c1"].Localities) == 1 })
	cp.set("2", nil, cs, nil)
	u := rec.wait(t, "c1 without endpoints", func(u *Update) bool {
		return u.Endpoints["c1"] != nil && len(u.Endpoints["c1"].Localities) == 0
	})
	if len(u.Clusters) != 1 || u.Clusters[0].LoadAssignment == nil {
		t.Errorf("clusters = %+v, want c1 with an empty assignment", u.Clusters)
	}
	cp.waitDeltaACK(EndpointTypeURL, func(r *discoveryv3.DeltaDiscoveryResponse) bool {
		return slices.Equal(r.GetRemovedResources(), []string{"c1"})
	})
}

func TestDeltaReconnect(t *testing.T) {
	cp := startTest(t)
	cs := []*clusterv3.Cluster{edsCluster("c1")}
	las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)}
	l1, l2 := tcpListener(t, "l1", 10001, "c1"), tcpListener(t, "l2", 10002, "c1")
	cp.set("1", []*listenerv3.Listener{l1, l2}, cs, las)
	rec := &recorder{}
	c, _ := runClient(t, cp, rec, useDelta)
	rec.wait(t, "version 1", func(u *Update) bool { return len(u.Listeners) == 2 && u.Endpoints["c1"] != nil })
	cp.waitDeltaACK(EndpointTypeURL, hasResources("c1"))
	var versions map[string]string
	c.eng.read(func(st *adsState) { versions = maps.Clone(st.resourceVersions[ListenerTypeURL]) })

	cp.stop()
	deadline := time.Now().Add(10 * time.Second)
	for c.Status().Connected && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if c.Status().Connected {
		t.Fatal("client still connected after the control plane stopped")
	}
	// While the client is away, l2 goes.
	cp.set("2", []*listenerv3.Listener{l1}, cs, las)
	cp.start(cp.addr)

	lds := cp.waitDelta("LDS request on the new stream", func(r deltaRequest) bool { return r.req.GetTypeUrl() == ListenerTypeURL })
	if got := lds.req.GetInitialResourceVersions(); !maps.Equal(got, versions) || len(got) != 2 {
		t.Errorf("initial_resource_versions = %v, want the known %v", got, versions)
	}
	eds := cp.waitDelta("EDS request on the new stream", func(r deltaRequest) bool { return r.req.GetTypeUrl() == EndpointTypeURL })
	if !slices.Equal(eds.req.GetResourceNamesSubscribe(), []string{"c1"}) || eds.req.GetInitialResourceVersions()["c1"] == "" {
		t.Errorf("EDS resubscription = %v, want c1 with its known version", eds.req)
	}
	rec.wait(t, "l2 removed after the reconnect", func(u *Update) bool { return len(u.Listeners) == 1 && u.Listeners[0].Name == "l1" })
	// Only the removal came: l1, c1 and its assignment were known.
	for _, r := range cp.deltaResponses() {
		if len(r.res.GetResources()) > 0 {
			t.Errorf("server resent %s %v after the reconnect", r.res.GetTypeUrl(), resourceNames(r.res))
		}
	}
	if st := c.Status(); !st.Connected || st.Versions[ListenerTypeURL] != "2" {
		t.Errorf("status = %+v, want connected at lds version 2", st)
	}
	if u := rec.all()[len(rec.all())-1]; u.Snapshot(config.Node{}).Validate() != nil {
		t.Errorf("last update does not validate: %v", u.Snapshot(config.Node{}).Validate())
	}
}
