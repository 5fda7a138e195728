package config

import "time"

// Names of the Dubbo proxy filter and of the Dubbo filters its
// dubbo_filters list accepts.
const (
	// DubboProxyFilter is Envoy's Dubbo network filter.
	DubboProxyFilter = "envoy.filters.network.dubbo_proxy"
	// DubboRouterFilter is Envoy's Dubbo router, the last Dubbo filter.
	DubboRouterFilter = "envoy.filters.dubbo.router"
	// DubboRouterType selects Sidewire's router options: the router
	// filter given as a TypedStruct of this type_url.
	DubboRouterType = "sidewire.io/sidewire.filters.dubbo.v1.Router"
	// DubboFaultFilter and DubboFaultType name Sidewire's Dubbo fault
	// injection filter.
	DubboFaultFilter = "sidewire.filters.dubbo.fault"
	DubboFaultType   = "sidewire.io/sidewire.filters.dubbo.v1.Fault"
	// DubboMirrorFilter and DubboMirrorType name Sidewire's Dubbo request
	// mirroring filter.
	DubboMirrorFilter = "sidewire.filters.dubbo.mirror"
	DubboMirrorType   = "sidewire.io/sidewire.filters.dubbo.v1.Mirror"
)

// Dubbo router defaults.
const (
	// DefaultDubboTimeout bounds a request that carries no usable
	// "timeout" attachment.
	DefaultDubboTimeout = 5 * time.Second
	// DefaultDubboMaxTimeout caps the "timeout" attachment.
	DefaultDubboMaxTimeout = 60 * time.Second
	// DefaultDubboUpstreamConnections is the number of upstream
	// connections per endpoint that all downstream connections share.
	DefaultDubboUpstreamConnections = 1
	// DefaultDubboHeartbeatInterval is Dubbo's own heartbeat period; an
	// upstream silent for three periods is closed.
	DefaultDubboHeartbeatInterval = 60 * time.Second
	// DefaultDubboMaxMetricPairs caps the service x method label pairs
	// of the sidewire_dubbo_* families; later pairs count as "other".
	DefaultDubboMaxMetricPairs = 256
)

// DubboProxy speaks the Dubbo 2 protocol (hessian2 bodies) to consumers
// and routes each request to a cluster of providers (Envoy's
// dubbo_proxy.v3.DubboProxy).
type DubboProxy struct {
	// StatPrefix roots the filter's stats: dubbo.<StatPrefix>.*.
	StatPrefix string
	// RouteConfigs are tried in order; the first whose interface, group
	// and version accept the request and that has a matching route wins.
	RouteConfigs []DubboRouteConfig
	// RouteConfigName, when set, takes the route configs from route
	// discovery instead (Envoy's drds): the Snapshot's DubboRoutes entry
	// of that name, swapped in for new requests whenever it changes,
	// without rebuilding the listener. RouteConfigs is then empty.
	RouteConfigName string
	// Router holds the router's settings (Envoy's router has none; these
	// come from Sidewire's router options).
	Router DubboRouter
	// Faults and Mirrors are the Sidewire Dubbo filters placed before
	// the router, each in its config order. Faults run first.
	Faults  []DubboFault
	Mirrors []DubboMirror
}

var _ NetworkFilter = (*DubboProxy)(nil)

// FilterName implements NetworkFilter.
func (*DubboProxy) FilterName() string { return DubboProxyFilter }

// Terminal implements NetworkFilter.
func (*DubboProxy) Terminal() bool { return true }

// DubboRouter are the router's upstream settings. Zero values take the
// defaults above when the IR is built by the xds translator.
type DubboRouter struct {
	// DefaultTimeout bounds a request without a "timeout" attachment.
	DefaultTimeout time.Duration
	// MaxTimeout caps the timeout a request asks for. A request that
	// runs out of time is answered with CLIENT_TIMEOUT (30).
	MaxTimeout time.Duration
	// UpstreamConnections per endpoint, shared by every downstream
	// connection of the filter.
	UpstreamConnections int
	// HeartbeatInterval sends a heartbeat on an upstream connection idle
	// this long; 0 disables heartbeats. HeartbeatTimeout (default three
	// intervals) closes a connection whose heartbeat goes unanswered.
	HeartbeatInterval time.Duration
	HeartbeatTimeout  time.Duration
	// MaxMetricPairs caps the service x method label pairs.
	MaxMetricPairs int
}

// DubboRouteTable is a set of route configs delivered by route
// discovery (Envoy's dubbo_proxy.v3.MultipleRouteConfiguration), which
// dubbo_proxy filters name by RouteConfigName. It is immutable.
type DubboRouteTable struct {
	Name         string
	RouteConfigs []DubboRouteConfig
}

