package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	dubbov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/xds"
)

// drdsServer is an ADS server whose Dubbo route configurations (a type
// the snapshot cache does not know) come from a linear cache.
type drdsServer struct {
	adsServer
	routes *cachev3.LinearCache
}

func startDRDSServer(t *testing.T) *drdsServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &drdsServer{
		adsServer: adsServer{t: t, cache: cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil), addr: lis.Addr().String()},
		routes:    cachev3.NewLinearCache(xds.DubboRouteTypeURL),
	}
	pick := func(typ string) string {
		if typ == xds.DubboRouteTypeURL {
			return "drds"
		}
		return "snapshot"
	}
	mux := &cachev3.MuxCache{
		Classify:      func(r *cachev3.Request) string { return pick(r.GetTypeUrl()) },
		ClassifyDelta: func(r *cachev3.DeltaRequest) string { return pick(r.GetTypeUrl()) },
		Caches:        map[string]cachev3.Cache{"snapshot": s.cache, "drds": s.routes},
	}
	ctx, cancel := context.WithCancel(context.Background())
	gs := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, serverv3.NewServer(ctx, mux, nil))
	done := make(chan struct{})
	go func() { defer close(done); _ = gs.Serve(lis) }()
	t.Cleanup(func() { gs.Stop(); cancel(); <-done })
	return s
}

// setAll publishes a listener and clusters with their assignments.
func (s *drdsServer) setAll(version string, l *listenerv3.Listener, cs []*clusterv3.Cluster, las []*endpointv3.ClusterLoadAssignment) {
	s.t.Helper()
	res := map[resource.Type][]types.Resource{resource.ListenerType: {l}}
	for _, c := range cs {
		res[resource.ClusterType] = append(res[resource.ClusterType], c)
	}
	for _, la := range las {
		res[resource.EndpointType] = append(res[resource.EndpointType], la)
	}
	snap, err := cachev3.NewSnapshot(version, res)
	if err != nil {
		s.t.Fatalf("new snapshot: %v", err)
	}
	if err := s.cache.SetSnapshot(context.Background(), adsNode, snap); err != nil {
		s.t.Fatalf("set snapshot: %v", err)
	}
}

// route publishes the route configuration "greeter-routes", sending
// every Greeter request to cluster.
func (s *drdsServer) route(cluster string) {
	s.t.Helper()
	err := s.routes.UpdateResource("greeter-routes", &dubbov3.MultipleRouteConfiguration{
		Name: "greeter-routes",
		RouteConfig: []*dubbov3.RouteConfiguration{{
			Interface: "org.example.Greeter",
			Routes: []*dubbov3.Route{{
				Match: &dubbov3.RouteMatch{Method: &dubbov3.MethodMatch{}},
				Route: &dubbov3.RouteAction{ClusterSpecifier: &dubbov3.RouteAction_Cluster{Cluster: cluster}},
			}},
		}},
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

func tcpAddr(t *testing.T, addr string) *net.TCPAddr {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDubboRDSOverADS runs the binary with a dubbo_proxy listener whose
// routes come over ADS (drds), SotW and delta: the listener waits for its
// route configuration, a new version routes the next request on the same
// connection, and an invalid one is rejected while the last good one
// keeps routing.
func TestDubboRDSOverADS(t *testing.T) {
	for _, api := range []string{"GRPC", "DELTA_GRPC"} {
		t.Run(api, func(t *testing.T) {
			blue, green := testpeer.StartDubbo(t, "blue"), testpeer.StartDubbo(t, "green")
			cp := startDRDSServer(t)
			l := e2eListener(t, "dubbo", &dubbov3.DubboProxy{
				StatPrefix: "rds",
				RouteSpecifier: &dubbov3.DubboProxy_Drds{Drds: &dubbov3.Drds{
					RouteConfigName: "greeter-routes",
					ConfigSource:    &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
				}},
			})
			l.FilterChains[0].Filters[0].Name = "envoy.filters.network.dubbo_proxy"
			cp.setAll("1", l,
				[]*clusterv3.Cluster{e2eEDSCluster("blue"), e2eEDSCluster("green")},
				[]*endpointv3.ClusterLoadAssignment{e2eAssignment("blue", tcpAddr(t, blue.Addr())), e2eAssignment("green", tcpAddr(t, green.Addr()))})
			p := startSidewire(t, adsBootstrapAPI(cp.addr, api))

			// The listener warms until its route configuration arrives.
			time.Sleep(300 * time.Millisecond)
			if addr := p.listenerAddr("dubbo"); addr != "" {
				t.Fatalf("listener dubbo serves at %s before its route configuration arrived", addr)
			}
			cp.route("blue")
			var addr string
			eventually(t, 30*time.Second, "listener dubbo", func() error {
				if addr = p.listenerAddr("dubbo"); addr == "" {
					return fmt.Errorf("not in /listeners")
				}
				return nil
			})
			c, err := testpeer.DialDubbo(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			answeredBy := func() (string, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				r, err := c.Call(ctx, testpeer.DubboCall{Service: "org.example.Greeter", Method: "sayHi", Args: []any{"x"}})
				if err != nil {
					return "", err
				}
				if r.Status != dubbo.StatusOK {
					return "", fmt.Errorf("status %d: %s", r.Status, r.Value)
				}
				name, _, _ := strings.Cut(r.Value, "|")
				return name, nil
			}
			if got, err := answeredBy(); err != nil || got != "blue" {
				t.Fatalf("first routes: answered by %q, %v; want blue", got, err)
			}

			// Version 2 routes to green: the same connection follows.
			cp.route("green")
			eventually(t, 10*time.Second, "requests reach green", func() error {
				got, err := answeredBy()
				if err == nil && got != "green" {
					err = fmt.Errorf("answered by %s", got)
				}
				return err
			})
			if p.listenerAddr("dubbo") != addr {
				t.Fatal("the listener was rebuilt for a route change")
			}

			// Version 3 routes to a cluster that does not exist: rejected,
			// green keeps answering.
			cp.route("nowhere")
			eventually(t, 10*time.Second, "rejection logged", func() error {
				if !p.hasLog("xds update rejected", "unknown cluster", "nowhere") {
					return fmt.Errorf("not logged yet")
				}
				return nil
			})
			if got, err := answeredBy(); err != nil || got != "green" {
				t.Fatalf("after the rejected routes: answered by %q, %v; want green", got, err)
			}
		})
	}
}
