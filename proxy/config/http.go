package config

import "time"

// Names of the HTTP connection manager and of the HTTP filters its
// http_filters list accepts.
const (
	// HTTPConnectionManagerFilter is Envoy's HTTP network filter.
	HTTPConnectionManagerFilter = "envoy.filters.network.http_connection_manager"
	// HTTPRouterFilter is Envoy's HTTP router, the last HTTP filter.
	HTTPRouterFilter = "envoy.filters.http.router"
)

// HTTP connection manager and route defaults, Envoy's.
const (
	// DefaultHTTPRouteTimeout bounds a routed request from the end of
	// the downstream request to the end of the upstream response
	// (route.v3.RouteAction.timeout).
	DefaultHTTPRouteTimeout = 15 * time.Second
	// DefaultHTTPStreamIdleTimeout closes a stream with no activity
	// for this long (stream_idle_timeout).
	DefaultHTTPStreamIdleTimeout = 5 * time.Minute
	// DefaultHTTPIdleTimeout closes a downstream connection with no
	// active streams for this long (common_http_protocol_options.idle_timeout).
	DefaultHTTPIdleTimeout = time.Hour
	// DefaultHTTPDrainTimeout is how long an HTTP/2 connection has
	// between the first GOAWAY and the final one when it drains
	// (drain_timeout).
	DefaultHTTPDrainTimeout = 5 * time.Second
	// DefaultHTTPMaxRequestHeadersKB caps the size of request headers
	// (max_request_headers_kb).
	DefaultHTTPMaxRequestHeadersKB = 60
	// DefaultHTTPNumRetries is retry_policy.num_retries when unset.
	DefaultHTTPNumRetries = 1
	// DefaultHTTPRetryBaseInterval is the retry back-off base interval
	// (retry_back_off.base_interval); the maximum defaults to ten times
	// the base, and waits are jittered as Envoy's.
	DefaultHTTPRetryBaseInterval = 25 * time.Millisecond
	// DefaultHTTPServerName is the server header Sidewire writes
	// (server_name; Envoy writes "envoy").
	DefaultHTTPServerName = "sidewire"
)

// HTTPCodec is the downstream protocol an HTTP connection manager
// speaks (codec_type).
type HTTPCodec int

// HTTP codec types.
const (
	// HTTPCodecAuto serves HTTP/2 to connections that start with the
	// HTTP/2 preface or negotiated "h2" with ALPN, else HTTP/1.1.
	HTTPCodecAuto HTTPCodec = iota
	HTTPCodecHTTP1
	HTTPCodecHTTP2
)

func (c HTTPCodec) String() string {
	switch c {
	case HTTPCodecAuto:
		return "AUTO"
	case HTTPCodecHTTP1:
		return "HTTP1"
	case HTTPCodecHTTP2:
		return "HTTP2"
	}
	return "unknown"
}

// ServerHeaderTransformation says what happens to a response's server
// header (server_header_transformation).
type ServerHeaderTransformation int

// Server header transformations.
const (
	// ServerHeaderOverwrite replaces it with ServerName.
	ServerHeaderOverwrite ServerHeaderTransformation = iota
	// ServerHeaderAppendIfAbsent sets ServerName when the upstream sent
	// none.
	ServerHeaderAppendIfAbsent
	// ServerHeaderPassThrough leaves it as the upstream sent it.
	ServerHeaderPassThrough
)

// HTTPConnectionManager serves HTTP/1.1 and HTTP/2 (including gRPC) to
// downstream clients and routes each request to a cluster (Envoy's
// http_connection_manager.v3.HttpConnectionManager with the router
// filter).
type HTTPConnectionManager struct {
	// StatPrefix roots the filter's stats: http.<StatPrefix>.*.
	StatPrefix string
	Codec      HTTPCodec
	// Exactly one of RouteConfig (inline route_config) and
	// RouteConfigName (rds) is set. With RouteConfigName the table is
	// the Snapshot's HTTPRoutes entry of that name, swapped in for new
	// requests whenever it changes, without rebuilding the listener.
	RouteConfig     *HTTPRouteConfig
	RouteConfigName string
	// StreamIdleTimeout resets a stream (request and response) idle
	// this long; 0 disables it.
	StreamIdleTimeout time.Duration
	// RequestTimeout bounds receiving the whole request; 0 disables it.
	RequestTimeout time.Duration
	// RequestHeadersTimeout bounds receiving the request headers; 0
	// disables it.
	RequestHeadersTimeout time.Duration
	// IdleTimeout closes a connection without active requests; 0
	// disables it.
	IdleTimeout time.Duration
	// DrainTimeout is the HTTP/2 graceful close period.
	DrainTimeout time.Duration
	// MaxRequestHeadersKB caps request headers; larger requests get 431.
	MaxRequestHeadersKB uint32
	// ServerName and ServerHeaderTransformation set the response's
	// server header.
	ServerName                 string
	ServerHeaderTransformation ServerHeaderTransformation
	// UseRemoteAddress appends the peer address to x-forwarded-for and
	// takes it as the client address; otherwise the client address is
	// taken from x-forwarded-for, XFFNumTrustedHops from the right.
	UseRemoteAddress  bool
	XFFNumTrustedHops uint32
	// GenerateRequestID sets x-request-id (a UUID v4) on requests that
	// do not carry one.
	GenerateRequestID bool
	// PreserveExternalRequestID keeps an x-request-id that came from an
	// external client (one whose address is not internal).
	PreserveExternalRequestID bool
	AccessLogs                []AccessLog
}

