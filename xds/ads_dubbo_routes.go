package xds

import (
	"slices"

	dubbov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// Dubbo route discovery (drds) follows SDS: the route configurations
// (MultipleRouteConfiguration resources) are subscribed to by the names
// the accepted listeners' dubbo_proxy filters give in drds; a listener
// whose route configuration has not arrived holds the state back
// (warming); a route configuration that changes later is swapped in for
// the next request without rebuilding the listener; one no listener
// names any more is dropped.

// DubboRouteTypeURL is the type of the route configurations a
// dubbo_proxy's drds names, as Envoy's Dubbo RDS serves them.
const DubboRouteTypeURL = "type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.MultipleRouteConfiguration"

// dubboRouteKind names route configurations in error paths.
const dubboRouteKind = "dubbo_route_config"

// TranslateDubboRoutes checks a MultipleRouteConfiguration received by
// route discovery and translates it. Cluster references are checked by
// config.Snapshot.Validate.
func TranslateDubboRoutes(path string, m *dubbov3.MultipleRouteConfiguration) (*config.DubboRouteTable, error) {
	var t translator
	t.precheck(path, m)
	out := &config.DubboRouteTable{Name: m.GetName()}
	rp := field(path, "route_config")
	if len(m.GetRouteConfig()) == 0 {
		t.errs.add(rp, "needs at least one route configuration")
	}
	for i, rc := range m.GetRouteConfig() {
		out.RouteConfigs = append(out.RouteConfigs, t.dubboRouteConfig(index(rp, i), rc))
	}
	if t.errs.len() > 0 {
		return nil, t.errs.err()
	}
	return out, nil
}

// dubboRouteNames returns the route configuration names a listener's
// dubbo_proxy filters take from route discovery.
func dubboRouteNames(l *config.Listener) []string {
	var out []string
	chains := slices.Clone(l.FilterChains)
	if l.DefaultFilterChain != nil {
		chains = append(chains, l.DefaultFilterChain)
	}
	for _, fc := range chains {
		for _, f := range fc.Filters {
			if d, ok := f.(*config.DubboProxy); ok && d.RouteConfigName != "" {
				out = append(out, d.RouteConfigName)
			}
		}
	}
	return out
}

// adsDRDSNames returns the sorted route configuration names to ask the
// ADS server for. The slice is shared: do not modify it.
func (s *adsState) adsDRDSNames() []string {
	return s.adsDRDS.get(func() []string {
		var out []string
		for _, l := range s.listeners {
			out = append(out, dubboRouteNames(l)...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	})
}

// missingDubboRoutes lists the route configurations listeners wait for.
func (s *adsState) missingDubboRoutes() []string {
	var missing []string
	for _, ln := range s.sortedListeners() {
		for _, n := range dubboRouteNames(s.listeners[ln]) {
			if s.dubboRoutes[n] == nil {
				missing = append(missing, "dubbo route configuration "+quote(n)+" (listener "+quote(ln)+")")
			}
		}
	}
	return missing
}

// applyDubboRoutes merges translated route configurations: SotW and
// delta responses carry those that changed (a non-wildcard type) and
// delta removals go.
func (s *adsState) applyDubboRoutes(errs *errList, ch *change) {
	got := decodeAll(errs, ch, dubboRouteKind, (*dubbov3.MultipleRouteConfiguration).GetName, TranslateDubboRoutes)
	for _, n := range ch.removed {
		delete(s.dubboRoutes, n)
	}
	for n, rt := range got {
		s.dubboRoutes[n] = rt
	}
}

// pruneDubboRoutes drops route configurations, and their delta versions,
// that no listener names any more.
func (s *adsState) pruneDubboRoutes() {
	want := s.adsDRDSNames()
	unwanted := func(n string) bool {
		_, ok := slices.BinarySearch(want, n)
		return !ok
	}
	for n := range s.dubboRoutes {
		if unwanted(n) {
			delete(s.dubboRoutes, n)
		}
	}
	for n := range s.resourceVersions[DubboRouteTypeURL] {
		if unwanted(n) {
			delete(s.resourceVersions[DubboRouteTypeURL], n)
		}
	}
}

// drds reads a dubbo_proxy's route discovery: the route configuration
// comes over the ADS stream, by name.
func (t *translator) drds(path string, d *dubbov3.Drds) string {
	if cs := d.GetConfigSource(); cs != nil && cs.GetAds() == nil {
		t.errs.add(field(path, "config_source"), "must be ads: route configurations are received over the ADS stream only")
	}
	if d.GetRouteConfigName() == "" {
		t.errs.add(field(path, "route_config_name"), "is required")
	}
	return d.GetRouteConfigName()
}

// staticDubboRoutes rejects drds in a static listener: route
// configurations are subscribed to, and warmed, for listeners that come
// from LDS.
func (t *translator) staticDubboRoutes(path string, l *config.Listener) {
	for _, n := range dubboRouteNames(l) {
		t.errs.add(path, "dubbo route configuration %q: drds is supported in listeners from lds only; a static listener takes multiple_route_config", n)
	}
}
