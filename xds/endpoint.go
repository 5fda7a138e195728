package xds

import (
	"maps"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sidewire/sidewire/proxy/config"
)

// Envoy's load assignment defaults.
const (
	defaultOverprovisioningFactor = 140
	defaultEndpointWeight         = 1
	// lbMetadataKey is the filter_metadata namespace subset load balancing
	// reads endpoint labels from.
	lbMetadataKey = "envoy.lb"
)

// TranslateLoadAssignment checks a ClusterLoadAssignment, as EDS sends it,
// and translates it. Endpoint addresses must be IP literals, as Envoy
// requires for EDS. Errors are *config.FieldError values, joined.
func TranslateLoadAssignment(path string, la *endpointv3.ClusterLoadAssignment) (*config.LoadAssignment, error) {
	var t translator
	t.precheck(path, la)
	out := t.loadAssignment(path, la, ipEndpoint)
	if t.errs.len() > 0 {
		return nil, t.errs.err()
	}
	return out, nil
}

func (t *translator) loadAssignment(path string, la *endpointv3.ClusterLoadAssignment, kind addrKind) *config.LoadAssignment {
	out := &config.LoadAssignment{
		OverprovisioningFactor: uint32Or(la.GetPolicy().GetOverprovisioningFactor(), defaultOverprovisioningFactor),
	}
	// Sized up front: the assignments of a large EDS config are most of
	// what it keeps, and append's doubling would leave a third unused.
	if n := len(la.GetEndpoints()); n > 0 {
		out.Localities = make([]config.LocalityEndpoints, 0, n)
	}
	for i, lle := range la.GetEndpoints() {
		loc := config.LocalityEndpoints{
			Region:   lle.GetLocality().GetRegion(),
			Zone:     lle.GetLocality().GetZone(),
			SubZone:  lle.GetLocality().GetSubZone(),
			Weight:   lle.GetLoadBalancingWeight().GetValue(),
			Priority: lle.GetPriority(),
		}
		if n := len(lle.GetLbEndpoints()); n > 0 {
			loc.Endpoints = make([]config.Endpoint, 0, n)
		}
		for j, lbe := range lle.GetLbEndpoints() {
			if ep, ok := plainEndpoint(lbe); ok {
				loc.Endpoints = append(loc.Endpoints, ep)
				continue
			}
			lp := index(field(path, "endpoints"), i)
			loc.Endpoints = append(loc.Endpoints, t.lbEndpoint(index(field(lp, "lb_endpoints"), j), lbe, kind))
		}
		out.Localities = append(out.Localities, loc)
	}
	return out
}

// plainEndpoint translates the usual endpoint, a TCP socket address with
// an IP literal and a port and no metadata, as lbEndpoint would, without
// building the field paths only errors need (with 100,000 endpoints they
// were most of what a full EDS update allocated). ok is false for any
// other endpoint: lbEndpoint then translates it and reports problems.
func plainEndpoint(lbe *endpointv3.LbEndpoint) (config.Endpoint, bool) {
	ep := lbe.GetEndpoint()
	sa := ep.GetAddress().GetSocketAddress()
	if sa == nil || sa.GetProtocol() != corev3.SocketAddress_TCP || lbe.GetMetadata() != nil {
		return config.Endpoint{}, false
	}
	pv, ok := sa.GetPortSpecifier().(*corev3.SocketAddress_PortValue)
	if !ok || pv.PortValue == 0 {
		return config.Endpoint{}, false
	}
	host, isIP := canonicalIP(sa.GetAddress())
	if !isIP {
		return config.Endpoint{}, false
	}
	return config.Endpoint{
		Address:  config.Address{Host: host, Port: pv.PortValue},
		Hostname: ep.GetHostname(),
		Weight:   uint32Or(lbe.GetLoadBalancingWeight(), defaultEndpointWeight),
		Health:   healthStatus(lbe.GetHealthStatus()),
	}, true
}

func (t *translator) lbEndpoint(path string, lbe *endpointv3.LbEndpoint, kind addrKind) config.Endpoint {
	out := config.Endpoint{
		Weight:   uint32Or(lbe.GetLoadBalancingWeight(), defaultEndpointWeight),
		Health:   healthStatus(lbe.GetHealthStatus()),
		Metadata: t.lbMetadata(field(path, "metadata"), lbe.GetMetadata()),
	}
	ep := lbe.GetEndpoint()
	if ep == nil {
		t.errs.add(field(path, "endpoint"), "is required")
		return out
	}
	out.Hostname = ep.GetHostname()
	if ep.GetAddress() == nil {
		t.errs.add(field(path, "endpoint.address"), "is required")
		return out
	}
	out.Address = t.address(field(path, "endpoint.address"), ep.GetAddress(), kind)
	return out
}

// healthStatus folds Envoy's health statuses to Sidewire's; TIMEOUT counts
// as unhealthy, as in Envoy.
func healthStatus(s corev3.HealthStatus) config.HealthStatus {
	switch s {
	case corev3.HealthStatus_HEALTHY:
		return config.HealthHealthy
	case corev3.HealthStatus_UNHEALTHY, corev3.HealthStatus_TIMEOUT:
		return config.HealthUnhealthy
	case corev3.HealthStatus_DRAINING:
		return config.HealthDraining
	case corev3.HealthStatus_DEGRADED:
		return config.HealthDegraded
	}
	return config.HealthUnknown
}

// lbMetadata returns the string values of filter_metadata["envoy.lb"];
// other namespaces are data for extensions Sidewire does not run.
func (t *translator) lbMetadata(path string, md *corev3.Metadata) map[string]string {
	s, ok := md.GetFilterMetadata()[lbMetadataKey]
	if !ok {
		return nil
	}
	p := key(field(path, "filter_metadata"), lbMetadataKey)
	out := make(map[string]string, len(s.GetFields()))
	for _, k := range slices.Sorted(maps.Keys(s.GetFields())) {
		sv, isString := s.GetFields()[k].GetKind().(*structpb.Value_StringValue)
		if !isString {
			t.errs.add(key(p, k), "only string values are supported")
			continue
		}
		out[k] = sv.StringValue
	}
	return out
}
