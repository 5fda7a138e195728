package xds

import (
	"reflect"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestPlainEndpointMatchesFullTranslation checks that the fast path for
// usual endpoints gives what the full translation gives, and declines
// every endpoint the full translation has something to say about.
func TestPlainEndpointMatchesFullTranslation(t *testing.T) {
	sock := func(addr string, port uint32) *corev3.Address {
		return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: addr, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
		}}}
	}
	ep := func(a *corev3.Address) *endpointv3.LbEndpoint {
		return &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: a}}}
	}
	md, err := structpb.NewStruct(map[string]any{"version": "v2"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc  string
		lbe   *endpointv3.LbEndpoint
		plain bool // the fast path takes it
	}{
		{"ipv4", ep(sock("10.0.0.1", 80)), true},
		{"ipv6 canonical", ep(sock("2001:db8::1", 80)), true},
		{"ipv6 not canonical", ep(sock("2001:0db8:0::1", 80)), true},
		{"ipv4-mapped", ep(sock("::ffff:10.0.0.1", 80)), true},
		{"weight, health, hostname", func() *endpointv3.LbEndpoint {
			e := ep(sock("10.0.0.2", 81))
			e.LoadBalancingWeight = wrapperspb.UInt32(7)
			e.HealthStatus = corev3.HealthStatus_DRAINING
			e.GetEndpoint().Hostname = "a.example"
			return e
		}(), true},
		{"host name", ep(sock("backend.example", 80)), false},
		{"port 0", ep(sock("10.0.0.1", 0)), false},
		{"no endpoint", &endpointv3.LbEndpoint{}, false},
		{"no address", &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{}}}, false},
		{"udp", func() *endpointv3.LbEndpoint {
			e := ep(sock("10.0.0.1", 53))
			e.GetEndpoint().GetAddress().GetSocketAddress().Protocol = corev3.SocketAddress_UDP
			return e
		}(), false},
		{"named port", ep(&corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: "10.0.0.1", PortSpecifier: &corev3.SocketAddress_NamedPort{NamedPort: "http"},
		}}}), false},
		{"metadata", func() *endpointv3.LbEndpoint {
			e := ep(sock("10.0.0.1", 80))
			e.Metadata = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{lbMetadataKey: md}}
			return e
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, ok := plainEndpoint(tt.lbe)
			if ok != tt.plain {
				t.Fatalf("plainEndpoint took it: %v, want %v", ok, tt.plain)
			}
			var tr translator
			want := tr.lbEndpoint("ep", tt.lbe, ipEndpoint)
			if !ok {
				return
			}
			if tr.errs.len() > 0 {
				t.Fatalf("the fast path took an endpoint the full translation rejects: %v", tr.errs.err())
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("plainEndpoint = %+v, lbEndpoint = %+v", got, want)
			}
		})
	}
}
