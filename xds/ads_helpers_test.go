package xds

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

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
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/proxy/config"
)

const testNode = "sidewire-test"

// controlPlane is a go-control-plane ADS server on 127.0.0.1 that records
// the requests it receives, by stream.
type controlPlane struct {
	t     *testing.T
	cache cachev3.SnapshotCache
	// drds, when set, serves Dubbo route configurations (a type the
	// snapshot cache does not know) beside cache.
	drds *cachev3.LinearCache
	// rds, when set, serves HTTP route configurations beside cache, so a
	// test can change one without a new snapshot.
	rds    *cachev3.LinearCache
	addr   string
	srv    *grpc.Server
	done   chan struct{}
	cancel context.CancelFunc

	mu    sync.Mutex
	reqs  []streamRequest
	dreqs []deltaRequest
	dress []deltaResponse
}

type streamRequest struct {
	stream int64
	req    *discoveryv3.DiscoveryRequest
}

type deltaRequest struct {
	stream int64
	req    *discoveryv3.DeltaDiscoveryRequest
}

type deltaResponse struct {
	stream int64
	res    *discoveryv3.DeltaDiscoveryResponse
}

func newControlPlane(t *testing.T) *controlPlane {
	cp := &controlPlane{t: t, cache: cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil)}
	cp.start("127.0.0.1:0")
	t.Cleanup(cp.stop)
	return cp
}

// start serves on addr; a restart passes the previous address.
func (cp *controlPlane) start(addr string) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		cp.t.Fatalf("listen: %v", err)
	}
	cp.addr = lis.Addr().String()
	cp.mu.Lock()
	cp.reqs, cp.dreqs, cp.dress = nil, nil, nil // stream ids restart at 1 with a new server
	cp.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cp.cancel = cancel
	cb := serverv3.CallbackFuncs{
		StreamRequestFunc: func(id int64, r *discoveryv3.DiscoveryRequest) error {
			cp.mu.Lock()
			defer cp.mu.Unlock()
			cp.reqs = append(cp.reqs, streamRequest{stream: id, req: r})
			return nil
		},
		StreamDeltaRequestFunc: func(id int64, r *discoveryv3.DeltaDiscoveryRequest) error {
			cp.mu.Lock()
			defer cp.mu.Unlock()
			cp.dreqs = append(cp.dreqs, deltaRequest{stream: id, req: proto.Clone(r).(*discoveryv3.DeltaDiscoveryRequest)})
			return nil
		},
		StreamDeltaResponseFunc: func(id int64, _ *discoveryv3.DeltaDiscoveryRequest, r *discoveryv3.DeltaDiscoveryResponse) {
			cp.mu.Lock()
			defer cp.mu.Unlock()
			cp.dress = append(cp.dress, deltaResponse{stream: id, res: proto.Clone(r).(*discoveryv3.DeltaDiscoveryResponse)})
		},
	}
	cp.srv = grpc.NewServer()
	var cache cachev3.Cache = cp.cache
	if cp.drds != nil || cp.rds != nil {
		caches := map[string]cachev3.Cache{"snapshot": cp.cache}
		if cp.drds != nil {
			caches[DubboRouteTypeURL] = cp.drds
		}
		if cp.rds != nil {
			caches[RouteTypeURL] = cp.rds
		}
		pick := func(typ string) string {
			if caches[typ] != nil {
				return typ
			}
			return "snapshot"
		}
		cache = &cachev3.MuxCache{
			Classify:      func(r *cachev3.Request) string { return pick(r.GetTypeUrl()) },
			ClassifyDelta: func(r *cachev3.DeltaRequest) string { return pick(r.GetTypeUrl()) },
			Caches:        caches,
		}
	}
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(cp.srv, serverv3.NewServer(ctx, cache, cb))
	cp.done = make(chan struct{})
	go func(srv *grpc.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(lis)
	}(cp.srv, cp.done)
}

// stop ends every stream and the server; it may be called twice.
func (cp *controlPlane) stop() {
	if cp.srv == nil {
		return
	}
	cp.srv.Stop()
	cp.cancel()
	<-cp.done
	cp.srv = nil
}

// set publishes a snapshot to the test node.
func (cp *controlPlane) set(version string, ls []*listenerv3.Listener, cs []*clusterv3.Cluster, las []*endpointv3.ClusterLoadAssignment) {
	cp.t.Helper()
	res := map[resource.Type][]types.Resource{}
	for _, l := range ls {
		res[resource.ListenerType] = append(res[resource.ListenerType], l)
	}
	for _, c := range cs {
		res[resource.ClusterType] = append(res[resource.ClusterType], c)
	}
	for _, la := range las {
		res[resource.EndpointType] = append(res[resource.EndpointType], la)
	}
	snap, err := cachev3.NewSnapshot(version, res)
	if err != nil {
		cp.t.Fatalf("new snapshot: %v", err)
	}
	if err := cp.cache.SetSnapshot(context.Background(), testNode, snap); err != nil {
		cp.t.Fatalf("set snapshot: %v", err)
	}
}

