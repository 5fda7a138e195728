package xds

import (
	"fmt"
	"maps"
	"slices"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// routes renders the RoutesConfigDump as Envoy does: the route
// configurations inline in HTTP connection managers are static_route_configs
// (those of the static listeners, updated when the bootstrap took effect,
// then those of the dynamic listeners in force, updated when their
// listener was), and the route configurations received by route
// discovery are dynamic_route_configs with their version, time and
// error_state: HTTP (RDS) ones, then Dubbo (drds) ones.
func (r *dumpRenderer) routes() (proto.Message, error) {
	out := &adminv3.RoutesConfigDump{}
	add := func(rc *routev3.RouteConfiguration, at *timestamppb.Timestamp) error {
		if !r.q.keep(rc.GetName()) {
			return nil
		}
		a, err := anypb.New(rc)
		if err != nil {
			return err
		}
		out.StaticRouteConfigs = append(out.StaticRouteConfigs, &adminv3.RoutesConfigDump_StaticRouteConfig{RouteConfig: a, LastUpdated: at})
		return nil
	}
	for _, l := range r.b.GetStaticResources().GetListeners() {
		for _, rc := range inlineRouteConfigs(l) {
			if err := add(rc, r.ts); err != nil {
				return nil, err
			}
		}
	}
	applied := r.view.applied[ListenerTypeURL]
	for _, n := range slices.Sorted(maps.Keys(applied)) {
		v := applied[n]
		l := &listenerv3.Listener{}
		if err := proto.Unmarshal(v.raw, l); err != nil {
			return nil, fmt.Errorf("listener %q: decode: %w", n, err)
		}
		for _, rc := range inlineRouteConfigs(l) {
			redact(rc.ProtoReflect(), false)
			if err := add(rc, timestamppb.New(v.meta.at)); err != nil {
				return nil, err
			}
		}
	}
	for _, typ := range []string{RouteTypeURL, DubboRouteTypeURL} {
		err := r.eachAccepted(typ, func(name string, v *dumpVersion, a *anypb.Any, f *adminv3.UpdateFailureState) {
			out.DynamicRouteConfigs = append(out.DynamicRouteConfigs, &adminv3.RoutesConfigDump_DynamicRouteConfig{
				VersionInfo: v.meta.version, RouteConfig: a, LastUpdated: timestamppb.New(v.meta.at), ErrorState: f,
			})
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// staticRoutes reports whether a static listener of the bootstrap has an
// inline HTTP route configuration, which makes a static bootstrap's dump
// show routes.
func (r *dumpRenderer) staticRoutes() bool {
	for _, l := range r.b.GetStaticResources().GetListeners() {
		if len(inlineRouteConfigs(l)) > 0 {
			return true
		}
	}
	return false
}

// inlineRouteConfigs returns the route_config of every HTTP connection
// manager of l, in filter chain order. Filters whose config does not
// decode are skipped: the listener was accepted, so they are other
// filters.
func inlineRouteConfigs(l *listenerv3.Listener) []*routev3.RouteConfiguration {
	var out []*routev3.RouteConfiguration
	chains := l.GetFilterChains()
	if dc := l.GetDefaultFilterChain(); dc != nil {
		chains = append(chains[:len(chains):len(chains)], dc)
	}
	hcmType := (&hcmv3.HttpConnectionManager{}).ProtoReflect().Descriptor().FullName()
	for _, fc := range chains {
		for _, f := range fc.GetFilters() {
			tc := f.GetTypedConfig()
			if typeURLName(tc.GetTypeUrl()) != hcmType {
				continue
			}
			m := &hcmv3.HttpConnectionManager{}
			if err := proto.Unmarshal(tc.GetValue(), m); err != nil {
				continue
			}
			if rc := m.GetRouteConfig(); rc != nil {
				out = append(out, rc)
			}
		}
	}
	return out
}
