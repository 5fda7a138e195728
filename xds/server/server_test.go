package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	rsrc "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

// running is a Server serving on a loopback port.
type running struct {
	srv    *Server
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func startServer(t *testing.T, opts Options) *running {
	t.Helper()
	opts.PollInterval = 20 * time.Millisecond
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv, addr: lis.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		r.done <- nil // let a second stop return at once
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10s of cancel")
	}
}

func dial(t *testing.T, addr string) discoveryv3.AggregatedDiscoveryServiceClient {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return discoveryv3.NewAggregatedDiscoveryServiceClient(cc)
}

// sotw is a state-of-the-world ADS stream with a reader goroutine.
type sotw struct {
	t      *testing.T
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node   *corev3.Node
	resps  chan *discoveryv3.DiscoveryResponse
	err    chan error
}

func openSotW(t *testing.T, c discoveryv3.AggregatedDiscoveryServiceClient, node string) *sotw {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := c.StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := &sotw{t: t, stream: st, node: &corev3.Node{Id: node}, resps: make(chan *discoveryv3.DiscoveryResponse, 16), err: make(chan error, 1)}
	go func() {
		for {
			r, err := st.Recv()
			if err != nil {
				s.err <- err
				return
			}
			s.resps <- r
		}
	}()
	return s
}

// request sends a request; the node goes on the first one only, as
// Envoy does.
func (s *sotw) request(typeURL string, names []string, ack *discoveryv3.DiscoveryResponse) {
	s.t.Helper()
	req := &discoveryv3.DiscoveryRequest{Node: s.node, TypeUrl: typeURL, ResourceNames: names}
	s.node = nil
	if ack != nil {
		req.VersionInfo, req.ResponseNonce = ack.GetVersionInfo(), ack.GetNonce()
	}
	if err := s.stream.Send(req); err != nil {
		s.t.Fatalf("send %s: %v", typeURL, err)
	}
}

func (s *sotw) recv(within time.Duration) *discoveryv3.DiscoveryResponse {
	s.t.Helper()
	select {
	case r := <-s.resps:
		return r
	case err := <-s.err:
		s.t.Fatalf("stream failed: %v", err)
	case <-time.After(within):
		s.t.Fatalf("no response within %v", within)
	}
	return nil
}

// quiet fails when a response arrives within d.
func (s *sotw) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case r := <-s.resps:
		s.t.Fatalf("unexpected %s response version %s", r.GetTypeUrl(), r.GetVersionInfo())
	case <-time.After(d):
	}
}

func endpointPort(t *testing.T, a *anypb.Any) uint32 {
	t.Helper()
	var la endpointv3.ClusterLoadAssignment
	if err := a.UnmarshalTo(&la); err != nil {
		t.Fatalf("decode assignment: %v", err)
	}
	return la.GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()
}

