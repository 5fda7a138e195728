package xds

import (
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sidewire/sidewire/proxy/config"
)

// httpFilterExts are the HTTP filters an HTTP connection manager's
// http_filters accept: the router, with an empty config.
var httpFilterExts = []extension{
	newExtension(config.HTTPRouterFilter, &routerv3.Router{}),
}

// plannedHTTPFilters are HTTP filters Sidewire means to support, by name
// and by the full name of their config type; until then they are
// rejected with a message that says so.
var plannedHTTPFilters = map[string]string{
	"envoy.filters.http.grpc_stats": "envoy.extensions.filters.http.grpc_stats.v3.FilterConfig",
	"envoy.filters.http.fault":      "envoy.extensions.filters.http.fault.v3.HTTPFault",
}

// httpConnectionManager translates envoy.filters.network.http_connection_manager.
// path is the filter's typed_config. Defaults are Envoy's, except the
// server name ("sidewire"). Cluster references of an inline route_config
// are checked by config.Snapshot.Validate (validate_clusters).
func (t *translator) httpConnectionManager(path string, m *hcmv3.HttpConnectionManager) *config.HTTPConnectionManager {
	cp := field(path, "common_http_protocol_options")
	out := &config.HTTPConnectionManager{
		StatPrefix:                m.GetStatPrefix(),
		Codec:                     t.httpCodec(field(path, "codec_type"), m.GetCodecType()),
		StreamIdleTimeout:         t.duration(field(path, "stream_idle_timeout"), m.GetStreamIdleTimeout(), config.DefaultHTTPStreamIdleTimeout),
		RequestTimeout:            t.duration(field(path, "request_timeout"), m.GetRequestTimeout(), 0),
		RequestHeadersTimeout:     t.duration(field(path, "request_headers_timeout"), m.GetRequestHeadersTimeout(), 0),
		IdleTimeout:               t.duration(field(cp, "idle_timeout"), m.GetCommonHttpProtocolOptions().GetIdleTimeout(), config.DefaultHTTPIdleTimeout),
		DrainTimeout:              t.duration(field(path, "drain_timeout"), m.GetDrainTimeout(), config.DefaultHTTPDrainTimeout),
		MaxRequestHeadersKB:       uint32Or(m.GetMaxRequestHeadersKb(), config.DefaultHTTPMaxRequestHeadersKB),
		ServerName:                m.GetServerName(),
		UseRemoteAddress:          m.GetUseRemoteAddress().GetValue(),
		XFFNumTrustedHops:         m.GetXffNumTrustedHops(),
		GenerateRequestID:         boolOr(m.GetGenerateRequestId(), true),
		PreserveExternalRequestID: m.GetPreserveExternalRequestId(),
		AccessLogs:                t.accessLogs(field(path, "access_log"), m.GetAccessLog()),
	}
	if out.ServerName == "" {
		out.ServerName = config.DefaultHTTPServerName
	}
	if m.GetCommonHttpProtocolOptions().GetMaxRequestsPerConnection() != nil {
		t.errs.add(field(cp, "max_requests_per_connection"), "not supported for downstream connections (it applies to clusters' upstream connections)")
	}
	switch s := m.GetServerHeaderTransformation(); s {
	case hcmv3.HttpConnectionManager_OVERWRITE:
		out.ServerHeaderTransformation = config.ServerHeaderOverwrite
	case hcmv3.HttpConnectionManager_APPEND_IF_ABSENT:
		out.ServerHeaderTransformation = config.ServerHeaderAppendIfAbsent
	case hcmv3.HttpConnectionManager_PASS_THROUGH:
		out.ServerHeaderTransformation = config.ServerHeaderPassThrough
	default:
		t.errs.add(field(path, "server_header_transformation"), "unknown value %d", s)
	}
	switch rs := m.GetRouteSpecifier().(type) {
	case *hcmv3.HttpConnectionManager_RouteConfig:
		out.RouteConfig = t.routeConfiguration(field(path, "route_config"), rs.RouteConfig, true)
	case *hcmv3.HttpConnectionManager_Rds:
		out.RouteConfigName = t.rds(field(path, "rds"), rs.Rds)
	}
	t.httpPaths(path, m)
	t.httpFilters(field(path, "http_filters"), m.GetHttpFilters())
	return out
}

