package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	mongov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/mongo_proxy/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sidewire/sidewire/internal/testpeer"
)

const adsNode = "sidewire-e2e"

// adsServer is an in-process go-control-plane ADS server on 127.0.0.1.
type adsServer struct {
	t     *testing.T
	cache cachev3.SnapshotCache
	addr  string
}

func startADSServer(t *testing.T, opts ...grpc.ServerOption) *adsServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &adsServer{t: t, cache: cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil), addr: lis.Addr().String()}
	ctx, cancel := context.WithCancel(context.Background())
	gs := grpc.NewServer(opts...)
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, serverv3.NewServer(ctx, s.cache, nil))
	done := make(chan struct{})
	go func() { defer close(done); _ = gs.Serve(lis) }()
	t.Cleanup(func() { gs.Stop(); cancel(); <-done })
	return s
}

func (s *adsServer) set(version string, l *listenerv3.Listener, c *clusterv3.Cluster, la *endpointv3.ClusterLoadAssignment) {
	s.t.Helper()
	snap, err := cachev3.NewSnapshot(version, map[resource.Type][]types.Resource{
		resource.ListenerType: {l}, resource.ClusterType: {c}, resource.EndpointType: {la},
	})
	if err != nil {
		s.t.Fatalf("new snapshot: %v", err)
	}
	if err := s.cache.SetSnapshot(context.Background(), adsNode, snap); err != nil {
		s.t.Fatalf("set snapshot: %v", err)
	}
}

func e2eListener(t *testing.T, name string, cfg proto.Message) *listenerv3.Listener {
	a, err := anypb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.Listener{
		Name: name,
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: "127.0.0.1", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 0},
		}}},
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: "envoy.filters.network.tcp_proxy", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a},
		}}}},
	}
}

func e2eEDSCluster(name string) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		ConnectTimeout:       durationpb.New(time.Second),
		EdsClusterConfig: &clusterv3.Cluster_EdsClusterConfig{EdsConfig: &corev3.ConfigSource{
			ResourceApiVersion:    corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
		}},
	}
}

func e2eAssignment(name string, addr *net.TCPAddr) *endpointv3.ClusterLoadAssignment {
	return &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
		LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
				Address: addr.IP.String(), PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(addr.Port)},
			}}},
		}}}},
	}}}
}

func adsBootstrap(cpAddr string) string { return adsBootstrapAPI(cpAddr, "GRPC") }

// adsBootstrapAPI is adsBootstrap with the ads_config api_type given.
func adsBootstrapAPI(cpAddr, apiType string) string {
	host, port, _ := net.SplitHostPort(cpAddr)
	return fmt.Sprintf(`node: {id: %s, cluster: e2e}
admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
dynamic_resources:
  ads_config:
    api_type: %s
    transport_api_version: V3
    grpc_services:
    - envoy_grpc: {cluster_name: xds}
  lds_config: {ads: {}, resource_api_version: V3}
  cds_config: {ads: {}, resource_api_version: V3}
static_resources:
  clusters:
  - name: xds
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: xds
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: %s, port_value: %s}}}
`, adsNode, apiType, host, port)
}

