package xds

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sidewire/sidewire/proxy/config"
)

// Update is one complete, warmed configuration received over ADS. Its
// values are immutable and shared with the client: do not modify them.
type Update struct {
	// Listeners and Clusters sorted by name. EDS clusters carry their
	// assignment in LoadAssignment.
	Listeners []*config.Listener
	Clusters  []*config.Cluster
	// Endpoints are the load assignments by ClusterLoadAssignment name
	// (eds_cluster_config.service_name, or the cluster name).
	Endpoints map[string]*config.LoadAssignment
	// Secrets are the SDS secrets the listeners name, by name.
	Secrets map[string]*config.Secret
	// DubboRoutes are the Dubbo route configurations (drds) the
	// listeners name, by name.
	DubboRoutes map[string]*config.DubboRouteTable
	// HTTPRoutes are the HTTP route configurations (RDS) the listeners
	// name, by name.
	HTTPRoutes map[string]*config.HTTPRouteConfig
	// Versions are the accepted version_info by type URL.
	Versions map[string]string
	// Changed is the type URL of the response that produced this update.
	// When it is EndpointTypeURL only load assignments changed, and an
	// Applier may update endpoints in place instead of rebuilding.
	Changed string
}

// Applier receives warmed updates. An error rejects the update: the
// response that produced it is NACKed with the error as error_detail and
// the client keeps its previous state. ApplyXDS is called on Run's
// goroutine, one update at a time; while it runs the stream is not read.
type Applier interface {
	ApplyXDS(u *Update) error
}

// ApplierFunc adapts a function to Applier.
type ApplierFunc func(u *Update) error

// ApplyXDS implements Applier.
func (f ApplierFunc) ApplyXDS(u *Update) error { return f(u) }

var _ Applier = ApplierFunc(nil)

// Snapshot returns the update as a config snapshot for node, versioned by
// the accepted versions ("cds=3,eds=7,lds=2").
func (u *Update) Snapshot(node config.Node) *config.Snapshot {
	short := map[string]string{ListenerTypeURL: "lds", ClusterTypeURL: "cds", EndpointTypeURL: "eds", SecretTypeURL: "sds", DubboRouteTypeURL: "drds", RouteTypeURL: "rds"}
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(u.Versions)) {
		n := short[t]
		if n == "" {
			n = t
		}
		parts = append(parts, n+"="+u.Versions[t])
	}
	slices.Sort(parts)
	return &config.Snapshot{
		Version:     strings.Join(parts, ","),
		Node:        node,
		Listeners:   u.Listeners,
		Clusters:    u.Clusters,
		Secrets:     u.Secrets,
		DubboRoutes: u.DubboRoutes,
		HTTPRoutes:  u.HTTPRoutes,
	}
}

// validate runs config.Snapshot.Validate on the update, naming resources
// the xDS way (`listener "l1".filter_chains[0]`) instead of by bootstrap
// index.
func (u *Update) validate() error {
	err := u.Snapshot(config.Node{}).Validate()
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range flatten(err) {
		var fe *config.FieldError
		if !errors.As(e, &fe) {
			out = append(out, e)
			continue
		}
		out = append(out, &config.FieldError{Path: u.resourcePath(fe.Path), Err: fe.Err})
	}
	return errors.Join(out...)
}

// resourcePath rewrites a bootstrap path prefix to the resource's name.
func (u *Update) resourcePath(p string) string {
	for i, l := range u.Listeners {
		if rest, ok := strings.CutPrefix(p, fmt.Sprintf("static_resources.listeners[%d]", i)); ok {
			return resourceName("listener", l.Name) + rest
		}
	}
	for i, c := range u.Clusters {
		if rest, ok := strings.CutPrefix(p, fmt.Sprintf("static_resources.clusters[%d]", i)); ok {
			return resourceName("cluster", c.Name) + rest
		}
	}
	return p
}