// DubboRouteConfig is the route table of one service (Envoy's
// dubbo_proxy.v3.RouteConfiguration).
type DubboRouteConfig struct {
	Name string
	// Interface is the service interface: an exact name, "*" for any,
	// "*suffix" or "prefix*" (the wildcard never matches an empty
	// string).
	Interface string
	// Group, when set, admits only requests whose "group" attachment is
	// exactly Group (Envoy also admits requests without a group: envoy
	// issue 22032; Sidewire does not).
	Group string
	// Version, when set, admits only requests for that service version.
	Version string
	// Routes are tried in order; the first match wins.
	Routes []DubboRoute
}

// DubboRoute matches requests of a service and says where they go.
type DubboRoute struct {
	// Method matches the method name; nil matches any method.
	Method *StringMatch
	// Params match arguments by index, ascending; all must match.
	Params []DubboParamMatch
	// Headers match attachments; all must match.
	Headers []HeaderMatch
	// Exactly one of Cluster and WeightedClusters is set.
	Cluster          string
	WeightedClusters []WeightedCluster
	// MetadataMatch restricts the cluster's endpoints to those whose
	// envoy.lb metadata holds every key with the same value.
	MetadataMatch map[string]string
}

// NeedsBody reports whether matching the route reads arguments or
// attachments, which needs the whole request body decoded.
func (r *DubboRoute) NeedsBody() bool { return len(r.Params) > 0 || len(r.Headers) > 0 }

// StringMatchKind says how a StringMatch compares.
type StringMatchKind int

// String match kinds (Envoy's type.matcher.v3.StringMatcher).
const (
	MatchExact StringMatchKind = iota
	MatchPrefix
	MatchSuffix
	MatchContains
	// MatchRegex is an RE2 regular expression that must match the whole
	// value.
	MatchRegex
)

func (k StringMatchKind) String() string {
	switch k {
	case MatchExact:
		return "exact"
	case MatchPrefix:
		return "prefix"
	case MatchSuffix:
		return "suffix"
	case MatchContains:
		return "contains"
	case MatchRegex:
		return "safe_regex"
	}
	return "unknown"
}

// StringMatch matches a string value.
type StringMatch struct {
	Kind  StringMatchKind
	Value string
	// IgnoreCase compares ASCII letters case-insensitively (not for
	// MatchRegex).
	IgnoreCase bool
}

// DubboParamMatch matches the argument at Index, rendered as a string
// (integers in decimal): exactly Exact (an empty Exact matches any
// value), or, with IsRange, an integer in [Start, End).
type DubboParamMatch struct {
	Index      uint32
	Exact      string
	IsRange    bool
	Start, End int64
}

// HeaderMatchKind says what a HeaderMatch checks.
type HeaderMatchKind int

// Header match kinds (Envoy's route.v3.HeaderMatcher).
const (
	// HeaderString compares the value with String.
	HeaderString HeaderMatchKind = iota
	// HeaderPresent checks presence (Present true) or absence.
	HeaderPresent
	// HeaderRange checks an integer value in [Start, End).
	HeaderRange
)

func (k HeaderMatchKind) String() string {
	switch k {
	case HeaderString:
		return "string"
	case HeaderPresent:
		return "present"
	case HeaderRange:
		return "range"
	}
	return "unknown"
}

// HeaderMatch matches a request header; for Dubbo, a string-valued
// attachment, by name ignoring ASCII case.
type HeaderMatch struct {
	Name       string
	Kind       HeaderMatchKind
	String     StringMatch
	Present    bool
	Start, End int64
	// Invert negates the result.
	Invert bool
}

// DubboFault delays and/or aborts a fraction of the requests to the
// listed services and methods (Sidewire's Dubbo fault filter).
type DubboFault struct {
	// Services and Methods limit the fault; empty matches any.
	Services []string
	Methods  []string
	// Delay is applied to DelayFraction of matching requests.
	Delay         time.Duration
	DelayFraction float64
	// AbortStatus, when not 0, answers AbortFraction of matching
	// requests with this Dubbo status and AbortMessage (after the
	// delay, when both apply), without reaching the upstream.
	AbortStatus   uint8
	AbortMessage  string
	AbortFraction float64
}

// DubboMirror copies a fraction of the requests to the listed services
// and methods to a shadow cluster, fire and forget: its responses are
// dropped (Sidewire's Dubbo mirror filter). One-way requests and
// heartbeats are not mirrored.
type DubboMirror struct {
	Cluster  string
	Fraction float64
	Services []string
	Methods  []string
}