// listenerAddr returns the bound address of the named listener, or "".
func (p *proc) listenerAddr(name string) string {
	p.t.Helper()
	code, body := p.get("/listeners?format=json")
	if code != 200 {
		p.t.Fatalf("/listeners: %d %s", code, body)
	}
	var out struct {
		Statuses []struct {
			Name    string `json:"name"`
			Address string `json:"local_address"`
		} `json:"listener_statuses"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		p.t.Fatalf("decode /listeners: %v: %s", err, body)
	}
	for _, l := range out.Statuses {
		if l.Name == name {
			return l.Address
		}
	}
	return ""
}

// echoVia round-trips payload through the listener and checks the echo.
func echoVia(addr string, payload []byte) error {
	got, err := roundTrip(addr, payload)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, payload) {
		return fmt.Errorf("echoed %q, sent %q", got, payload)
	}
	return nil
}

// exchange writes b on c and reads it back.
func exchange(c net.Conn, b []byte) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(b); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got := make([]byte, len(b))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if !bytes.Equal(got, b) {
		return fmt.Errorf("echoed %q, sent %q", got, b)
	}
	return nil
}

func TestADSDynamicListenerAndEndpoints(t *testing.T) {
	echo1, echo2 := testpeer.StartEcho(t), testpeer.StartEcho(t)
	cp := startADSServer(t)
	tcp := e2eListener(t, "dyn", &tcpproxyv3.TcpProxy{StatPrefix: "dyn", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "app"}})
	cp.set("1", tcp, e2eEDSCluster("app"), e2eAssignment("app", echo1.Addr()))
	p := startSidewire(t, adsBootstrap(cp.addr))

	// Version 1: the dynamic listener appears and reaches echo1.
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
	held, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := exchange(held, []byte("before")); err != nil {
		t.Fatalf("held connection before the change: %v", err)
	}

	// Version 2 moves app to echo2: new connections reach it within a
	// second, the held one still works.
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
	if err := exchange(held, []byte("after")); err != nil {
		t.Fatalf("held connection after the change: %v", err)
	}

	// Version 3 has a listener Sidewire cannot run: it is rejected and
	// version 2 keeps serving.
	mongo := e2eListener(t, "dyn", &mongov3.MongoProxy{StatPrefix: "m"})
	mongo.FilterChains[0].Filters[0].Name = "envoy.filters.network.mongo_proxy"
	cp.set("3", mongo, e2eEDSCluster("app"), e2eAssignment("app", echo2.Addr()))
	eventually(t, 30*time.Second, "listener_manager.lds.update_rejected", func() error {
		if n := p.stat("listener_manager.lds.update_rejected"); n < 1 {
			return fmt.Errorf("= %d", n)
		}
		return nil
	})
	before := echo2.Served()
	if err := echoVia(p.listenerAddr("dyn"), []byte("still v2")); err != nil {
		t.Fatalf("echo after the rejected version 3: %v", err)
	}
	if echo2.Served() != before+1 {
		t.Errorf("echo2 served %d connections, want %d", echo2.Served(), before+1)
	}
	if n := p.stat("listener_manager.lds.update_success"); n < 2 {
		t.Errorf("listener_manager.lds.update_success = %d, want >= 2", n)
	}
	if n := p.stat("cluster_manager.cds.update_success"); n < 2 {
		t.Errorf("cluster_manager.cds.update_success = %d, want >= 2", n)
	}
	_, prom := p.get("/stats/prometheus")
	for _, want := range []string{
		`sidewire_xds_updates_total\{result="rejected",type="lds"\} [1-9]`,
		`sidewire_xds_updates_total\{result="accepted",type="cds"\} [2-9]`,
		`sidewire_xds_stream_connects_total 1\n`,
	} {
		if !regexp.MustCompile(want).MatchString(prom) {
			t.Errorf("/stats/prometheus lacks %s:\n%s", want, prom)
		}
	}

	// /config_dump shows the accepted versions: LDS stays at 2; listener
	// dyn, the same in versions 1 and 2, is active at version 1 (as in
	// Envoy, an unchanged resource keeps its version) and carries version
	// 3's rejection.
	dump := configDump(t, p, "")
	st := xdsStatus(t, dump)
	if statusVersion(st, resource.ListenerType) != "2" || st["last_updated"] == nil || st["last_error"] == "" {
		t.Errorf("/config_dump xDS status = %v, want lds version 2, last_updated, a last error", st)
	}
	lds := dumpConfig(t, dump, &adminv3.ListenersConfigDump{})
	if ls := lds.GetDynamicListeners(); lds.GetVersionInfo() != "2" || len(ls) != 1 || ls[0].GetName() != "dyn" ||
		ls[0].GetActiveState().GetVersionInfo() != "1" || ls[0].GetErrorState().GetVersionInfo() != "3" {
		t.Errorf("/config_dump listeners = %v, want dyn active at 1 with version 3's error_state", lds)
	}
	if got := activeClusterNames(t, dump); len(got) != 1 || got[0] != "app" {
		t.Errorf("/config_dump dynamic active clusters = %v, want [app]", got)
	}

	// SIGHUP reloads the static part and keeps the dynamic one.
	static := adsBootstrap(cp.addr) + clusterYAML("first", "ROUND_ROBIN", "", echo1.Addr().String()) +
		"  listeners:" + tcpListenerYAML("static", "cluster: first")
	if err := os.WriteFile(p.cfg, []byte(static), 0o600); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGHUP)
	eventually(t, 30*time.Second, "static listener after SIGHUP", func() error {
		if p.listenerAddr("static") == "" {
			return fmt.Errorf("not in /listeners")
		}
		return nil
	})
	if err := echoVia(p.listenerAddr("static"), []byte("static")); err != nil {
		t.Errorf("echo through the reloaded static listener: %v", err)
	}
	if err := echoVia(p.listenerAddr("dyn"), []byte("dynamic")); err != nil {
		t.Errorf("echo through the dynamic listener after SIGHUP: %v", err)
	}
}