func TestServeStateOfTheWorld(t *testing.T) {
	dir := goodDir(t, 7001)
	r := startServer(t, Options{Dir: dir})
	s := openSotW(t, dial(t, r.addr), "n1")

	s.request(rsrc.ListenerType, nil, nil)
	lds := s.recv(5 * time.Second)
	if lds.GetTypeUrl() != rsrc.ListenerType || len(lds.GetResources()) != 1 {
		t.Fatalf("LDS response: %s with %d resources, want 1 listener", lds.GetTypeUrl(), len(lds.GetResources()))
	}
	s.request(rsrc.ListenerType, nil, lds)
	s.request(rsrc.ClusterType, nil, nil)
	cds := s.recv(5 * time.Second)
	if cds.GetTypeUrl() != rsrc.ClusterType || len(cds.GetResources()) != 1 {
		t.Fatalf("CDS response: %s with %d resources, want 1 cluster", cds.GetTypeUrl(), len(cds.GetResources()))
	}
	s.request(rsrc.ClusterType, nil, cds)
	s.request(rsrc.EndpointType, []string{"app"}, nil)
	eds := s.recv(5 * time.Second)
	if eds.GetTypeUrl() != rsrc.EndpointType || len(eds.GetResources()) != 1 || endpointPort(t, eds.GetResources()[0]) != 7001 {
		t.Fatalf("EDS response: %v", eds)
	}
	s.request(rsrc.EndpointType, []string{"app"}, eds)
	if got := r.srv.Status().Connected; len(got) != 1 || got[0] != "n1" {
		t.Errorf("Status().Connected = %v, want [n1]", got)
	}

	// Endpoints change: only EDS is sent again, with a new version.
	writeFile(t, dir, "endpoints.yaml", endpointsYAML(7002))
	eds2 := s.recv(5 * time.Second)
	if eds2.GetTypeUrl() != rsrc.EndpointType || endpointPort(t, eds2.GetResources()[0]) != 7002 || eds2.GetVersionInfo() == eds.GetVersionInfo() {
		t.Fatalf("after the change: %s version %s (was %s), want EDS with port 7002 and a new version",
			eds2.GetTypeUrl(), eds2.GetVersionInfo(), eds.GetVersionInfo())
	}
	s.request(rsrc.EndpointType, []string{"app"}, eds2)
	s.quiet(200 * time.Millisecond)

	// A bad file is refused once; nothing is sent; the last good stays.
	gen := r.srv.Status().Generation
	writeFile(t, dir, "bad.yaml", strings.Replace(clustersYAML, "connect_timeout: 1s", "connect_timeout: soon", 1))
	eventually(t, "the bad file is reported", func() bool { return r.srv.Status().Rejected == 1 })
	s.quiet(200 * time.Millisecond)
	st := r.srv.Status()
	if st.Rejected != 1 || st.Generation != gen || !strings.Contains(st.LastError, "bad.yaml: resources[0]") {
		t.Errorf("after a bad file: rejected %d (want 1, reported once), generation %d (want %d), last error %q (want it to name bad.yaml: resources[0])",
			st.Rejected, st.Generation, gen, st.LastError)
	}

	// Removing the listener file removes the listener (state of the world).
	if err := os.Remove(filepath.Join(dir, "bad.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "listeners.yaml")); err != nil {
		t.Fatal(err)
	}
	lds2 := s.recv(5 * time.Second)
	if lds2.GetTypeUrl() != rsrc.ListenerType || len(lds2.GetResources()) != 0 {
		t.Fatalf("after removing listeners.yaml: %s with %d resources, want an empty LDS response", lds2.GetTypeUrl(), len(lds2.GetResources()))
	}
	if st := r.srv.Status(); st.Generation != gen+1 || st.LastError != "" {
		t.Errorf("after the fix: generation %d (want %d), last error %q (want none)", st.Generation, gen+1, st.LastError)
	}
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after 5s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// delta is an incremental ADS stream with a reader goroutine.
type delta struct {
	t      *testing.T
	stream discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	node   *corev3.Node
	resps  chan *discoveryv3.DeltaDiscoveryResponse
	err    chan error
}

func openDelta(t *testing.T, c discoveryv3.AggregatedDiscoveryServiceClient, node string) *delta {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := c.DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := &delta{t: t, stream: st, node: &corev3.Node{Id: node}, resps: make(chan *discoveryv3.DeltaDiscoveryResponse, 16), err: make(chan error, 1)}
	go func() {
		for {
			r, err := st.Recv()
			if err != nil {
				d.err <- err
				return
			}
			d.resps <- r
		}
	}()
	return d
}

func (d *delta) send(req *discoveryv3.DeltaDiscoveryRequest) {
	d.t.Helper()
	req.Node, d.node = d.node, nil
	if err := d.stream.Send(req); err != nil {
		d.t.Fatalf("send: %v", err)
	}
}

func (d *delta) recv() *discoveryv3.DeltaDiscoveryResponse {
	d.t.Helper()
	select {
	case r := <-d.resps:
		d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: r.GetTypeUrl(), ResponseNonce: r.GetNonce()}) // ACK
		return r
	case err := <-d.err:
		d.t.Fatalf("delta stream failed: %v", err)
	case <-time.After(5 * time.Second):
		d.t.Fatal("no delta response within 5s")
	}
	return nil
}

func TestServeDelta(t *testing.T) {
	dir := goodDir(t, 7001)
	writeFile(t, dir, "nodes/edge-1/endpoints.yaml", endpointsYAML(7009))
	r := startServer(t, Options{Dir: dir})
	d := openDelta(t, dial(t, r.addr), "edge-1")

	d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: rsrc.ListenerType})
	lds := d.recv()
	if lds.GetTypeUrl() != rsrc.ListenerType || len(lds.GetResources()) != 1 || lds.GetResources()[0].GetName() != "edge" {
		t.Fatalf("delta LDS: %v", lds)
	}
	d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: rsrc.EndpointType, ResourceNamesSubscribe: []string{"app"}})
	eds := d.recv()
	if eds.GetTypeUrl() != rsrc.EndpointType || len(eds.GetResources()) != 1 || endpointPort(t, eds.GetResources()[0].GetResource()) != 7009 {
		t.Fatalf("delta EDS for edge-1: %v, want its override (port 7009)", eds)
	}

	// The override changes: only that resource is sent.
	writeFile(t, dir, "nodes/edge-1/endpoints.yaml", endpointsYAML(7010))
	eds2 := d.recv()
	if eds2.GetTypeUrl() != rsrc.EndpointType || len(eds2.GetResources()) != 1 || endpointPort(t, eds2.GetResources()[0].GetResource()) != 7010 {
		t.Fatalf("delta EDS after the change: %v, want port 7010", eds2)
	}

	// Removing the listener file sends its name as removed.
	if err := os.Remove(filepath.Join(dir, "listeners.yaml")); err != nil {
		t.Fatal(err)
	}
	lds2 := d.recv()
	if lds2.GetTypeUrl() != rsrc.ListenerType || len(lds2.GetResources()) != 0 || strings.Join(lds2.GetRemovedResources(), ",") != "edge" {
		t.Fatalf("delta LDS after removing listeners.yaml: %v, want edge removed", lds2)
	}
}

