package xds

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// TestADSSendsNode: the bootstrap's node (id, cluster, metadata,
// locality) reaches the control plane on the first request, with
// Sidewire's user agent, as control planes such as istiod expect.
func TestADSSendsNode(t *testing.T) {
	snap, err := LoadBootstrap([]byte(`node:
  id: sidecar~10.0.0.1~app.ns~ns.svc.cluster.local
  cluster: app.ns
  metadata: {ISTIO_VERSION: "1.24.0", LABELS: {app: shop}, PROXY_CONFIG: {concurrency: 2}}
  locality: {region: eu-west-1, zone: eu-west-1a}
`))
	if err != nil {
		t.Fatalf("load bootstrap: %v", err)
	}
	cp := startTest(t)
	cp.set("1", []*listenerv3.Listener{tcpListener(t, "l1", 10001, "c1")},
		[]*clusterv3.Cluster{edsCluster("c1")},
		[]*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)})
	_, stop := runClient(t, cp, &recorder{}, func(c *ADSConfig) { c.Node = snap.Node })
	defer stop()
	first := cp.waitRequest("first request", func(streamRequest) bool { return true })
	n := first.req.GetNode()
	md := n.GetMetadata().GetFields()
	switch {
	case n.GetId() != "sidecar~10.0.0.1~app.ns~ns.svc.cluster.local" || n.GetCluster() != "app.ns":
		t.Errorf("node id %q cluster %q", n.GetId(), n.GetCluster())
	case md["ISTIO_VERSION"].GetStringValue() != "1.24.0":
		t.Errorf("metadata ISTIO_VERSION = %v", md["ISTIO_VERSION"])
	case md["LABELS"].GetStructValue().GetFields()["app"].GetStringValue() != "shop":
		t.Errorf("metadata LABELS = %v", md["LABELS"])
	case md["PROXY_CONFIG"].GetStructValue().GetFields()["concurrency"].GetNumberValue() != 2:
		t.Errorf("metadata PROXY_CONFIG = %v", md["PROXY_CONFIG"])
	case n.GetLocality().GetRegion() != "eu-west-1" || n.GetLocality().GetZone() != "eu-west-1a":
		t.Errorf("locality = %v", n.GetLocality())
	case n.GetUserAgentName() != "sidewire" || n.GetUserAgentVersion() == "":
		t.Errorf("user agent %q %q", n.GetUserAgentName(), n.GetUserAgentVersion())
	}
}