var _ NetworkFilter = (*HTTPConnectionManager)(nil)

// FilterName implements NetworkFilter.
func (*HTTPConnectionManager) FilterName() string { return HTTPConnectionManagerFilter }

// Terminal implements NetworkFilter.
func (*HTTPConnectionManager) Terminal() bool { return true }

// HTTPRouteConfig is a route table (Envoy's route.v3.RouteConfiguration),
// inline in an HTTP connection manager or received by route discovery
// (RDS). It is immutable.
type HTTPRouteConfig struct {
	Name string
	// VirtualHosts are selected by the request's authority (host).
	VirtualHosts []HTTPVirtualHost
	// Headers are applied to every request and response routed by the
	// table, after the virtual host's and route's.
	Headers HTTPHeaderMutations
	// ValidateClusters makes a route naming an unknown cluster an error
	// of the configuration (Envoy's default for inline tables); else
	// such a route answers 503 at request time (the default for RDS).
	ValidateClusters bool
}

// HTTPVirtualHost is a set of routes for some domains (Envoy's
// route.v3.VirtualHost).
type HTTPVirtualHost struct {
	Name string
	// Domains match the request's host, ignoring case, with the port
	// when the domain has one, else without it: exact names,
	// "*.suffix" / "*-suffix" suffix wildcards, "prefix*" prefix
	// wildcards, or "*". Across a table the most specific match wins:
	// exact, then the longest suffix wildcard, then the longest prefix
	// wildcard, then "*". A domain appears in one virtual host only.
	Domains []string
	// Routes are tried in order; the first match wins.
	Routes []HTTPRoute
	// RetryPolicy applies to routes without their own.
	RetryPolicy *HTTPRetryPolicy
	Headers     HTTPHeaderMutations
}

// HTTPRoute matches requests and says what to do with them (Envoy's
// route.v3.Route): exactly one of Route, Redirect and DirectResponse is
// set.
type HTTPRoute struct {
	Name           string
	Match          HTTPRouteMatch
	Route          *HTTPRouteAction
	Redirect       *HTTPRedirect
	DirectResponse *HTTPDirectResponse
	Headers        HTTPHeaderMutations
}

// PathMatchKind says how HTTPRouteMatch compares the path.
type PathMatchKind int

// Path match kinds (route.v3.RouteMatch path_specifier).
const (
	// PathPrefix matches paths starting with Path ("" or "/" matches
	// every path).
	PathPrefix PathMatchKind = iota
	// PathExact matches the path exactly (without the query string).
	PathExact
	// PathRegex is an RE2 regular expression matching the whole path
	// (without the query string).
	PathRegex
	// PathSeparatedPrefix matches Path itself or Path followed by "/",
	// "?" or "#".
	PathSeparatedPrefix
)

func (k PathMatchKind) String() string {
	switch k {
	case PathPrefix:
		return "prefix"
	case PathExact:
		return "path"
	case PathRegex:
		return "safe_regex"
	case PathSeparatedPrefix:
		return "path_separated_prefix"
	}
	return "unknown"
}

// HTTPRouteMatch matches a request; every given condition must hold.
type HTTPRouteMatch struct {
	PathKind PathMatchKind
	Path     string
	// CaseInsensitive compares PathPrefix, PathExact and
	// PathSeparatedPrefix ignoring ASCII case (case_sensitive: false).
	CaseInsensitive bool
	// Headers match request headers (names lower case; pseudo-headers
	// such as ":method" and ":authority" included). A header repeated in
	// the request is matched against its values joined by ",".
	Headers []HeaderMatch
	// QueryParameters match query parameters by name.
	QueryParameters []QueryParameterMatch
	// GRPC, when true, matches gRPC requests only (content-type
	// application/grpc*).
	GRPC bool
}

// QueryParameterMatch matches the first value of a query parameter:
// with String set the value must match it, else the parameter must be
// present (Envoy's present_match).
type QueryParameterMatch struct {
	Name   string
	String *StringMatch
}

