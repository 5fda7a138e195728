package config

import "time"

// ClusterType is how a cluster finds its endpoints.
type ClusterType int

// Cluster discovery types (Envoy's Cluster.DiscoveryType).
const (
	Static ClusterType = iota
	StrictDNS
	LogicalDNS
	EDS
	// RedisClusterType is Envoy's custom cluster type envoy.clusters.redis:
	// a Redis Cluster whose hosts and slots are discovered from the seeds
	// in LoadAssignment (see RedisClusterConfig).
	RedisClusterType
)

func (t ClusterType) String() string {
	switch t {
	case Static:
		return "STATIC"
	case StrictDNS:
		return "STRICT_DNS"
	case LogicalDNS:
		return "LOGICAL_DNS"
	case EDS:
		return "EDS"
	case RedisClusterType:
		return "envoy.clusters.redis"
	}
	return "UNKNOWN"
}

// LBPolicy picks a host among a priority level's healthy hosts.
type LBPolicy int

// Load balancing policies (Envoy's Cluster.LbPolicy).
const (
	RoundRobin LBPolicy = iota
	LeastRequest
	Random
	RingHash
	Maglev
	// ClusterProvided leaves the choice to the cluster type; only
	// RedisClusterType clusters have it (slot-aware routing), and they
	// always do.
	ClusterProvided
)

func (p LBPolicy) String() string {
	switch p {
	case RoundRobin:
		return "ROUND_ROBIN"
	case LeastRequest:
		return "LEAST_REQUEST"
	case Random:
		return "RANDOM"
	case RingHash:
		return "RING_HASH"
	case Maglev:
		return "MAGLEV"
	case ClusterProvided:
		return "CLUSTER_PROVIDED"
	}
	return "UNKNOWN"
}

// Cluster is a named group of upstream endpoints (Envoy's cluster.v3.Cluster).
type Cluster struct {
	Name string
	Type ClusterType
	// ConnectTimeout bounds one upstream connect; Envoy's default is 5s.
	ConnectTimeout time.Duration
	LBPolicy       LBPolicy
	// LeastRequestChoices is the P2C choice count (default 2).
	LeastRequestChoices uint32
	// RingHash sizes (defaults 1024 and 8M).
	RingMinSize, RingMaxSize uint64
	// MaglevTableSize must be prime (default 65537).
	MaglevTableSize uint64
	// DNSRefreshRate for STRICT_DNS and LOGICAL_DNS (default 5s).
	DNSRefreshRate time.Duration
	// DNSLookupFamily is "auto", "v4_only", "v6_only", "v4_preferred" or
	// "all"; set for DNS and envoy.clusters.redis clusters.
	DNSLookupFamily string
	// RedisCluster is set exactly when Type is RedisClusterType.
	RedisCluster *RedisClusterConfig
	// EDSServiceName names the ClusterLoadAssignment for EDS clusters; empty
	// means the cluster name.
	EDSServiceName string
	// LoadAssignment holds the endpoints of STATIC and DNS clusters, the
	// seeds of envoy.clusters.redis clusters, and the last assignment
	// received for EDS clusters (nil until one arrives).
	LoadAssignment  *LoadAssignment
	CircuitBreakers CircuitBreakers
	HealthChecks    []HealthCheck
	// OutlierDetection is nil when passive health checking is off.
	OutlierDetection *OutlierDetection
	// ProtocolOptions holds typed_extension_protocol_options translated by
	// the protocol that owns them, keyed by Envoy extension name:
	// *RedisProtocolOptions under RedisProxyFilter, *HTTPProtocolOptions
	// under HTTPProtocolOptionsName.
	ProtocolOptions map[string]any
	// TLS, when set, originates TLS to the hosts (Envoy's transport_socket
	// envoy.transport_sockets.tls with an UpstreamTlsContext).
	TLS *UpstreamTLS
}

// HTTPProtocolOptionsName is the typed_extension_protocol_options key of
// Envoy's upstream HTTP options.
const HTTPProtocolOptionsName = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// HTTPProtocolOptions are a cluster's upstream HTTP options (Envoy's
// upstreams.http.v3.HttpProtocolOptions): which HTTP version the HTTP
// connection manager speaks to the cluster's hosts. A cluster without
// them is spoken to in HTTP/1.1; the ADS control plane's cluster must
// set HTTP2.
type HTTPProtocolOptions struct {
	// HTTP2 speaks HTTP/2 (h2c, or h2 over the cluster's TLS) to every
	// host (explicit_http_config.http2_protocol_options).
	HTTP2 bool
	// UseDownstream speaks the downstream request's version
	// (use_downstream_protocol_config); HTTP2 is then unset.
	UseDownstream bool
	// IdleTimeout closes an upstream connection idle this long
	// (common_http_protocol_options.idle_timeout, Envoy default 1h); 0
	// disables it.
	IdleTimeout time.Duration
	// MaxRequestsPerConnection closes an upstream connection after this
	// many requests; 0 means no limit.
	MaxRequestsPerConnection uint32
}

