package xds

import (
	"errors"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	connlimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/connection_limit/v3"
	mongov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/mongo_proxy/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sidewire/sidewire/proxy/config"
)

// These tests feed resources built in Go, as the ADS client will get
// them off the wire, rather than decoded from a bootstrap.

func socketAddr(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func listenerWith(t *testing.T, cfg proto.Message) *listenerv3.Listener {
	return &listenerv3.Listener{
		Name:    "l",
		Address: socketAddr("127.0.0.1", 10000),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: "f", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t, cfg)},
		}}}},
	}
}

// errorLines returns the lines of err's message.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestTranslateListenerFromProto(t *testing.T) {
	l, err := TranslateListener("lds[l]", listenerWith(t, &tcpproxyv3.TcpProxy{
		StatPrefix:       "p",
		ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "c"},
	}))
	if err != nil {
		t.Fatalf("TranslateListener: %v", err)
	}
	tp, ok := l.FilterChains[0].Filters[0].(*config.TCPProxy)
	if !ok || tp.Cluster != "c" || tp.StatPrefix != "p" || tp.MaxConnectAttempts != 1 {
		t.Errorf("filter = %+v", l.FilterChains[0].Filters[0])
	}
}

func TestTranslateListenerErrors(t *testing.T) {
	withUnknown := listenerWith(t, &tcpproxyv3.TcpProxy{StatPrefix: "p", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "c"}})
	b, err := proto.Marshal(withUnknown)
	if err != nil {
		t.Fatal(err)
	}
	b = protowire.AppendTag(b, 9999, protowire.VarintType)
	b = protowire.AppendVarint(b, 1)
	withUnknown = &listenerv3.Listener{}
	if err := proto.Unmarshal(b, withUnknown); err != nil {
		t.Fatal(err)
	}

	freebind := listenerWith(t, &tcpproxyv3.TcpProxy{StatPrefix: "p", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "c"}})
	freebind.Freebind = wrapperspb.Bool(true)

	for _, tc := range []struct {
		name string
		l    *listenerv3.Listener
		want []string
	}{
		{
			name: "unsupported filter type",
			l:    listenerWith(t, &mongov3.MongoProxy{StatPrefix: "m"}),
			want: []string{`lds[l].filter_chains[0].filters[0]: unsupported filter "f" (typed_config is type.googleapis.com/envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy)`},
		},
		{
			name: "unknown fields from a newer API",
			l:    withUnknown,
			want: []string{"lds[l]: has fields unknown to envoy.config.listener.v3.Listener (sent by a newer Envoy API?)"},
		},
		{
			name: "unsupported field",
			l:    freebind,
			want: []string{"lds[l].freebind: not supported"},
		},
		{
			name: "validation rule inside typed_config",
			l:    listenerWith(t, &connlimitv3.ConnectionLimit{StatPrefix: "x"}),
			want: []string{
				"lds[l].filter_chains[0].filters[0].typed_config.max_connections: is required",
			},
		},
		{
			name: "negative duration without a validation rule",
			l: func() *listenerv3.Listener {
				l := listenerWith(t, &tcpproxyv3.TcpProxy{StatPrefix: "p", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "c"}})
				l.ListenerFiltersTimeout = durationpb.New(-time.Second)
				return l
			}(),
			want: []string{"lds[l].listener_filters_timeout: must not be negative, got -1s"},
		},
		{
			name: "no address",
			l:    &listenerv3.Listener{Name: "l", FilterChains: listenerWith(t, &tcpproxyv3.TcpProxy{StatPrefix: "p", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "c"}}).FilterChains},
			want: []string{"lds[l].address: is required"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := TranslateListener("lds[l]", tc.l)
			if out != nil {
				t.Errorf("got a listener despite errors: %+v", out)
			}
			if got := errorLines(err); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("errors.As(*config.FieldError) failed for %v", err)
			}
		})
	}
}

