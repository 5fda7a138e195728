package server

import (
	"maps"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3" // every HTTP listener names it
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	rsrc "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
)

// kind describes one resource type the control plane serves.
type kind struct {
	short     string // "lds", "cds", ... for versions and status
	nameField string // the field that names a resource
	name      func(proto.Message) string
}

// kinds are the served resource types by type URL.
var kinds = map[string]kind{
	rsrc.ListenerType: {short: "lds", nameField: "name", name: func(m proto.Message) string {
		return m.(*listenerv3.Listener).GetName()
	}},
	rsrc.ClusterType: {short: "cds", nameField: "name", name: func(m proto.Message) string {
		return m.(*clusterv3.Cluster).GetName()
	}},
	rsrc.EndpointType: {short: "eds", nameField: "cluster_name", name: func(m proto.Message) string {
		return m.(*endpointv3.ClusterLoadAssignment).GetClusterName()
	}},
	rsrc.RouteType: {short: "rds", nameField: "name", name: func(m proto.Message) string {
		return m.(*routev3.RouteConfiguration).GetName()
	}},
	rsrc.SecretType: {short: "sds", nameField: "name", name: func(m proto.Message) string {
		return m.(*tlsv3.Secret).GetName()
	}},
}

// typeURLs returns the served type URLs, sorted.
func typeURLs() []string {
	return slices.Sorted(maps.Keys(kinds))
}
