package xds

import (
	"maps"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	dubbov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// dubboProxy translates envoy.filters.network.dubbo_proxy. path is the
// filter's typed_config. Only the Dubbo protocol with hessian2 bodies
// exists in Envoy's API. With drds the route
// configurations come from route discovery (see ads_dubbo_routes.go). Cluster references are checked by config.Snapshot.Validate.
func (t *translator) dubboProxy(path string, m *dubbov3.DubboProxy) *config.DubboProxy {
	out := &config.DubboProxy{StatPrefix: m.GetStatPrefix(), Router: dubboRouterDefaults()}
	if pt := m.GetProtocolType(); pt != dubbov3.ProtocolType_Dubbo {
		t.errs.add(field(path, "protocol_type"), "unsupported protocol type %s", pt)
	}
	if st := m.GetSerializationType(); st != dubbov3.SerializationType_Hessian2 {
		t.errs.add(field(path, "serialization_type"), "unsupported serialization type %s", st)
	}
	//nolint:staticcheck // route_config is deprecated but still Envoy's API.
	legacy := m.GetRouteConfig()
	multi := m.GetMultipleRouteConfig()
	if len(legacy) > 0 && (multi != nil || m.GetDrds() != nil) {
		t.errs.add(field(path, "route_config"), "set either route_config, multiple_route_config or drds, not several")
	}
	if d := m.GetDrds(); d != nil {
		out.RouteConfigName = t.drds(field(path, "drds"), d)
	}
	for i, rc := range legacy {
		out.RouteConfigs = append(out.RouteConfigs, t.dubboRouteConfig(index(field(path, "route_config"), i), rc))
	}
	mp := field(field(path, "multiple_route_config"), "route_config")
	for i, rc := range multi.GetRouteConfig() {
		out.RouteConfigs = append(out.RouteConfigs, t.dubboRouteConfig(index(mp, i), rc))
	}
	t.dubboFilters(field(path, "dubbo_filters"), m.GetDubboFilters(), out)
	return out
}

// dubboRouterDefaults are the router settings without Sidewire options.
func dubboRouterDefaults() config.DubboRouter {
	return config.DubboRouter{
		DefaultTimeout:      config.DefaultDubboTimeout,
		MaxTimeout:          config.DefaultDubboMaxTimeout,
		UpstreamConnections: config.DefaultDubboUpstreamConnections,
		HeartbeatInterval:   config.DefaultDubboHeartbeatInterval,
		HeartbeatTimeout:    3 * config.DefaultDubboHeartbeatInterval,
		MaxMetricPairs:      config.DefaultDubboMaxMetricPairs,
	}
}

func (t *translator) dubboRouteConfig(path string, rc *dubbov3.RouteConfiguration) config.DubboRouteConfig {
	out := config.DubboRouteConfig{
		Name:      rc.GetName(),
		Interface: rc.GetInterface(),
		Group:     rc.GetGroup(),
		Version:   rc.GetVersion(),
	}
	for i, r := range rc.GetRoutes() {
		out.Routes = append(out.Routes, t.dubboRoute(index(field(path, "routes"), i), r))
	}
	return out
}

func (t *translator) dubboRoute(path string, r *dubbov3.Route) config.DubboRoute {
	var out config.DubboRoute
	mp := field(path, "match")
	if mm := r.GetMatch().GetMethod(); mm != nil {
		mmp := field(mp, "method")
		if n := mm.GetName(); n != nil {
			sm := t.stringMatcher(field(mmp, "name"), n)
			out.Method = &sm
		}
		params := mm.GetParamsMatch()
		for _, i := range slices.Sorted(maps.Keys(params)) {
			out.Params = append(out.Params, dubboParamMatch(i, params[i]))
		}
	}
	for i, h := range r.GetMatch().GetHeaders() {
		out.Headers = append(out.Headers, t.headerMatcher(index(field(mp, "headers"), i), h))
	}
	ap := field(path, "route")
	a := r.GetRoute()
	switch spec := a.GetClusterSpecifier().(type) {
	case *dubbov3.RouteAction_Cluster:
		out.Cluster = spec.Cluster
	case *dubbov3.RouteAction_WeightedClusters:
		out.WeightedClusters = t.weightedClusters(field(ap, "weighted_clusters"), spec.WeightedClusters)
	}
	if md := a.GetMetadataMatch(); md != nil {
		out.MetadataMatch = t.dubboMetadataMatch(field(ap, "metadata_match"), md)
	}
	return out
}

func dubboParamMatch(i uint32, pm *dubbov3.MethodMatch_ParameterMatchSpecifier) config.DubboParamMatch {
	out := config.DubboParamMatch{Index: i}
	switch spec := pm.GetParameterMatchSpecifier().(type) {
	case *dubbov3.MethodMatch_ParameterMatchSpecifier_ExactMatch:
		out.Exact = spec.ExactMatch
	case *dubbov3.MethodMatch_ParameterMatchSpecifier_RangeMatch:
		out.IsRange, out.Start, out.End = true, spec.RangeMatch.GetStart(), spec.RangeMatch.GetEnd()
	default:
		// Envoy matches any value then, like an empty exact_match.
	}
	return out
}

// dubboMetadataMatch reads the endpoint subset of a route: string values
// under filter_metadata "envoy.lb", the only namespace endpoints carry.
func (t *translator) dubboMetadataMatch(path string, md *corev3.Metadata) map[string]string {
	fp := field(path, "filter_metadata")
	for _, ns := range slices.Sorted(maps.Keys(md.GetFilterMetadata())) {
		if ns != lbMetadataKey {
			t.errs.add(key(fp, ns), "endpoints are matched on filter_metadata %q only", lbMetadataKey)
		}
	}
	out := t.lbMetadata(path, md)
	if s, ok := md.GetFilterMetadata()[lbMetadataKey]; ok && len(s.GetFields()) == 0 {
		t.errs.add(key(fp, lbMetadataKey), "is empty: it would match every endpoint")
	}
	return out
}

// stringMatcher translates a type.matcher.v3.StringMatcher.
func (t *translator) stringMatcher(path string, m *matcherv3.StringMatcher) config.StringMatch {
	out := config.StringMatch{IgnoreCase: m.GetIgnoreCase()}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		out.Kind, out.Value = config.MatchExact, p.Exact
	case *matcherv3.StringMatcher_Prefix:
		out.Kind, out.Value = config.MatchPrefix, p.Prefix
	case *matcherv3.StringMatcher_Suffix:
		out.Kind, out.Value = config.MatchSuffix, p.Suffix
	case *matcherv3.StringMatcher_Contains:
		out.Kind, out.Value = config.MatchContains, p.Contains
	case *matcherv3.StringMatcher_SafeRegex:
		out.Kind, out.Value = config.MatchRegex, p.SafeRegex.GetRegex()
		if out.IgnoreCase {
			t.errs.add(field(path, "ignore_case"), "has no effect on safe_regex (use (?i) in the regex)")
		}
	}
	return out
}

