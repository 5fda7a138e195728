package config

import (
	"fmt"
	"net"
	"strconv"
)

// Snapshot is one complete, immutable configuration.
type Snapshot struct {
	// Version labels the snapshot (a file hash, an xDS version). Informational.
	Version string
	Node    Node
	// Admin is nil when no admin server is configured.
	Admin     *Admin
	Listeners []*Listener
	Clusters  []*Cluster
	// Secrets are the SDS secrets by name (Envoy's Secret resources, from
	// ADS or path_config_source files) that TLS contexts refer to.
	Secrets map[string]*Secret
	// DubboRoutes are the Dubbo route tables received by route discovery
	// (drds), by name, that dubbo_proxy filters name by RouteConfigName.
	DubboRoutes map[string]*DubboRouteTable
	// HTTPRoutes are the HTTP route tables received by route discovery
	// (RDS), by name, that HTTP connection managers name by
	// RouteConfigName.
	HTTPRoutes map[string]*HTTPRouteConfig
	// ADS is the aggregated discovery source of dynamic listeners and
	// clusters (Envoy's dynamic_resources.ads_config); nil when the
	// configuration is static only.
	ADS *ADSSource
	// Stats are the bootstrap's process-wide stats settings; they take
	// effect when the process starts.
	Stats StatsOptions
}

// StatsOptions are process-wide stats settings from the bootstrap.
type StatsOptions struct {
	// DeferredCreation creates the stats groups that allow it (a
	// cluster's traffic stats: upstream_cx_*, upstream_rq_*) when first
	// used instead of with their owner (Envoy's
	// deferred_stat_options.enable_deferred_creation_stats).
	DeferredCreation bool
}

// ADSSource names the control plane serving the Aggregated Discovery
// Service (state of the world, v3). Cluster is a STATIC cluster of the
// snapshot with exactly one endpoint: the control plane's address.
type ADSSource struct {
	Cluster string
}

// adsClusterPath is where the ADS cluster is named in a bootstrap.
const adsClusterPath = "dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name"

// ADSTarget returns the address of the ADS control plane: the single
// endpoint of the ADS cluster. It is valid on a validated snapshot whose
// ADS is set.
func (s *Snapshot) ADSTarget() (Address, error) {
	if s.ADS == nil {
		return Address{}, fmt.Errorf("find ads target: no ads source")
	}
	c := s.Cluster(s.ADS.Cluster)
	if c == nil {
		return Address{}, fieldErr(adsClusterPath, "cluster %q does not exist", s.ADS.Cluster)
	}
	if c.Type != Static {
		return Address{}, fieldErr(adsClusterPath, "cluster %q must be STATIC, is %s", c.Name, c.Type)
	}
	var eps []Endpoint
	if c.LoadAssignment != nil {
		for _, l := range c.LoadAssignment.Localities {
			eps = append(eps, l.Endpoints...)
		}
	}
	if len(eps) != 1 {
		return Address{}, fieldErr(adsClusterPath, "cluster %q must have exactly one endpoint, has %d", c.Name, len(eps))
	}
	return eps[0].Address, nil
}

// Node identifies this proxy to a control plane (Envoy's core.v3.Node).
type Node struct {
	ID      string
	Cluster string
	// Metadata is node.metadata as JSON values (what a control plane
	// such as istiod reads to tell proxies apart); nil when unset.
	Metadata map[string]any
	// Region, Zone and SubZone are node.locality; empty when unset.
	Region, Zone, SubZone string
}

// Admin configures the admin HTTP server.
type Admin struct {
	Address Address
	// AccessLogs for admin requests; may be empty.
	AccessLogs []AccessLog
}

// Address is a TCP socket address. Host is an IP literal for listeners and
// STATIC endpoints, or a DNS name for STRICT_DNS and LOGICAL_DNS endpoints.
type Address struct {
	Host string
	Port uint32
}

// String returns host:port, bracketing IPv6 literals.
func (a Address) String() string {
	return net.JoinHostPort(a.Host, strconv.FormatUint(uint64(a.Port), 10))
}

// StatName returns the address as Envoy spells it inside stat names:
// "127.0.0.1_10000", "[::1]_10000".
func (a Address) StatName() string {
	h := a.Host
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		h = "[" + h + "]"
	}
	return fmt.Sprintf("%s_%d", h, a.Port)
}

// Cluster returns the cluster named name, or nil.
func (s *Snapshot) Cluster(name string) *Cluster {
	for _, c := range s.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Listener returns the listener named name, or nil.
func (s *Snapshot) Listener(name string) *Listener {
	for _, l := range s.Listeners {
		if l.Name == name {
			return l
		}
	}
	return nil
}
