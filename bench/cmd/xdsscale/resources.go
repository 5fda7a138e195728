package main

import (
	"fmt"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// scale is the size of the generated configuration.
type scale struct {
	Clusters, EndpointsPerCluster, Listeners int
	// Changed is how many assignments the "eds-n" update changes.
	Changed int
	// EDSCache is how the control plane serves assignments: "snapshot"
	// (every assignment in every response) or "linear" (the changed ones).
	EDSCache string
}

// Port numbers of generated endpoints: the base snapshot uses basePort,
// every update step moves the endpoints it changes to the next port.
const basePort = 8000

// The pushes the benchmark makes, in order, after the full snapshot.
const (
	stepFull = "full"  // every listener, cluster and assignment
	stepEDSN = "eds-n" // Changed assignments get new endpoint ports
	stepEDS1 = "eds-1" // one assignment gets new endpoint ports
	stepCDS1 = "cds-1" // one cluster gets a new connect_timeout
)

var steps = []string{stepFull, stepEDSN, stepEDS1, stepCDS1}

func clusterName(i int) string  { return fmt.Sprintf("c%05d", i) }
func listenerName(i int) string { return fmt.Sprintf("l%04d", i) }

// listenerCluster is the cluster listener i proxies to: listeners are
// spread evenly over the clusters.
func listenerCluster(sc scale, i int) string {
	return clusterName(i * sc.Clusters / sc.Listeners)
}

// changedClusters are the clusters whose assignments stepEDSN changes:
// spread evenly over the clusters.
func changedClusters(sc scale) []int {
	n := min(sc.Changed, sc.Clusters)
	out := make([]int, n)
	for k := range out {
		out[k] = k * sc.Clusters / n
	}
	return out
}

// eds1Cluster and cds1Cluster are the clusters stepEDS1 and stepCDS1
// change: the last one, which stepEDSN leaves alone when it can.
func eds1Cluster(sc scale) int { return sc.Clusters - 1 }
func cds1Cluster(sc scale) int { return sc.Clusters - 1 }

// cds1Timeout is the connect_timeout stepCDS1 gives cds1Cluster.
const cds1Timeout = 2500 * time.Millisecond

func edsCluster(name string, timeout time.Duration) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		ConnectTimeout:       durationpb.New(timeout),
		EdsClusterConfig: &clusterv3.Cluster_EdsClusterConfig{EdsConfig: &corev3.ConfigSource{
			ResourceApiVersion:    corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
		}},
	}
}

func socketAddr(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

// endpointIP is the address of endpoint j of cluster i: 10.0.0.0/8 is
// never dialled (the clusters have no health checks).
func endpointIP(i, j, perCluster int) string {
	n := i*perCluster + j + 1
	return fmt.Sprintf("10.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff)
}

func assignment(i, perCluster int, port uint32) *endpointv3.ClusterLoadAssignment {
	eps := make([]*endpointv3.LbEndpoint, perCluster)
	for j := range eps {
		eps[j] = &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
			Endpoint: &endpointv3.Endpoint{Address: socketAddr(endpointIP(i, j, perCluster), port)},
		}}
	}
	return &endpointv3.ClusterLoadAssignment{
		ClusterName: clusterName(i),
		Endpoints:   []*endpointv3.LocalityLbEndpoints{{LbEndpoints: eps}},
	}
}

// tcpListener listens on 127.0.0.1 port 0: each gets an ephemeral port.
func tcpListener(name, cluster string) (*listenerv3.Listener, error) {
	cfg, err := anypb.New(&tcpproxyv3.TcpProxy{StatPrefix: name, ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: cluster}})
	if err != nil {
		return nil, fmt.Errorf("marshal tcp_proxy: %w", err)
	}
	return &listenerv3.Listener{
		Name:    name,
		Address: socketAddr("127.0.0.1", 0),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: "envoy.filters.network.tcp_proxy", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: cfg},
		}}}},
	}, nil
}

// buildSnapshots returns the snapshot of every step. Each step changes
// only its own type's version, so a state-of-the-world server resends
// only that type; delta version maps are computed here, before any push,
// so a push measures the client rather than the server's hashing.
func buildSnapshots(sc scale) (map[string]*cachev3.Snapshot, error) {
	if sc.Clusters < 1 || sc.Listeners < 1 || sc.EndpointsPerCluster < 1 || sc.Changed < 1 {
		return nil, fmt.Errorf("build snapshots: clusters, listeners, endpoints per cluster and changed must be at least 1")
	}
	if sc.Listeners > sc.Clusters {
		return nil, fmt.Errorf("build snapshots: %d listeners need at least as many clusters (have %d)", sc.Listeners, sc.Clusters)
	}
	if sc.Clusters*sc.EndpointsPerCluster >= 1<<24 {
		return nil, fmt.Errorf("build snapshots: %d endpoints do not fit in 10.0.0.0/8", sc.Clusters*sc.EndpointsPerCluster)
	}
	ls := make([]types.Resource, sc.Listeners)
	for i := range ls {
		l, err := tcpListener(listenerName(i), listenerCluster(sc, i))
		if err != nil {
			return nil, fmt.Errorf("build snapshots: %w", err)
		}
		ls[i] = l
	}
	cs := make([]types.Resource, sc.Clusters)
	las := make([]types.Resource, sc.Clusters)
	for i := range cs {
		cs[i] = edsCluster(clusterName(i), time.Second)
		las[i] = assignment(i, sc.EndpointsPerCluster, basePort)
	}
	out := map[string]*cachev3.Snapshot{}
	snap := func(lv, cv, ev string, ls, cs, las []types.Resource) *cachev3.Snapshot {
		s := &cachev3.Snapshot{}
		s.Resources[types.Listener] = cachev3.NewResources(lv, ls)
		s.Resources[types.Cluster] = cachev3.NewResources(cv, cs)
		s.Resources[types.Endpoint] = cachev3.NewResources(ev, las)
		return s
	}
	out[stepFull] = snap("1", "1", "1", ls, cs, las)

	lasN := append([]types.Resource(nil), las...)
	for _, i := range changedClusters(sc) {
		lasN[i] = assignment(i, sc.EndpointsPerCluster, basePort+1)
	}
	out[stepEDSN] = snap("1", "1", "2", ls, cs, lasN)

	las1 := append([]types.Resource(nil), lasN...)
	i := eds1Cluster(sc)
	las1[i] = assignment(i, sc.EndpointsPerCluster, basePort+2)
	out[stepEDS1] = snap("1", "1", "3", ls, cs, las1)

	cs1 := append([]types.Resource(nil), cs...)
	cs1[cds1Cluster(sc)] = edsCluster(clusterName(cds1Cluster(sc)), cds1Timeout)
	out[stepCDS1] = snap("1", "2", "3", ls, cs1, las1)

	for name, s := range out {
		if err := s.Consistent(); err != nil {
			return nil, fmt.Errorf("build snapshot %s: %w", name, err)
		}
		if err := s.ConstructVersionMap(); err != nil {
			return nil, fmt.Errorf("build snapshot %s: %w", name, err)
		}
	}
	return out, nil
}
