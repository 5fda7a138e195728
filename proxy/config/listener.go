package config

import "time"

// Listener is a bound socket plus the filter chains that serve its
// connections (Envoy's listener.v3.Listener).
type Listener struct {
	Name    string
	Address Address
	// StatPrefix replaces the address in listener stat names when set
	// (Envoy's stat_prefix): listener.<StatPrefix>.downstream_cx_total.
	StatPrefix string
	// TLSInspector peeks the TLS ClientHello (SNI, ALPN) without terminating
	// TLS, so filter chains can match on server_names, transport_protocol
	// and application_protocols.
	TLSInspector bool
	// ListenerFilterTimeout bounds how long listener filters may wait for
	// bytes (Envoy default 15s). On timeout the connection continues with
	// what is known unless ContinueOnListenerFiltersTimeout is false, in
	// which case it is closed.
	ListenerFilterTimeout            time.Duration
	ContinueOnListenerFiltersTimeout bool
	// PerConnectionBufferLimit caps bytes buffered per connection
	// (Envoy's per_connection_buffer_limit_bytes, default 1 MiB).
	PerConnectionBufferLimit uint32
	FilterChains             []*FilterChain
	// DefaultFilterChain serves connections no chain matches; may be nil.
	DefaultFilterChain *FilterChain
}

// StatName is the listener's segment in stat names.
func (l *Listener) StatName() string {
	if l.StatPrefix != "" {
		return l.StatPrefix
	}
	return l.Address.StatName()
}

// FilterChain is a match plus an ordered list of network filters. The last
// filter is terminal (tcp_proxy, redis_proxy, ...).
type FilterChain struct {
	Name    string
	Match   FilterChainMatch
	Filters []NetworkFilter
	// TLS, when set, terminates TLS on the chain's connections (Envoy's
	// transport_socket envoy.transport_sockets.tls).
	TLS *DownstreamTLS
}

// FilterChainMatch selects a filter chain. Zero values match anything.
// Matching follows Envoy's order: destination port, server names,
// transport protocol, application protocols; the most specific wins.
type FilterChainMatch struct {
	DestinationPort uint32
	// ServerNames are exact names or "*.suffix" wildcards, lower case.
	ServerNames []string
	// TransportProtocol is "", "raw_buffer" or "tls".
	TransportProtocol    string
	ApplicationProtocols []string
}

// NetworkFilter is one entry of a filter chain. Concrete types: *TCPProxy,
// *ConnectionLimit, *RedisProxy, *RedisCommandPolicy. Protocol proxies
// (dubbo_proxy, ...) add their own types as they land.
type NetworkFilter interface {
	// FilterName is the Envoy filter name, e.g. "envoy.filters.network.tcp_proxy".
	FilterName() string
	// Terminal reports whether the filter must be the last in its chain.
	Terminal() bool
}

// Filter names accepted in filter chains.
const (
	TCPProxyFilter        = "envoy.filters.network.tcp_proxy"
	ConnectionLimitFilter = "envoy.filters.network.connection_limit"
)

// TCPProxy forwards a connection's bytes to one upstream host
// (Envoy's tcp_proxy.v3.TcpProxy).
type TCPProxy struct {
	StatPrefix string
	// Exactly one of Cluster and WeightedClusters is set.
	Cluster          string
	WeightedClusters []WeightedCluster
	// IdleTimeout closes a connection with no bytes in either direction for
	// this long; 0 disables it. Envoy's default is 1h.
	IdleTimeout time.Duration
	// MaxConnectAttempts is the number of upstream connect attempts, >= 1.
	MaxConnectAttempts uint32
	// HashSourceIP hashes the downstream source IP for RING_HASH and MAGLEV
	// clusters (Envoy's hash_policy source_ip).
	HashSourceIP bool
	AccessLogs   []AccessLog
}

// FilterName implements NetworkFilter.
func (*TCPProxy) FilterName() string { return TCPProxyFilter }

// Terminal implements NetworkFilter.
func (*TCPProxy) Terminal() bool { return true }

// WeightedCluster is one target of a weighted split.
type WeightedCluster struct {
	Name   string
	Weight uint32
}

// ConnectionLimit caps active connections on a filter chain (Envoy's
// connection_limit.v3.ConnectionLimit). Connections over the limit are
// closed after Delay.
type ConnectionLimit struct {
	StatPrefix     string
	MaxConnections uint64
	Delay          time.Duration
}

// FilterName implements NetworkFilter.
func (*ConnectionLimit) FilterName() string { return ConnectionLimitFilter }

// Terminal implements NetworkFilter.
func (*ConnectionLimit) Terminal() bool { return false }

// AccessLog writes one line per finished connection or request
// (Envoy's file access logger). Path "/dev/stdout" and "/dev/stderr" are
// the process's own streams.
type AccessLog struct {
	Path string
	// Exactly one of Text and JSON is set; both empty means Envoy's
	// default text format. Values use Envoy command operators such as
	// %START_TIME%, %BYTES_RECEIVED% or %UPSTREAM_HOST%.
	Text string
	JSON map[string]string
}
