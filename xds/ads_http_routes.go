package xds

import (
	"slices"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// HTTP route discovery (RDS) works as Dubbo's (see ads_dubbo_routes.go):
// the route configurations are subscribed to by the names the accepted
// listeners' HTTP connection managers give in rds; a listener whose route
// configuration has not arrived holds the state back (warming); a route
// configuration that changes later is swapped in for the next request
// without rebuilding the listener (the runtime reads it from the
// snapshot's HTTPRoutes by name); one no listener names any more is
// dropped.

// RouteTypeURL is the type of the route configurations HTTP connection
// managers name in rds.
const RouteTypeURL = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"

// routeKind names route configurations in error paths
// (`route_config "main".virtual_hosts[0]`), as config.Snapshot.Validate
// does.
const routeKind = "route_config"

// allFilters returns the network filters of every chain of l.
func allFilters(l *config.Listener) []config.NetworkFilter {
	var out []config.NetworkFilter
	for _, fc := range l.FilterChains {
		out = append(out, fc.Filters...)
	}
	if l.DefaultFilterChain != nil {
		out = append(out, l.DefaultFilterChain.Filters...)
	}
	return out
}

// adsRDSNames returns the sorted route configuration names to ask the
// ADS server for. The slice is shared: do not modify it.
func (s *adsState) adsRDSNames() []string {
	return s.adsRDS.get(func() []string {
		var out []string
		for _, l := range s.listeners {
			out = append(out, httpRouteNames(l)...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	})
}

// missingHTTPRoutes lists the route configurations listeners wait for,
// and the clusters that route configurations with validate_clusters
// name and that have not arrived.
func (s *adsState) missingHTTPRoutes() []string {
	var missing []string
	for _, ln := range s.sortedListeners() {
		for _, n := range httpRouteNames(s.listeners[ln]) {
			if s.httpRoutes[n] == nil {
				missing = append(missing, "route configuration "+quote(n)+" (listener "+quote(ln)+")")
			}
		}
	}
	for n, rc := range s.httpRoutes {
		for _, cn := range routeConfigClusters(rc) {
			if s.clusters[cn] == nil {
				missing = append(missing, "cluster "+quote(cn)+" (route configuration "+quote(n)+")")
			}
		}
	}
	return missing
}

// routeConfigClusters returns the clusters a route table must have:
// those its routes and mirrors name, when it validates clusters.
func routeConfigClusters(rc *config.HTTPRouteConfig) []string {
	if rc == nil || !rc.ValidateClusters {
		return nil
	}
	var out []string
	for _, vh := range rc.VirtualHosts {
		for _, r := range vh.Routes {
			a := r.Route
			if a == nil {
				continue
			}
			if a.Cluster != "" {
				out = append(out, a.Cluster)
			}
			for _, w := range a.WeightedClusters {
				out = append(out, w.Name)
			}
			for _, m := range a.Mirrors {
				out = append(out, m.Cluster)
			}
		}
	}
	return out
}

// applyHTTPRoutes merges translated route configurations: SotW and delta
// responses carry those that changed (a non-wildcard type) and delta
// removals go.
func (s *adsState) applyHTTPRoutes(errs *errList, ch *change) {
	got := decodeAll(errs, ch, routeKind, (*routev3.RouteConfiguration).GetName, TranslateRouteConfiguration)
	for _, n := range ch.removed {
		delete(s.httpRoutes, n)
	}
	for n, rc := range got {
		s.httpRoutes[n] = rc
	}
}

// pruneHTTPRoutes drops route configurations, and their delta versions,
// that no listener names any more.
func (s *adsState) pruneHTTPRoutes() {
	want := s.adsRDSNames()
	unwanted := func(n string) bool {
		_, ok := slices.BinarySearch(want, n)
		return !ok
	}
	for n := range s.httpRoutes {
		if unwanted(n) {
			delete(s.httpRoutes, n)
		}
	}
	for n := range s.resourceVersions[RouteTypeURL] {
		if unwanted(n) {
			delete(s.resourceVersions[RouteTypeURL], n)
		}
	}
}

// staticHTTPRoutes rejects rds in a static listener: route
// configurations are subscribed to, and warmed, for listeners that come
// from LDS.
func (t *translator) staticHTTPRoutes(path string, l *config.Listener) {
	for _, n := range httpRouteNames(l) {
		t.errs.add(path, "route configuration %q: rds is supported in listeners from lds only; a static listener takes route_config", n)
	}
}
