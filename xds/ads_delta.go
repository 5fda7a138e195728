package xds

import (
	"context"
	"fmt"
	"maps"
	"slices"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
)

// deltaStream is one incremental (delta) ADS stream. Listeners and
// clusters are wildcard subscriptions; load assignments are subscribed to
// and unsubscribed from by name as EDS clusters come and go.
type deltaStream struct {
	c   *ADSClient
	ctx context.Context
	st  discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	// subs are the subscribed names by type (EDS, SDS), sorted; nil
	// until a request of that type went out on this stream.
	subs     map[string][]string
	sentNode bool
	rejected rejections
}

var _ streamHandler[*discoveryv3.DeltaDiscoveryResponse] = (*deltaStream)(nil)

// deltaStream runs one DeltaAggregatedResources stream until it fails or
// ctx is done. got reports whether a response arrived.
func (c *ADSClient) deltaStream(ctx context.Context, conn *grpc.ClientConn) (got bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(sctx)
	if err != nil {
		return false, fmt.Errorf("open delta ads stream: %w", err)
	}
	s := &deltaStream{c: c, ctx: sctx, st: st, subs: map[string][]string{}, rejected: rejections{}}
	// An empty first request is a (legacy) wildcard subscription; the
	// versions known from an earlier stream go with it, so the server
	// sends only what changed meanwhile and what was removed.
	var known map[string]map[string]string
	c.eng.read(func(st *adsState) {
		known = map[string]map[string]string{}
		for t, m := range st.resourceVersions {
			known[t] = maps.Clone(m)
		}
	})
	for _, t := range c.adsTypes() {
		if err := s.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: t, InitialResourceVersions: known[t]}); err != nil {
			return false, err
		}
	}
	return serve(sctx, cancel, c, st.Recv, s)
}

func (s *deltaStream) send(req *discoveryv3.DeltaDiscoveryRequest) error {
	if !s.sentNode {
		req.Node = s.c.node()
		s.sentNode = true
	}
	if err := s.st.Send(req); err != nil {
		return fmt.Errorf("send delta ads request for %s: %w", req.GetTypeUrl(), err)
	}
	return nil
}

// resubscribe subscribes to the assignments of new EDS clusters that use
// ADS and to the secrets new listeners name, and unsubscribes from those
// no longer needed. The first request of each type on a stream waits
// for a name (an empty one would be a wildcard) and carries the versions
// of the resources already known.
func (s *deltaStream) resubscribe() (<-chan struct{}, error) {
	var want [len(byNameTypes)][]string
	var known [len(byNameTypes)]map[string]string
	changed := s.c.eng.read(func(st *adsState) {
		want = st.byNameSubscriptions()
		for i, typ := range byNameTypes {
			known[i] = maps.Clone(st.resourceVersions[typ])
		}
	})
	for i, typ := range byNameTypes {
		if err := s.resubscribeType(typ, want[i], known[i]); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

func (s *deltaStream) resubscribeType(typ string, names []string, known map[string]string) error {
	sub := s.subs[typ]
	req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typ}
	if sub == nil {
		if len(names) == 0 {
			return nil
		}
		req.ResourceNamesSubscribe = names
		for n := range known {
			if !slices.Contains(names, n) {
				delete(known, n)
			}
		}
		req.InitialResourceVersions = known
	} else {
		req.ResourceNamesSubscribe = missingFrom(names, sub)
		req.ResourceNamesUnsubscribe = missingFrom(sub, names)
		if len(req.ResourceNamesSubscribe) == 0 && len(req.ResourceNamesUnsubscribe) == 0 {
			return nil
		}
	}
	s.subs[typ] = append([]string{}, names...) // non-nil: a request went out
	return s.send(req)
}

// missingFrom returns the names of a, sorted, that b lacks.
func missingFrom(a, b []string) []string {
	var out []string
	for _, n := range a {
		if _, ok := slices.BinarySearch(b, n); !ok {
			out = append(out, n)
		}
	}
	return out
}

// handle validates one delta response, applies it when the result is
// warm, and ACKs or NACKs its nonce.
func (s *deltaStream) handle(res *discoveryv3.DeltaDiscoveryResponse) error {
	typ := res.GetTypeUrl()
	ch := &change{typ: typ, version: res.GetSystemVersionInfo(), mode: delta, removed: res.GetRemovedResources()}
	for _, r := range res.GetResources() {
		ch.resources = append(ch.resources, resourceItem{name: r.GetName(), version: r.GetVersion(), res: r.GetResource()})
	}
	var err error
	if s.c.fromADS(typ) {
		err = s.c.eng.accept(ch, "ads")
	} else {
		err = notSubscribed(typ)
		s.c.eng.reject(ch, "ads", err)
	}
	ack := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typ, ResponseNonce: res.GetNonce()}
	if err == nil {
		delete(s.rejected, typ)
		return s.send(ack)
	}
	if err := s.rejected.pause(s.ctx, s.c.cfg.Backoff, typ, res.GetSystemVersionInfo()); err != nil {
		return err
	}
	ack.ErrorDetail = errorDetail(err)
	return s.send(ack)
}