func TestTranslateLoadAssignment(t *testing.T) {
	la := &endpointv3.ClusterLoadAssignment{
		ClusterName: "svc",
		Endpoints: []*endpointv3.LocalityLbEndpoints{{
			Priority: 1,
			LbEndpoints: []*endpointv3.LbEndpoint{
				{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socketAddr("10.0.0.1", 80)}}},
				{
					HostIdentifier:      &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socketAddr("fe80::1", 80)}},
					LoadBalancingWeight: wrapperspb.UInt32(7),
					HealthStatus:        corev3.HealthStatus_DRAINING,
				},
			},
		}},
	}
	out, err := TranslateLoadAssignment("eds[svc]", la)
	if err != nil {
		t.Fatalf("TranslateLoadAssignment: %v", err)
	}
	eps := out.Localities[0].Endpoints
	if out.OverprovisioningFactor != 140 || out.Localities[0].Priority != 1 || len(eps) != 2 {
		t.Fatalf("got %+v", out)
	}
	if eps[0].Weight != 1 || eps[1].Weight != 7 || eps[1].Health != config.HealthDraining || eps[1].Address.Host != "fe80::1" {
		t.Errorf("endpoints = %+v", eps)
	}

	// EDS endpoints must be IP addresses, as in Envoy.
	la.Endpoints[0].LbEndpoints[0].GetEndpoint().Address = socketAddr("db.example.com", 80)
	_, err = TranslateLoadAssignment("eds[svc]", la)
	want := `eds[svc].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: "db.example.com" is not an IP address (use a STRICT_DNS or LOGICAL_DNS cluster for host names)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestTranslateClusterUnsupported(t *testing.T) {
	c := &clusterv3.Cluster{
		Name:            "c",
		TransportSocket: &corev3.TransportSocket{Name: "envoy.transport_sockets.alts"},
		LoadAssignment:  &endpointv3.ClusterLoadAssignment{ClusterName: "c"},
	}
	_, err := TranslateCluster("cds[c]", c)
	if err == nil || err.Error() != `cds[c].transport_socket: unsupported transport socket "envoy.transport_sockets.alts"` {
		t.Errorf("err = %v", err)
	}
}

// TestProtocolOptionsHook registers a translator the way protocol support
// will, and checks entries reach config.Cluster.ProtocolOptions.
func TestProtocolOptionsHook(t *testing.T) {
	const name = "sidewire.test.options"
	protocolOptions[name] = protocolOption{
		msgType: (&connlimitv3.ConnectionLimit{}).ProtoReflect().Type(),
		translate: func(_ *translator, _ string, m proto.Message) any {
			return m.(*connlimitv3.ConnectionLimit).GetStatPrefix()
		},
	}
	t.Cleanup(func() { delete(protocolOptions, name) })

	cluster := func(opt proto.Message) *clusterv3.Cluster {
		return &clusterv3.Cluster{
			Name:                          "c",
			LoadAssignment:                &endpointv3.ClusterLoadAssignment{ClusterName: "c"},
			TypedExtensionProtocolOptions: map[string]*anypb.Any{name: mustAny(t, opt)},
		}
	}
	out, err := TranslateCluster("cds[c]", cluster(&connlimitv3.ConnectionLimit{StatPrefix: "opts", MaxConnections: wrapperspb.UInt64(1)}))
	if err != nil {
		t.Fatalf("TranslateCluster: %v", err)
	}
	if got := out.ProtocolOptions[name]; got != "opts" {
		t.Errorf("ProtocolOptions[%q] = %v, want opts", name, got)
	}
	_, err = TranslateCluster("cds[c]", cluster(&tcpproxyv3.TcpProxy{StatPrefix: "x"}))
	want := `cds[c].typed_extension_protocol_options["sidewire.test.options"]: must hold a envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit, got "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	// The registered type is resolvable in bootstrap Any values.
	if anyType("envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit") == nil {
		t.Error("anyType does not resolve the protocol option type")
	}
}