// HTTPRouteAction forwards a request to a cluster (route.v3.RouteAction).
type HTTPRouteAction struct {
	// Exactly one of Cluster, WeightedClusters and ClusterHeader is
	// set. ClusterHeader names a request header holding the cluster
	// name; a missing header or unknown cluster answers 503.
	Cluster          string
	WeightedClusters []WeightedCluster
	ClusterHeader    string
	// Timeout bounds the upstream part of the request, retries
	// included, from the end of the request to the end of the response;
	// 0 disables it (Envoy's default is 15s, set by the translator).
	// IdleTimeout resets the stream when no bytes flow for this long; 0
	// means the connection manager's StreamIdleTimeout.
	Timeout     time.Duration
	IdleTimeout time.Duration
	// PrefixRewrite replaces the matched path prefix (PathPrefix and
	// PathSeparatedPrefix routes); RegexRewrite rewrites the path
	// (without the query string). At most one is set.
	PrefixRewrite string
	RegexRewrite  *RegexRewrite
	// HostRewriteLiteral sets the host sent upstream; AutoHostRewrite
	// sets it to the picked host's hostname (its address when it has
	// none). At most one is set.
	HostRewriteLiteral string
	AutoHostRewrite    bool
	// RetryPolicy overrides the virtual host's.
	RetryPolicy *HTTPRetryPolicy
	// HashPolicy feeds RING_HASH and MAGLEV clusters; the first policy
	// that yields a hash is used (later ones only when Terminal is
	// false on the earlier ones and they yield too).
	HashPolicy []HTTPHashPolicy
	// Mirrors copy the request to shadow clusters, responses dropped.
	Mirrors []HTTPMirror
}

// RegexRewrite replaces every match of Pattern (RE2) in the path with
// Substitution (\1-style group references allowed).
type RegexRewrite struct {
	Pattern      string
	Substitution string
}

// HTTPHashPolicy is one route.v3.RouteAction.HashPolicy entry: a
// request header's value, or the downstream source IP.
type HTTPHashPolicy struct {
	// Exactly one of Header and SourceIP is set.
	Header   string
	SourceIP bool
	Terminal bool
}

// HTTPMirror is a request_mirror_policies entry.
type HTTPMirror struct {
	Cluster string
	// Fraction of requests mirrored, in [0, 1].
	Fraction float64
}

// HTTPRetryPolicy retries failed upstream attempts (route.v3.RetryPolicy).
type HTTPRetryPolicy struct {
	// RetryOn are Envoy's retry conditions: "5xx", "gateway-error",
	// "reset", "connect-failure", "retriable-4xx", "refused-stream",
	// "retriable-status-codes", and for gRPC responses "cancelled",
	// "deadline-exceeded", "internal", "resource-exhausted",
	// "unavailable".
	RetryOn []string
	// NumRetries is the number of retries after the first attempt.
	NumRetries uint32
	// PerTryTimeout bounds each attempt; 0 means only the route timeout.
	PerTryTimeout time.Duration
	// RetriableStatusCodes are used with "retriable-status-codes".
	RetriableStatusCodes []uint32
	// BaseInterval and MaxInterval bound the jittered exponential
	// back-off between attempts (MaxInterval defaults to ten times
	// BaseInterval).
	BaseInterval, MaxInterval time.Duration
}

// HTTPRedirect answers with a redirect (route.v3.RedirectAction). Empty
// fields keep the request's value.
type HTTPRedirect struct {
	// Scheme ("https_redirect" sets "https"), Host and Port (0 keeps it)
	// of the new location.
	Scheme string
	Host   string
	Port   uint32
	// Exactly one or none of Path and PrefixRewrite is set.
	Path          string
	PrefixRewrite string
	// StripQuery drops the query string.
	StripQuery bool
	// Status is 301 (default), 302, 303, 307 or 308.
	Status int
}

// HTTPDirectResponse answers locally (route.v3.DirectResponseAction).
type HTTPDirectResponse struct {
	Status int
	Body   string
}

// HTTPHeaderMutations add and remove request and response headers at
// one level of a route table. Added values may use Envoy's
// %DOWNSTREAM_REMOTE_ADDRESS%, %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%,
// %UPSTREAM_HOST% (responses only), %PROTOCOL% and %REQ(name)% formatters.
type HTTPHeaderMutations struct {
	RequestToAdd     []HeaderValueOption
	RequestToRemove  []string
	ResponseToAdd    []HeaderValueOption
	ResponseToRemove []string
}

// Empty reports whether m changes nothing.
func (m *HTTPHeaderMutations) Empty() bool {
	return len(m.RequestToAdd) == 0 && len(m.RequestToRemove) == 0 &&
		len(m.ResponseToAdd) == 0 && len(m.ResponseToRemove) == 0
}

// HeaderAppendAction says how HeaderValueOption treats a header that is
// already there (core.v3.HeaderValueOption.append_action).
type HeaderAppendAction int

// Header append actions.
const (
	// HeaderAppendIfExistsOrAdd adds another value.
	HeaderAppendIfExistsOrAdd HeaderAppendAction = iota
	// HeaderAddIfAbsent adds the header only when it is missing.
	HeaderAddIfAbsent
	// HeaderOverwriteIfExistsOrAdd replaces existing values.
	HeaderOverwriteIfExistsOrAdd
	// HeaderOverwriteIfExists replaces existing values and adds nothing
	// when the header is missing.
	HeaderOverwriteIfExists
)

// HeaderValueOption is one header to add (core.v3.HeaderValueOption).
// Key is lower case.
type HeaderValueOption struct {
	Key    string
	Value  string
	Action HeaderAppendAction
	// KeepEmptyValue adds the header even when Value formats to "".
	KeepEmptyValue bool
}