// LoadAssignment is a cluster's endpoints by locality and priority.
type LoadAssignment struct {
	Localities []LocalityEndpoints
	// OverprovisioningFactor in percent (Envoy default 140).
	OverprovisioningFactor uint32
}

// LocalityEndpoints is Envoy's LocalityLbEndpoints.
type LocalityEndpoints struct {
	Region, Zone, SubZone string
	// Weight is the locality weight; 0 when unset.
	Weight    uint32
	Priority  uint32
	Endpoints []Endpoint
}

// HealthStatus is the health an endpoint was given by its config source.
type HealthStatus int

// Endpoint health as assigned by EDS (Envoy's core.v3.HealthStatus,
// folded to what routing needs).
const (
	HealthUnknown HealthStatus = iota
	HealthHealthy
	HealthUnhealthy
	HealthDraining
	HealthDegraded
)

// Endpoint is one upstream host.
type Endpoint struct {
	Address Address
	// Hostname is the endpoint's hostname as given (for /clusters and logs).
	Hostname string
	// Weight is the load balancing weight, >= 1.
	Weight uint32
	Health HealthStatus
	// Metadata holds filter_metadata["envoy.lb"] string values, used for
	// subset matching (e.g. version=v2).
	Metadata map[string]string
}

// CircuitBreakers are the thresholds of the DEFAULT routing priority
// (Envoy defaults: 1024 connections, 1024 pending, 1024 requests, 3 retries).
type CircuitBreakers struct {
	MaxConnections     uint32
	MaxPendingRequests uint32
	MaxRequests        uint32
	MaxRetries         uint32
}

// DefaultCircuitBreakers returns Envoy's default thresholds.
func DefaultCircuitBreakers() CircuitBreakers {
	return CircuitBreakers{MaxConnections: 1024, MaxPendingRequests: 1024, MaxRequests: 1024, MaxRetries: 3}
}

// HealthCheck is an active health check. Only TCP checks exist so far:
// connect, optionally send Send and expect every Receive chunk in order.
type HealthCheck struct {
	Timeout            time.Duration
	Interval           time.Duration
	IntervalJitter     time.Duration
	UnhealthyThreshold uint32
	HealthyThreshold   uint32
	// NoTrafficInterval is unused until traffic tracking exists; kept for
	// /config_dump fidelity. Zero means Interval.
	NoTrafficInterval time.Duration
	TCP               *TCPHealthCheck
}

// TCPHealthCheck is Envoy's HealthCheck.TcpHealthCheck with payloads decoded.
type TCPHealthCheck struct {
	Send    []byte
	Receive [][]byte
}

// OutlierDetection ejects hosts that fail passively (Envoy's
// cluster.v3.OutlierDetection, consecutive-failure detectors only).
type OutlierDetection struct {
	// Consecutive5xx counts consecutive failures of any origin when
	// SplitExternalLocalOriginErrors is false (Envoy default 5).
	Consecutive5xx uint32
	// SplitExternalLocalOriginErrors counts local-origin failures (connect
	// failures, timeouts, resets) separately against
	// ConsecutiveLocalOriginFailure.
	SplitExternalLocalOriginErrors bool
	ConsecutiveLocalOriginFailure  uint32
	// Interval between ejection sweeps (default 10s).
	Interval time.Duration
	// BaseEjectionTime (default 30s) times the number of ejections, capped
	// by MaxEjectionTime (default 300s).
	BaseEjectionTime time.Duration
	MaxEjectionTime  time.Duration
	// MaxEjectionPercent of hosts ejected at once (default 10); at least one
	// host may always be ejected.
	MaxEjectionPercent uint32
	// EnforcingConsecutive5xx and EnforcingConsecutiveLocalOriginFailure are
	// percentages (default 100).
	EnforcingConsecutive5xx                uint32
	EnforcingConsecutiveLocalOriginFailure uint32
}