// headerMatcher translates a route.v3.HeaderMatcher, for Dubbo matched
// against the request's attachments.
func (t *translator) headerMatcher(path string, h *routev3.HeaderMatcher) config.HeaderMatch {
	out := config.HeaderMatch{Name: h.GetName(), Invert: h.GetInvertMatch()}
	//nolint:staticcheck // the deprecated matchers are still Envoy's API.
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case *routev3.HeaderMatcher_ExactMatch:
		out.String = config.StringMatch{Kind: config.MatchExact, Value: s.ExactMatch}
	case *routev3.HeaderMatcher_PrefixMatch:
		out.String = config.StringMatch{Kind: config.MatchPrefix, Value: s.PrefixMatch}
	case *routev3.HeaderMatcher_SuffixMatch:
		out.String = config.StringMatch{Kind: config.MatchSuffix, Value: s.SuffixMatch}
	case *routev3.HeaderMatcher_ContainsMatch:
		out.String = config.StringMatch{Kind: config.MatchContains, Value: s.ContainsMatch}
	case *routev3.HeaderMatcher_SafeRegexMatch:
		out.String = config.StringMatch{Kind: config.MatchRegex, Value: s.SafeRegexMatch.GetRegex()}
	case *routev3.HeaderMatcher_StringMatch:
		out.String = t.stringMatcher(field(path, "string_match"), s.StringMatch)
	case *routev3.HeaderMatcher_PresentMatch:
		out.Kind, out.Present = config.HeaderPresent, s.PresentMatch
	case *routev3.HeaderMatcher_RangeMatch:
		out.Kind, out.Start, out.End = config.HeaderRange, s.RangeMatch.GetStart(), s.RangeMatch.GetEnd()
	default:
		// No specifier: Envoy checks presence.
		out.Kind, out.Present = config.HeaderPresent, true
	}
	return out
}
