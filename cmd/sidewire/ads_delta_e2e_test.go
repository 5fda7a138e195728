package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	mongov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/mongo_proxy/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// TestDeltaADSDynamicListenerAndEndpoints runs sidewire with api_type
// AGGREGATED_DELTA_GRPC against go-control-plane: listener and endpoints
// arrive, an endpoint change moves traffic, a bad listener is NACKed
// while traffic goes on, and a removed listener closes.
func TestDeltaADSDynamicListenerAndEndpoints(t *testing.T) {
	echo1, echo2 := testpeer.StartEcho(t), testpeer.StartEcho(t)
	cp := startADSServer(t)
	tcp := e2eListener(t, "dyn", &tcpproxyv3.TcpProxy{StatPrefix: "dyn", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "app"}})
	cp.set("1", tcp, e2eEDSCluster("app"), e2eAssignment("app", echo1.Addr()))
	p := startSidewire(t, adsBootstrapAPI(cp.addr, "AGGREGATED_DELTA_GRPC"))

	var addr string
	eventually(t, 30*time.Second, "dynamic listener dyn", func() error {
		if addr = p.listenerAddr("dyn"); addr == "" {
			return fmt.Errorf("not in /listeners")
		}
		return nil
	})
	if err := echoVia(addr, []byte("hello v1")); err != nil {
		t.Fatalf("echo through version 1: %v", err)
	}
	if echo1.Served() != 1 {
		t.Fatalf("echo1 served %d connections, want 1", echo1.Served())
	}
	if got := p.stat("control_plane.connected_state"); got != 1 {
		t.Errorf("control_plane.connected_state = %d, want 1", got)
	}

	// Version 2 changes only the assignment: a delta with one resource.
	cp.set("2", tcp, e2eEDSCluster("app"), e2eAssignment("app", echo2.Addr()))
	eventually(t, 10*time.Second, "new connections reach echo2", func() error {
		before := echo2.Served()
		if err := echoVia(p.listenerAddr("dyn"), []byte("hello v2")); err != nil {
			return err
		}
		if echo2.Served() == before {
			return fmt.Errorf("echo2 served nothing (echo1 %d)", echo1.Served())
		}
		return nil
	})
	if n := p.stat("cluster_manager.eds.update_success"); n < 2 {
		t.Errorf("cluster_manager.eds.update_success = %d, want >= 2", n)
	}

	// Version 3's listener cannot run: NACKed, version 2 keeps serving.
	mongo := e2eListener(t, "dyn", &mongov3.MongoProxy{StatPrefix: "m"})
	mongo.FilterChains[0].Filters[0].Name = "envoy.filters.network.mongo_proxy"
	cp.set("3", mongo, e2eEDSCluster("app"), e2eAssignment("app", echo2.Addr()))
	eventually(t, 30*time.Second, "listener_manager.lds.update_rejected", func() error {
		if n := p.stat("listener_manager.lds.update_rejected"); n < 1 {
			return fmt.Errorf("= %d", n)
		}
		return nil
	})
	if err := echoVia(p.listenerAddr("dyn"), []byte("still v2")); err != nil {
		t.Fatalf("echo after the rejected version 3: %v", err)
	}
	// Version 2 sent no listener (nothing changed), so LDS is at 1.
	dump := configDump(t, p, "")
	if st := xdsStatus(t, dump); st["delta"] != true || statusVersion(st, resource.ListenerType) != "1" || statusVersion(st, resource.EndpointType) != "2" || st["last_error"] == "" {
		t.Errorf("/config_dump xDS status = %v, want delta, lds version 1, eds 2, a last error", st)
	}
	var dyn *adminv3.ListenersConfigDump_DynamicListener
	for _, l := range dumpConfig(t, dump, &adminv3.ListenersConfigDump{}).GetDynamicListeners() {
		if l.GetName() == "dyn" {
			dyn = l
		}
	}
	if dyn.GetActiveState() == nil || !strings.Contains(dyn.GetErrorState().GetDetails(), "mongo_proxy") {
		t.Errorf("/config_dump listener dyn = %v, want active with the rejected version's error_state", dyn)
	}

	// Version 4 has no listener: removed_resources takes "dyn" away.
	snap, err := cachev3.NewSnapshot("4", map[resource.Type][]types.Resource{
		resource.ClusterType: {e2eEDSCluster("app")}, resource.EndpointType: {e2eAssignment("app", echo2.Addr())},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.cache.SetSnapshot(context.Background(), adsNode, snap); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "listener dyn removed", func() error {
		if a := p.listenerAddr("dyn"); a != "" {
			return fmt.Errorf("still listening on %s", a)
		}
		return nil
	})
}
