package server

import (
	"errors"
	"fmt"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rsrc "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/xds"
)

// checkResource validates one resource on its own. With CheckSidewire,
// listeners, clusters, load assignments and route configurations go
// through Sidewire's translators (which also run Envoy's validation
// rules), so the problems are named by field path, exactly as Sidewire
// would NACK them; secrets, and every type with CheckEnvoy, run
// ValidateAll.
// DataSources naming files or environment variables of the proxy's host
// are left for the proxy to check (see withoutProxyLocal).
func checkResource(r *resource, checks Checks) error {
	var err error
	if checks == CheckSidewire {
		switch m := withoutProxyLocal(r.msg).(type) {
		case *listenerv3.Listener:
			r.ir, err = xds.TranslateListener(r.path, m)
			return r.fileErrs(err)
		case *clusterv3.Cluster:
			r.ir, err = xds.TranslateCluster(r.path, m)
			return r.fileErrs(err)
		case *endpointv3.ClusterLoadAssignment:
			_, err = xds.TranslateLoadAssignment(r.path, m)
			return r.fileErrs(err)
		case *routev3.RouteConfiguration:
			r.ir, err = xds.TranslateRouteConfiguration(r.path, m)
			return r.fileErrs(err)
		}
	}
	v, ok := r.msg.(interface{ ValidateAll() error })
	if !ok {
		return nil
	}
	if err := v.ValidateAll(); err != nil {
		return &FileError{File: r.file, Path: r.path, Err: err}
	}
	return nil
}

// fileErrs wraps each of the joined errors of a translator in a
// *FileError of r's file; the *config.FieldError with the field path
// stays in the chain.
func (r *resource) fileErrs(err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range flatten(err) {
		out = append(out, &FileError{File: r.file, Err: e})
	}
	return errors.Join(out...)
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// checkSet validates what one node is served as a whole: every EDS
// cluster has its ClusterLoadAssignment and every assignment has an EDS
// cluster (go-control-plane's ADS cache holds EDS responses back
// otherwise), and with CheckSidewire the cross-references Sidewire
// checks (clusters that filters name, unique listener addresses).
func checkSet(s resourceSet, node string, checks Checks) error {
	var errs []error
	used := map[string]bool{}
	for _, r := range s.sorted(rsrc.ClusterType) {
		c := r.msg.(*clusterv3.Cluster)
		if c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		n := c.GetEdsClusterConfig().GetServiceName()
		p := "eds_cluster_config.service_name"
		if n == "" {
			n, p = c.GetName(), "name"
		}
		used[n] = true
		if s[rsrc.EndpointType][n] == nil {
			errs = append(errs, &FileError{File: r.file, Path: joinPath(r.path, p), Node: node,
				Err: fmt.Errorf("EDS cluster needs a ClusterLoadAssignment with cluster_name %q; none is defined", n)})
		}
	}
	for _, r := range s.sorted(rsrc.EndpointType) {
		if !used[r.name] {
			errs = append(errs, &FileError{File: r.file, Path: joinPath(r.path, "cluster_name"), Node: node,
				Err: fmt.Errorf("no EDS cluster uses ClusterLoadAssignment %q (name it in a cluster's eds_cluster_config.service_name, or remove it)", r.name)})
		}
	}
	if checks == CheckSidewire {
		errs = append(errs, validateIR(s, node))
	}
	return errors.Join(errs...)
}

// validateIR runs config.Snapshot.Validate on the translated listeners,
// clusters and route configurations, and renames its paths to files.
func validateIR(s resourceSet, node string) error {
	var snap config.Snapshot
	ls, cs, rs := s.sorted(rsrc.ListenerType), s.sorted(rsrc.ClusterType), s.sorted(rsrc.RouteType)
	for _, r := range ls {
		snap.Listeners = append(snap.Listeners, r.ir.(*config.Listener))
	}
	for _, r := range cs {
		snap.Clusters = append(snap.Clusters, r.ir.(*config.Cluster))
	}
	snap.HTTPRoutes = make(map[string]*config.HTTPRouteConfig, len(rs))
	for _, r := range rs {
		snap.HTTPRoutes[r.name] = r.ir.(*config.HTTPRouteConfig)
	}
	err := snap.Validate()
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range flatten(err) {
		var fe *config.FieldError
		if !errors.As(e, &fe) {
			out = append(out, fmt.Errorf("validate node %q: %w", node, e))
			continue
		}
		r, rest := locate(fe.Path, ls, cs, rs)
		if r == nil {
			out = append(out, fmt.Errorf("validate node %q: %w", node, e))
			continue
		}
		p := r.path + rest
		if r.path == "" {
			p = strings.TrimPrefix(rest, ".")
		}
		out = append(out, &FileError{File: r.file, Node: node, Err: &config.FieldError{Path: p, Err: fe.Err}})
	}
	return errors.Join(out...)
}

// locate finds the resource a bootstrap path such as
// "static_resources.clusters[2].name", or a route table's
// (`route_config "main".virtual_hosts[0]`), points at, and the rest of
// it.
func locate(p string, ls, cs, rs []*resource) (*resource, string) {
	for _, r := range rs {
		if rest, ok := strings.CutPrefix(p, fmt.Sprintf("route_config %q", r.name)); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return r, rest
		}
	}
	for _, l := range []struct {
		prefix string
		rs     []*resource
	}{{"static_resources.listeners", ls}, {"static_resources.clusters", cs}} {
		for i, r := range l.rs {
			if rest, ok := strings.CutPrefix(p, fmt.Sprintf("%s[%d]", l.prefix, i)); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
				return r, rest
			}
		}
	}
	return nil, ""
}