// httpCodec reads codec_type; HTTP/3 is not served by the connection
// manager.
func (t *translator) httpCodec(path string, c hcmv3.HttpConnectionManager_CodecType) config.HTTPCodec {
	switch c {
	case hcmv3.HttpConnectionManager_AUTO:
		return config.HTTPCodecAuto
	case hcmv3.HttpConnectionManager_HTTP1:
		return config.HTTPCodecHTTP1
	case hcmv3.HttpConnectionManager_HTTP2:
		return config.HTTPCodecHTTP2
	}
	t.errs.add(path, "%s is not supported (use AUTO, HTTP1 or HTTP2)", c)
	return config.HTTPCodecAuto
}

// httpPaths accepts the path handling settings that say what Sidewire
// does: routes see the path as the client sent it, neither normalized
// nor with slashes merged, and escaped slashes are left alone.
func (t *translator) httpPaths(path string, m *hcmv3.HttpConnectionManager) {
	if m.GetNormalizePath().GetValue() {
		t.errs.add(field(path, "normalize_path"), "true is not supported: Sidewire routes the path as the client sent it")
	}
	if m.GetMergeSlashes() {
		t.errs.add(field(path, "merge_slashes"), "true is not supported: Sidewire routes the path as the client sent it")
	}
	switch a := m.GetPathWithEscapedSlashesAction(); a {
	case hcmv3.HttpConnectionManager_IMPLEMENTATION_SPECIFIC_DEFAULT, hcmv3.HttpConnectionManager_KEEP_UNCHANGED:
	default:
		t.errs.add(field(path, "path_with_escaped_slashes_action"), "%s is not supported: escaped slashes are kept unchanged (KEEP_UNCHANGED)", a)
	}
}

// rds reads an HTTP connection manager's route discovery: the route
// configuration comes over the ADS stream, by name.
func (t *translator) rds(path string, r *hcmv3.Rds) string {
	if cs := r.GetConfigSource(); cs != nil && cs.GetAds() == nil {
		t.errs.add(field(path, "config_source"), "must be ads: route configurations are received over the ADS stream only")
	}
	if r.GetRouteConfigName() == "" {
		t.errs.add(field(path, "route_config_name"), "is required")
	}
	return r.GetRouteConfigName()
}

// httpFilters checks http_filters: the router, last. Other HTTP filters
// are not supported yet.
func (t *translator) httpFilters(path string, fs []*hcmv3.HttpFilter) {
	routerAt := -1
	for i, f := range fs {
		fp := index(path, i)
		if t.plannedHTTPFilter(fp, f) {
			continue
		}
		ext, _, ok := t.typedConfig(fp, "HTTP filter", f.GetName(), f.GetTypedConfig(), httpFilterExts)
		if !ok || ext.name != config.HTTPRouterFilter {
			continue
		}
		switch {
		case routerAt >= 0:
			t.errs.add(fp, "the router is already http_filters[%d]", routerAt)
		case i != len(fs)-1:
			t.errs.add(fp, "the router must be the last HTTP filter")
		}
		routerAt = i
	}
	if routerAt < 0 {
		t.errs.add(path, "the last HTTP filter must be the router %s", config.HTTPRouterFilter)
	}
}

// plannedHTTPFilter reports, and returns true for, a filter of
// plannedHTTPFilters, named or typed.
func (t *translator) plannedHTTPFilter(path string, f *hcmv3.HttpFilter) bool {
	tn := string(typeURLName(f.GetTypedConfig().GetTypeUrl()))
	for name, typ := range plannedHTTPFilters {
		if tn == typ || tn == "" && f.GetName() == name {
			t.errs.add(path, "HTTP filter %s is not supported yet (only %s is)", name, config.HTTPRouterFilter)
			return true
		}
	}
	return false
}

// boolOr returns the wrapped value, or def when w is unset.
func boolOr(w *wrapperspb.BoolValue, def bool) bool {
	if w == nil {
		return def
	}
	return w.GetValue()
}

// httpRouteNames returns the route configuration names a listener's
// HTTP connection managers take from route discovery (RDS).
func httpRouteNames(l *config.Listener) []string {
	var out []string
	for _, f := range allFilters(l) {
		if h, ok := f.(*config.HTTPConnectionManager); ok && h.RouteConfigName != "" {
			out = append(out, h.RouteConfigName)
		}
	}
	return out
}