// waitRequest waits for a request matching ok and returns it.
func (cp *controlPlane) waitRequest(what string, ok func(streamRequest) bool) streamRequest {
	cp.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		cp.mu.Lock()
		for _, r := range cp.reqs {
			if ok(r) {
				cp.mu.Unlock()
				return r
			}
		}
		cp.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	cp.t.Fatalf("control plane never received %s", what)
	return streamRequest{}
}

// waitDelta waits for a delta request matching ok and returns it.
func (cp *controlPlane) waitDelta(what string, ok func(deltaRequest) bool) deltaRequest {
	cp.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		cp.mu.Lock()
		for _, r := range cp.dreqs {
			if ok(r) {
				cp.mu.Unlock()
				return r
			}
		}
		cp.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	cp.t.Fatalf("control plane never received %s", what)
	return deltaRequest{}
}

// deltaResponses returns the delta responses sent so far.
func (cp *controlPlane) deltaResponses() []deltaResponse {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]deltaResponse(nil), cp.dress...)
}

// sotwRequests returns the SotW requests received so far.
func (cp *controlPlane) sotwRequests() []streamRequest {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]streamRequest(nil), cp.reqs...)
}

// waitDeltaACK waits for a delta ACK (a nonce, no error) of typ on stream
// (any stream when 0) whose nonce is that of a response carrying ok.
func (cp *controlPlane) waitDeltaACK(typ string, ok func(*discoveryv3.DeltaDiscoveryResponse) bool) deltaRequest {
	cp.t.Helper()
	return cp.waitDelta("delta ACK of "+typ, func(r deltaRequest) bool {
		if r.req.GetTypeUrl() != typ || r.req.GetResponseNonce() == "" || r.req.GetErrorDetail() != nil {
			return false
		}
		for _, res := range cp.dress {
			if res.stream == r.stream && res.res.GetNonce() == r.req.GetResponseNonce() && res.res.GetTypeUrl() == typ && ok(res.res) {
				return true
			}
		}
		return false
	})
}

// waitACK waits for an ACK of version of typ.
func (cp *controlPlane) waitACK(typ, version string) streamRequest {
	cp.t.Helper()
	return cp.waitRequest("ACK of "+typ+" "+version, func(r streamRequest) bool {
		return r.req.GetTypeUrl() == typ && r.req.GetVersionInfo() == version && r.req.GetResponseNonce() != "" && r.req.GetErrorDetail() == nil
	})
}

// recorder is an Applier that keeps every update; fail, when set, rejects.
type recorder struct {
	mu      sync.Mutex
	updates []*Update
}

func (r *recorder) ApplyXDS(u *Update) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, u)
	return nil
}

func (r *recorder) all() []*Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Update(nil), r.updates...)
}

// wait waits for an update matching ok.
func (r *recorder) wait(t *testing.T, what string, ok func(*Update) bool) *Update {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, u := range r.all() {
			if ok(u) {
				return u
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no update %s; got %d updates", what, len(r.all()))
	return nil
}

// runClient starts an ADS client against cp and returns a stop function
// that cancels it and checks Run returns promptly.
// Options, when given, adjust the client's config (cp may be nil when
// they clear the target).
func runClient(t *testing.T, cp *controlPlane, a Applier, opts ...func(*ADSConfig)) (*ADSClient, func()) {
	t.Helper()
	cfg := ADSConfig{
		Node:         config.Node{ID: testNode, Cluster: "test"},
		Backoff:      Backoff{Base: 10 * time.Millisecond, Max: 100 * time.Millisecond},
		Logger:       slog.New(slog.DiscardHandler),
		PollInterval: 20 * time.Millisecond,
	}
	if cp != nil {
		cfg.Target = cp.addr
	}
	for _, o := range opts {
		o(&cfg)
	}
	c := NewADSClient(cfg, a)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return within 5s of cancel")
		}
	}
	t.Cleanup(stop)
	return c, stop
}

func startTest(t *testing.T) *controlPlane {
	leakcheck.Check(t)
	return newControlPlane(t)
}

func tcpListener(t *testing.T, name string, port uint32, cluster string) *listenerv3.Listener {
	l := listenerWith(t, &tcpproxyv3.TcpProxy{StatPrefix: name, ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: cluster}})
	l.Name = name
	l.Address = socketAddr("127.0.0.1", port)
	return l
}

func mongoListener(t *testing.T, name string, port uint32) *listenerv3.Listener {
	l := listenerWith(t, &mongov3.MongoProxy{StatPrefix: "m"})
	l.Name = name
	l.Address = socketAddr("127.0.0.1", port)
	return l
}

func edsCluster(name string) *clusterv3.Cluster {
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

func assignment(name string, ports ...uint32) *endpointv3.ClusterLoadAssignment {
	var eps []*endpointv3.LbEndpoint
	for _, p := range ports {
		eps = append(eps, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
			Endpoint: &endpointv3.Endpoint{Address: socketAddr("127.0.0.1", p)},
		}})
	}
	return &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: eps}}}
}

// names returns the names of clusters in u.
func clusterNames(u *Update) []string {
	var out []string
	for _, c := range u.Clusters {
		out = append(out, c.Name)
	}
	return out
}
