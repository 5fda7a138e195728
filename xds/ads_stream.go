package xds

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// adsStream is one ADS stream: the nonces of its last responses and the
// load assignment names it asked for. It lives on the Run goroutine.
type adsStream struct {
	c        *ADSClient
	ctx      context.Context
	st       discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	nonces   map[string]string
	eds      []string // names in the last EDS request; nil before one
	sentNode bool
	// rejected counts consecutive rejections of one version per type, to
	// space out the NACKs of a control plane that resends a bad version
	// at once.
	rejected map[string]rejection
}

type rejection struct {
	version string
	n       int
}

// stream runs one ADS stream until it fails or ctx is done. got reports
// whether a response arrived (the control plane is reachable).
func (c *ADSClient) stream(ctx context.Context, conn *grpc.ClientConn) (got bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(sctx)
	if err != nil {
		return false, fmt.Errorf("open ads stream: %w", err)
	}
	s := &adsStream{c: c, ctx: sctx, st: st, nonces: map[string]string{}, rejected: map[string]rejection{}}
	// On a reconnect the known versions go with the requests, so a control
	// plane with nothing new need not resend.
	for _, t := range []string{ClusterTypeURL, ListenerTypeURL} {
		if err := s.send(t, c.state.versions[t], nil, nil); err != nil {
			return false, err
		}
	}
	if err := s.subscribeEDS(); err != nil {
		return false, err
	}
	for {
		res, err := st.Recv()
		if err != nil {
			return got, fmt.Errorf("receive ads response: %w", err)
		}
		if !got {
			got = true
			c.setConnected(true)
		}
		if err := s.handle(res); err != nil {
			return got, err
		}
	}
}

// send writes a request for typ. detail, when not nil, makes it a NACK.
func (s *adsStream) send(typ, version string, names []string, detail error) error {
	req := &discoveryv3.DiscoveryRequest{
		VersionInfo:   version,
		ResourceNames: names,
		TypeUrl:       typ,
		ResponseNonce: s.nonces[typ],
	}
	if !s.sentNode {
		req.Node = &corev3.Node{Id: s.c.cfg.Node.ID, Cluster: s.c.cfg.Node.Cluster, UserAgentName: "sidewire"}
		s.sentNode = true
	}
	if detail != nil {
		req.ErrorDetail = &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: detail.Error()}
	}
	if err := s.st.Send(req); err != nil {
		return fmt.Errorf("send ads request for %s: %w", typ, err)
	}
	return nil
}

// subscribeEDS asks for the load assignments of the accepted EDS clusters
// when they differ from the last request. An empty list is not sent (to a
// SotW server it would mean every assignment); assignments no cluster
// names are dropped on arrival instead.
func (s *adsStream) subscribeEDS() error {
	names := s.c.state.edsNames()
	if len(names) == 0 || (s.eds != nil && slices.Equal(names, s.eds)) {
		return nil
	}
	s.eds = names
	return s.send(EndpointTypeURL, s.c.state.versions[EndpointTypeURL], names, nil)
}

// names returns the resource names to repeat in an ACK or NACK of typ.
func (s *adsStream) names(typ string) []string {
	if typ == EndpointTypeURL {
		return s.eds
	}
	return nil // wildcard
}

// handle validates one response, applies it when the result is warm, and
// ACKs or NACKs it.
func (s *adsStream) handle(res *discoveryv3.DiscoveryResponse) error {
	c, typ := s.c, res.GetTypeUrl()
	s.nonces[typ] = res.GetNonce()
	next := c.state.clone()
	err := next.apply(res)
	if err == nil {
		err = c.offer(next, typ)
	}
	if err != nil {
		return s.nack(res, err)
	}
	delete(s.rejected, typ)
	c.state = next
	c.setStatus(func(st *ADSStatus) { st.Versions = next.versions })
	if c.cfg.OnResponse != nil {
		c.cfg.OnResponse(typ, nil)
	}
	if err := s.send(typ, res.GetVersionInfo(), s.names(typ), nil); err != nil {
		return err
	}
	return s.subscribeEDS()
}

// nack rejects res, keeping the accepted state. A version rejected again
// right away is NACKed after a backoff delay.
func (s *adsStream) nack(res *discoveryv3.DiscoveryResponse, cause error) error {
	c, typ := s.c, res.GetTypeUrl()
	err := fmt.Errorf("reject %s version %q: %w", typ, res.GetVersionInfo(), cause)
	c.log.Warn("ads response rejected", "type", typ, "version", res.GetVersionInfo(), "error", cause)
	c.recordError(err)
	c.setStatus(func(st *ADSStatus) { st.Rejected++ })
	if c.cfg.OnResponse != nil {
		c.cfg.OnResponse(typ, cause)
	}
	r := s.rejected[typ]
	if r.version == res.GetVersionInfo() {
		r.n++
		t := time.NewTimer(c.cfg.Backoff.delay(r.n - 1))
		select {
		case <-s.ctx.Done():
			t.Stop()
			return s.ctx.Err()
		case <-t.C:
		}
	} else {
		r = rejection{version: res.GetVersionInfo()}
	}
	s.rejected[typ] = r
	return s.send(typ, c.state.versions[typ], s.names(typ), cause)
}

// offer hands next to the Applier when it is warm. A state still warming
// is accepted without being applied.
func (c *ADSClient) offer(next *adsState, typ string) error {
	if w := next.warming(); w != "" {
		c.setStatus(func(st *ADSStatus) { st.Warming = "waiting for " + w })
		return nil
	}
	u := next.update(typ)
	if err := u.validate(); err != nil {
		return err
	}
	if err := c.app.ApplyXDS(u); err != nil {
		return fmt.Errorf("apply update: %w", err)
	}
	c.setStatus(func(st *ADSStatus) {
		st.Warming = ""
		st.LastUpdated = time.Now()
		st.Updates++
	})
	return nil
}
