package xds

import (
	"fmt"
	"maps"
	"slices"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	dubbov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// How the dynamic resources are shown, for each type:
//
//   - clusters and secrets: those of the state in force (applied) are
//     active; a version accepted since, while the state warms (an EDS
//     cluster waits for its load assignment, a listener for a cluster or
//     secret), is warming, so a name can be both, as in Envoy;
//   - listeners: one entry per name with active_state (in force),
//     warming_state (accepted, not yet in force) and error_state;
//   - load assignments and Dubbo route configurations, which Envoy's dump
//     does not split by state: the accepted version.
//
// A rejected resource's error_state goes on its newest entry; a listener
// that was never accepted is shown with its error_state alone. Every
// resource is decoded from its bytes and redacted at request time.

// dumpResourceTypes are the message types of the kept resources.
var dumpResourceTypes = map[string]protoreflect.MessageType{
	ListenerTypeURL:   (&listenerv3.Listener{}).ProtoReflect().Type(),
	ClusterTypeURL:    (&clusterv3.Cluster{}).ProtoReflect().Type(),
	EndpointTypeURL:   (&endpointv3.ClusterLoadAssignment{}).ProtoReflect().Type(),
	SecretTypeURL:     (&tlsv3.Secret{}).ProtoReflect().Type(),
	DubboRouteTypeURL: (&dubbov3.MultipleRouteConfiguration{}).ProtoReflect().Type(),
	RouteTypeURL:      (&routev3.RouteConfiguration{}).ProtoReflect().Type(),
}

// resourceAny decodes an accepted resource of typ, redacts it and packs
// it again.
func (r *dumpRenderer) resourceAny(typ string, raw []byte) (*anypb.Any, error) {
	m := dumpResourceTypes[typ].New()
	if err := proto.Unmarshal(raw, m.Interface()); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	redact(m, false)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.Interface())
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return &anypb.Any{TypeUrl: typ, Value: b}, nil
}

// failureState returns the error_state of the resource name of typ, or
// nil.
func (r *dumpRenderer) failureState(typ, name string) *adminv3.UpdateFailureState {
	f := r.view.failures[typ][name]
	if f == nil {
		return nil
	}
	a := proto.Clone(f.res).(*anypb.Any)
	redact(a.ProtoReflect(), false)
	return &adminv3.UpdateFailureState{
		FailedConfiguration: a,
		LastUpdateAttempt:   timestamppb.New(f.at),
		Details:             f.details,
		VersionInfo:         f.version,
	}
}

// sortedKept returns the names of the maps the query keeps, sorted,
// without duplicates.
func (r *dumpRenderer) sortedKept(ms ...map[string]*dumpVersion) []string {
	var names []string
	for _, m := range ms {
		for n := range m {
			if r.q.keep(n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// eachActiveWarming calls fn with the active resources of typ, then the
// warming ones, each sorted by name.
func (r *dumpRenderer) eachActiveWarming(typ string, fn func(name string, v *dumpVersion, warming bool, f *adminv3.UpdateFailureState) error) error {
	applied, accepted := r.view.applied[typ], r.view.accepted[typ]
	for _, n := range r.sortedKept(applied) {
		var f *adminv3.UpdateFailureState
		if w := accepted[n]; w == nil || w == applied[n] {
			f = r.failureState(typ, n)
		}
		if err := fn(n, applied[n], false, f); err != nil {
			return err
		}
	}
	warming := maps.Clone(accepted)
	maps.DeleteFunc(warming, func(n string, v *dumpVersion) bool { return applied[n] == v })
	for _, n := range r.sortedKept(warming) {
		if err := fn(n, warming[n], true, r.failureState(typ, n)); err != nil {
			return err
		}
	}
	return nil
}

// eachAccepted calls fn with the accepted resources of typ, sorted by
// name, decoded and redacted.
func (r *dumpRenderer) eachAccepted(typ string, fn func(name string, v *dumpVersion, a *anypb.Any, f *adminv3.UpdateFailureState)) error {
	accepted := r.view.accepted[typ]
	for _, n := range r.sortedKept(accepted) {
		v := accepted[n]
		a, err := r.resourceAny(typ, v.raw)
		if err != nil {
			return fmt.Errorf("%s %q: %w", dumpKinds[typ], n, err)
		}
		fn(n, v, a, r.failureState(typ, n))
	}
	return nil
}

// dynamicListeners returns the dynamic listeners, sorted by name.
func (r *dumpRenderer) dynamicListeners() ([]*adminv3.ListenersConfigDump_DynamicListener, error) {
	applied, accepted := r.view.applied[ListenerTypeURL], r.view.accepted[ListenerTypeURL]
	failed := map[string]*dumpVersion{}
	for n := range r.view.failures[ListenerTypeURL] {
		failed[n] = nil
	}
	var out []*adminv3.ListenersConfigDump_DynamicListener
	for _, n := range r.sortedKept(applied, accepted, failed) {
		dl := &adminv3.ListenersConfigDump_DynamicListener{Name: n, ErrorState: r.failureState(ListenerTypeURL, n)}
		var err error
		if v := applied[n]; v != nil {
			if dl.ActiveState, err = r.listenerState(n, v); err != nil {
				return nil, err
			}
		}
		if v := accepted[n]; v != nil && v != applied[n] {
			if dl.WarmingState, err = r.listenerState(n, v); err != nil {
				return nil, err
			}
		}
		out = append(out, dl)
	}
	return out, nil
}

func (r *dumpRenderer) listenerState(name string, v *dumpVersion) (*adminv3.ListenersConfigDump_DynamicListenerState, error) {
	a, err := r.resourceAny(ListenerTypeURL, v.raw)
	if err != nil {
		return nil, fmt.Errorf("listener %q: %w", name, err)
	}
	return &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: v.meta.version, Listener: a, LastUpdated: timestamppb.New(v.meta.at)}, nil
}
