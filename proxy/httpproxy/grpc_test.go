package httpproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/sidewire/sidewire/proxy/config"
)

// testService is grpc-go's interop TestService, enough of it for the
// proxy's tests: unary, server streaming and full duplex calls that echo
// and answer with the status they are asked for.
type testService struct {
	testgrpc.UnimplementedTestServiceServer
	emptyCalls atomic.Int64
}

func (s *testService) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	if s.emptyCalls.Add(1) == 1 {
		return nil, status.Error(codes.Unavailable, "warming up")
	}
	return &testgrpc.Empty{}, nil
}

func (s *testService) UnaryCall(_ context.Context, in *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	if st := in.GetResponseStatus(); st != nil && st.Code != 0 {
		return nil, status.Error(codes.Code(st.Code), st.Message)
	}
	return &testgrpc.SimpleResponse{Payload: in.GetPayload()}, nil
}

func (s *testService) StreamingOutputCall(in *testgrpc.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testgrpc.StreamingOutputCallResponse]) error {
	for _, p := range in.GetResponseParameters() {
		body := bytes.Repeat([]byte{'x'}, int(p.GetSize()))
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: &testgrpc.Payload{Body: body}}); err != nil {
			return err
		}
	}
	return nil
}

func (s *testService) FullDuplexCall(stream grpc.BidiStreamingServer[testgrpc.StreamingOutputCallRequest, testgrpc.StreamingOutputCallResponse]) error {
	for {
		in, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if st := in.GetResponseStatus(); st != nil && st.Code != 0 {
			return status.Error(codes.Code(st.Code), st.Message)
		}
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: in.GetPayload()}); err != nil {
			return err
		}
	}
}

// startGRPC serves a testService on a loopback port until the test ends.
func startGRPC(t testing.TB) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	testgrpc.RegisterTestServiceServer(s, &testService{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(ln)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return &backend{name: "grpc", addr: ln.Addr().(*net.TCPAddr)}
}

func grpcClient(t testing.TB, addr string) (*grpc.ClientConn, testgrpc.TestServiceClient) {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc, testgrpc.NewTestServiceClient(cc)
}

// gRPC passes through unchanged: unary, server streaming and full duplex
// calls, statuses in trailers and in trailers-only responses, retries on
// a trailers-only UNAVAILABLE. Local replies reach gRPC clients as gRPC
// statuses, and the per-method metrics count them.
func TestGRPC(t *testing.T) {
	be := startGRPC(t)
	empty := clusterOf("empty")
	empty.Type, empty.LoadAssignment = config.EDS, nil
	const svc = "/grpc.testing.TestService/"
	retry := toCluster(svc+"EmptyCall", "grpc")
	retry.Route.RetryPolicy = &config.HTTPRetryPolicy{RetryOn: []string{"unavailable"}, NumRetries: 1, BaseInterval: time.Millisecond}
	grpcOnly := toCluster(svc, "grpc")
	grpcOnly.Match.GRPC = true
	p := startProxy(t, hcm(anyHost(retry, toCluster(svc+"CacheableUnaryCall", "empty"), grpcOnly)),
		withHTTP2(staticCluster("grpc", be)), empty)
	cc, c := grpcClient(t, p.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	res, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{Payload: &testgrpc.Payload{Body: []byte("hi")}})
	if err != nil || string(res.GetPayload().GetBody()) != "hi" {
		t.Fatalf("unary: %v %v", res, err)
	}
	_, err = c.UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseStatus: &testgrpc.EchoStatus{Code: int32(codes.NotFound), Message: "no such thing: 100%"}})
	if st := status.Convert(err); st.Code() != codes.NotFound || st.Message() != "no such thing: 100%" {
		t.Errorf("status pass-through: %v", err)
	}

	ss, err := c.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: 10}, {Size: 100000}, {Size: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for {
		m, err := ss.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("server stream: %v", err)
		}
		sizes = append(sizes, len(m.GetPayload().GetBody()))
	}
	if len(sizes) != 3 || sizes[0] != 10 || sizes[1] != 100000 || sizes[2] != 1 {
		t.Errorf("server stream sizes %v", sizes)
	}

	bidi, err := c.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		msg := []byte{byte('a' + i)}
		if err := bidi.Send(&testgrpc.StreamingOutputCallRequest{Payload: &testgrpc.Payload{Body: msg}}); err != nil {
			t.Fatalf("bidi send: %v", err)
		}
		got, err := bidi.Recv()
		if err != nil || !bytes.Equal(got.GetPayload().GetBody(), msg) {
			t.Fatalf("bidi echo %d: %v %v", i, got, err)
		}
	}
	bidi.Send(&testgrpc.StreamingOutputCallRequest{ResponseStatus: &testgrpc.EchoStatus{Code: int32(codes.Aborted), Message: "bye"}})
	if _, err := bidi.Recv(); status.Code(err) != codes.Aborted {
		t.Errorf("bidi status: %v", err)
	}

	if _, err := c.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
		t.Errorf("retried trailers-only UNAVAILABLE: %v", err)
	}
	_, err = c.CacheableUnaryCall(ctx, &testgrpc.SimpleRequest{})
	if st := status.Convert(err); st.Code() != codes.Unavailable || st.Message() != "no healthy upstream" {
		t.Errorf("local reply: %v, want UNAVAILABLE no healthy upstream", err)
	}
	if err := cc.Invoke(ctx, "/other.Service/Method", &testgrpc.Empty{}, &testgrpc.Empty{}); status.Code(err) != codes.Unimplemented {
		t.Errorf("no route: %v, want UNIMPLEMENTED", err)
	}
	// The grpc-only route does not take plain HTTP.
	if res, _ := get(t, h2cClient(t), p.url(svc+"UnaryCall"), nil); res.StatusCode != 404 {
		t.Errorf("plain request to a gRPC route: %d, want 404", res.StatusCode)
	}
	if got := p.clusterStat("grpc", "upstream_rq_retry"); got != 1 {
		t.Errorf("upstream_rq_retry = %d, want 1", got)
	}
	for _, m := range []struct {
		method, code string
		want         float64
	}{
		{"UnaryCall", "OK", 1}, {"UnaryCall", "NOT_FOUND", 1}, {"StreamingOutputCall", "OK", 1},
		{"FullDuplexCall", "ABORTED", 1}, {"EmptyCall", "OK", 1}, {"CacheableUnaryCall", "UNAVAILABLE", 1},
	} {
		if got := grpcCount(t, p, "grpc.testing.TestService", m.method, m.code); got != m.want {
			t.Errorf("%s %s: %v requests, want %v", m.method, m.code, got, m.want)
		}
	}
}

// grpcCount returns sidewire_grpc_requests_total for a service, method
// and code.
func grpcCount(t testing.TB, p *proxy, service, method, code string) float64 {
	t.Helper()
	mfs, err := p.store.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != grpcRequestsFamily {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["service"] == service && labels["method"] == method && labels["grpc_code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
