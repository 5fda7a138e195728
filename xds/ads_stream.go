package xds

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sidewire/sidewire/proxy/version"
)

// sotwStream is one state-of-the-world ADS stream: the nonces of its last
// responses and the load assignment names it asked for.
type sotwStream struct {
	c        *ADSClient
	ctx      context.Context
	st       discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	nonces   map[string]string
	subs     map[string][]string // names in the last EDS and SDS requests, by type
	sentNode bool
	rejected rejections
}

var _ streamHandler[*discoveryv3.DiscoveryResponse] = (*sotwStream)(nil)

// sotwStream runs one StreamAggregatedResources stream until it fails or
// ctx is done. got reports whether a response arrived (the control plane
// is reachable).
func (c *ADSClient) sotwStream(ctx context.Context, conn *grpc.ClientConn) (got bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(sctx)
	if err != nil {
		return false, fmt.Errorf("open ads stream: %w", err)
	}
	s := &sotwStream{c: c, ctx: sctx, st: st, nonces: map[string]string{}, subs: map[string][]string{}, rejected: rejections{}}
	// On a reconnect the known versions go with the requests, so a control
	// plane with nothing new need not resend.
	versions := s.versions()
	for _, t := range c.adsTypes() {
		if err := s.send(t, versions[t], nil, nil); err != nil {
			return false, err
		}
	}
	return serve(sctx, cancel, c, st.Recv, s)
}

func (s *sotwStream) versions() map[string]string {
	var v map[string]string
	s.c.eng.read(func(st *adsState) { v = maps.Clone(st.versions) })
	return v
}

// send writes a request for typ. detail, when not nil, makes it a NACK.
func (s *sotwStream) send(typ, version string, names []string, detail error) error {
	req := &discoveryv3.DiscoveryRequest{
		VersionInfo:   version,
		ResourceNames: names,
		TypeUrl:       typ,
		ResponseNonce: s.nonces[typ],
	}
	if !s.sentNode {
		req.Node = s.c.node()
		s.sentNode = true
	}
	if detail != nil {
		req.ErrorDetail = errorDetail(detail)
	}
	if err := s.st.Send(req); err != nil {
		return fmt.Errorf("send ads request for %s: %w", typ, err)
	}
	return nil
}

// node is the Node the first request of each stream carries: id,
// cluster, metadata and locality from the bootstrap, and Sidewire's
// user agent and version.
func (c *ADSClient) node() *corev3.Node {
	n := c.cfg.Node
	out := &corev3.Node{
		Id: n.ID, Cluster: n.Cluster, UserAgentName: "sidewire",
		UserAgentVersionType: &corev3.Node_UserAgentVersion{UserAgentVersion: version.String()},
	}
	if n.Region != "" || n.Zone != "" || n.SubZone != "" {
		out.Locality = &corev3.Locality{Region: n.Region, Zone: n.Zone, SubZone: n.SubZone}
	}
	if n.Metadata != nil {
		// The values came from a Struct, so they convert back.
		if md, err := structpb.NewStruct(n.Metadata); err == nil {
			out.Metadata = md
		}
	}
	return out
}

func errorDetail(err error) *rpcstatus.Status {
	return &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: err.Error()}
}

// resubscribe asks for the load assignments of the accepted EDS clusters
// that use ADS, and for the secrets the listeners name over ADS, when the
// names differ from the last request of their type. An empty list is not
// sent (to a SotW server it would mean every resource); resources nothing
// names are dropped on arrival instead.
func (s *sotwStream) resubscribe() (<-chan struct{}, error) {
	var want [len(byNameTypes)][]string
	var versions [len(byNameTypes)]string
	changed := s.c.eng.read(func(st *adsState) {
		want = st.byNameSubscriptions()
		for i, typ := range byNameTypes {
			versions[i] = st.versions[typ]
		}
	})
	for i, typ := range byNameTypes {
		names := want[i]
		cur, sent := s.subs[typ]
		if len(names) == 0 || (sent && slices.Equal(names, cur)) {
			continue
		}
		s.subs[typ] = names
		if err := s.send(typ, versions[i], names, nil); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// byNameTypes are the types subscribed to by resource name rather than
// as a wildcard: load assignments, secrets and Dubbo and HTTP route
// configurations.
var byNameTypes = [...]string{EndpointTypeURL, SecretTypeURL, DubboRouteTypeURL, RouteTypeURL}

// byNameSubscriptions returns the names to subscribe to for each of
// byNameTypes. The slices are shared: do not modify them.
func (s *adsState) byNameSubscriptions() [len(byNameTypes)][]string {
	return [...][]string{s.adsEDSNames(), s.adsSDSNames(), s.adsDRDSNames(), s.adsRDSNames()}
}

// names returns the resource names to repeat in an ACK or NACK of typ.
func (s *sotwStream) names(typ string) []string {
	return s.subs[typ] // nil (wildcard) for listeners and clusters
}

// handle validates one response, applies it when the result is warm, and
// ACKs or NACKs it. A version rejected again right away is NACKed after a
// backoff delay.
func (s *sotwStream) handle(res *discoveryv3.DiscoveryResponse) error {
	typ := res.GetTypeUrl()
	s.nonces[typ] = res.GetNonce()
	ch := &change{typ: typ, version: res.GetVersionInfo(), mode: sotw, resources: items(res.GetResources())}
	var err error
	if s.c.fromADS(typ) {
		err = s.c.eng.accept(ch, "ads")
	} else {
		err = notSubscribed(typ)
		s.c.eng.reject(ch, "ads", err)
	}
	if err == nil {
		delete(s.rejected, typ)
		return s.send(typ, res.GetVersionInfo(), s.names(typ), nil)
	}
	if err := s.rejected.pause(s.ctx, s.c.cfg.Backoff, typ, res.GetVersionInfo()); err != nil {
		return err
	}
	return s.send(typ, s.versions()[typ], s.names(typ), err)
}
