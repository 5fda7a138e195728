package xds

import (
	"errors"
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sidewire/sidewire/proxy/config"
)

// apply translates the resources of a SotW response into next, a clone of
// the accepted state. Every resource is translated, so the error lists
// every problem of the response; any error rejects the whole response.
func (s *adsState) apply(res *discoveryv3.DiscoveryResponse) error {
	var errs errList
	switch res.GetTypeUrl() {
	case ListenerTypeURL:
		out := map[string]*config.Listener{}
		for i, a := range res.GetResources() {
			var m listenerv3.Listener
			p, ok := decodeResource(&errs, "listener", i, a, &m)
			if !ok {
				continue
			}
			l, err := TranslateListener(p, &m)
			errs.addErr(err)
			if err == nil {
				errs.addErr(dupName(out, l.Name, "listener"))
				out[l.Name] = l
			}
		}
		s.listeners = out
	case ClusterTypeURL:
		out := map[string]*config.Cluster{}
		for i, a := range res.GetResources() {
			var m clusterv3.Cluster
			p, ok := decodeResource(&errs, "cluster", i, a, &m)
			if !ok {
				continue
			}
			c, err := TranslateCluster(p, &m)
			errs.addErr(err)
			if err == nil {
				errs.addErr(dupName(out, c.Name, "cluster"))
				out[c.Name] = c
			}
		}
		s.clusters = out
		s.pruneEndpoints()
	case EndpointTypeURL:
		for i, a := range res.GetResources() {
			var m endpointv3.ClusterLoadAssignment
			p, ok := decodeResource(&errs, "cluster_load_assignment", i, a, &m)
			if !ok {
				continue
			}
			la, err := TranslateLoadAssignment(p, &m)
			errs.addErr(err)
			if err == nil {
				s.endpoints[m.GetClusterName()] = la
			}
		}
		s.pruneEndpoints()
	default:
		return fmt.Errorf("handle response: unexpected type %s", res.GetTypeUrl())
	}
	if errs.len() > 0 {
		return errs.err()
	}
	s.versions[res.GetTypeUrl()] = res.GetVersionInfo()
	return nil
}

// decodeResource unpacks one resource of a response. Its path in errors
// is `listener "name"`, or `listener[3]` when the resource has no name or
// cannot be decoded.
func decodeResource(errs *errList, kind string, i int, a *anypb.Any, m proto.Message) (string, bool) {
	p := index(kind, i)
	if err := a.UnmarshalTo(m); err != nil {
		errs.wrap(p, fmt.Errorf("decode %s: %w", a.GetTypeUrl(), err))
		return p, false
	}
	name := ""
	switch m := m.(type) {
	case *listenerv3.Listener:
		name = m.GetName()
	case *clusterv3.Cluster:
		name = m.GetName()
	case *endpointv3.ClusterLoadAssignment:
		name = m.GetClusterName()
		if name == "" {
			errs.add(field(p, "cluster_name"), "is required over EDS")
			return p, false
		}
	}
	if name != "" {
		p = resourceName(kind, name)
	}
	return p, true
}

// dupName reports a name sent twice in one response.
func dupName[T any](m map[string]T, name, kind string) error {
	if _, ok := m[name]; ok {
		return &config.FieldError{Path: resourceName(kind, name), Err: errors.New("sent twice in one response")}
	}
	return nil
}