func TestServeRefusesNodes(t *testing.T) {
	r := startServer(t, Options{Dir: goodDir(t, 7001), Nodes: []string{"allowed"}})
	c := dial(t, r.addr)
	for _, tc := range []struct {
		node string
		code codes.Code
	}{{"intruder", codes.PermissionDenied}, {"", codes.InvalidArgument}} {
		s := openSotW(t, c, tc.node)
		if tc.node == "" {
			s.node = nil
		}
		s.request(rsrc.ListenerType, nil, nil)
		select {
		case err := <-s.err:
			if status.Code(err) != tc.code {
				t.Errorf("node %q: stream ended with %v, want %v", tc.node, err, tc.code)
			}
		case r := <-s.resps:
			t.Errorf("node %q was served %s", tc.node, r.GetTypeUrl())
		case <-time.After(5 * time.Second):
			t.Errorf("node %q: stream neither failed nor answered", tc.node)
		}
	}
	s := openSotW(t, c, "allowed")
	s.request(rsrc.ListenerType, nil, nil)
	if lds := s.recv(5 * time.Second); len(lds.GetResources()) != 1 {
		t.Errorf("allowed node got %d listeners, want 1", len(lds.GetResources()))
	}
}

// TestServeStops checks that cancelling Serve ends open streams, returns
// promptly and leaves no goroutines behind.
func TestServeStops(t *testing.T) {
	before := runtime.NumGoroutine()
	r := startServer(t, Options{Dir: goodDir(t, 7001)})
	cc, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	s := openSotW(t, discoveryv3.NewAggregatedDiscoveryServiceClient(cc), "n1")
	s.request(rsrc.ListenerType, nil, nil)
	s.recv(5 * time.Second)
	start := time.Now()
	r.stop(t)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stop took %v with an open stream", d)
	}
	select {
	case err := <-s.err:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Errorf("stream ended with %v, want the server's end of stream", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the open stream did not end")
	}
	cc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) { // +2: the test's stream reader and timers
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after stop, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestNewRefusesBadDirectory(t *testing.T) {
	dir := goodDir(t, 7001)
	writeFile(t, dir, "endpoints.yaml", "resources: {}")
	_, err := New(Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != "endpoints.yaml" {
		t.Fatalf("New: %v, want a *FileError for endpoints.yaml", err)
	}
}

// TestServeCountsNACKs checks that a client's rejection (a request with
// error_detail) is counted, over state of the world and delta.
func TestServeCountsNACKs(t *testing.T) {
	r := startServer(t, Options{Dir: goodDir(t, 7001)})
	c := dial(t, r.addr)
	s := openSotW(t, c, "n1")
	s.request(rsrc.ListenerType, nil, nil)
	lds := s.recv(5 * time.Second)
	nack := &discoveryv3.DiscoveryRequest{TypeUrl: rsrc.ListenerType, ResponseNonce: lds.GetNonce(),
		ErrorDetail: &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: "listener edge: no"}}
	if err := s.stream.Send(nack); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the SotW NACK is counted", func() bool { return r.srv.Status().NACKs == 1 })

	d := openDelta(t, c, "n2")
	d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: rsrc.ClusterType})
	select {
	case cds := <-d.resps:
		d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: rsrc.ClusterType, ResponseNonce: cds.GetNonce(),
			ErrorDetail: &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: "cluster app: no"}})
	case <-time.After(5 * time.Second):
		t.Fatal("no delta CDS response")
	}
	eventually(t, "the delta NACK is counted", func() bool { return r.srv.Status().NACKs == 2 })
}

// TestServeListenerFailure checks that Serve returns, watcher stopped,
// when its listener fails, and that a second Serve is refused.
func TestServeListenerFailure(t *testing.T) {
	srv, err := New(Options{Dir: goodDir(t, 7001), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis.Close()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), lis) }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Serve on a closed listener returned nil")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve on a closed listener did not return")
	}
	lis2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(context.Background(), lis2); err == nil || !strings.Contains(err.Error(), "already serving") {
		t.Errorf("second Serve: %v, want already serving", err)
	}
}
