package xds

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sidewire/sidewire/proxy/config"
)

// httpProtocolOptions translates an HttpProtocolOptions entry: which HTTP
// version the HTTP connection manager speaks to the cluster's hosts
// (explicit_http_config with http_protocol_options for HTTP/1.1 or
// http2_protocol_options for HTTP/2, or use_downstream_protocol_config
// for the downstream request's version), and
// common_http_protocol_options.idle_timeout (default 1h, 0 disables) and
// max_requests_per_connection. HTTP/3, auto_config and the fields that
// tune a protocol are rejected by the allow-list. The ADS cluster must
// speak HTTP/2 (see adsClusterProtocol).
func httpProtocolOptions(t *translator, path string, m proto.Message) any {
	o := m.(*httpv3.HttpProtocolOptions)
	out := &config.HTTPProtocolOptions{}
	switch p := o.GetUpstreamProtocolOptions().(type) {
	case *httpv3.HttpProtocolOptions_ExplicitHttpConfig_:
		// HTTP/1.1 unless HTTP/2; HTTP/3 is rejected by the allow-list, a
		// missing choice by the validation rules.
		_, h2 := p.ExplicitHttpConfig.GetProtocolConfig().(*httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions)
		out.HTTP2 = h2
	case *httpv3.HttpProtocolOptions_UseDownstreamProtocolConfig:
		out.UseDownstream = true
	}
	out.IdleTimeout, out.MaxRequestsPerConnection = t.upstreamHTTPLimits(field(path, "common_http_protocol_options"), o.GetCommonHttpProtocolOptions())
	return out
}

// upstreamHTTPLimits reads common_http_protocol_options of a cluster.
func (t *translator) upstreamHTTPLimits(path string, o *corev3.HttpProtocolOptions) (idle time.Duration, maxRequests uint32) {
	idle = t.duration(field(path, "idle_timeout"), o.GetIdleTimeout(), config.DefaultHTTPIdleTimeout)
	return idle, o.GetMaxRequestsPerConnection().GetValue()
}

// deprecatedHTTP2 translates Cluster.http2_protocol_options, the
// deprecated way to speak HTTP/2 to a cluster's hosts, into the protocol
// options it stands for. As in Envoy, it cannot be combined with
// typed_extension_protocol_options for HTTP.
func (t *translator) deprecatedHTTP2(path string, c *clusterv3.Cluster, out *config.Cluster) {
	if c.GetHttp2ProtocolOptions() == nil { //nolint:staticcheck // deprecated, still Envoy's API.
		return
	}
	if _, ok := out.ProtocolOptions[config.HTTPProtocolOptionsName]; ok {
		t.errs.add(field(path, "http2_protocol_options"), "set either http2_protocol_options (deprecated) or typed_extension_protocol_options[%q], not both", config.HTTPProtocolOptionsName)
		return
	}
	if out.ProtocolOptions == nil {
		out.ProtocolOptions = map[string]any{}
	}
	out.ProtocolOptions[config.HTTPProtocolOptionsName] = &config.HTTPProtocolOptions{HTTP2: true, IdleTimeout: config.DefaultHTTPIdleTimeout}
}

// adsClusterProtocol checks that the ADS cluster, when it has HTTP
// protocol options, speaks HTTP/2: the ADS stream is gRPC. A cluster
// without them is fine (the gRPC client always speaks HTTP/2).
func (t *translator) adsClusterProtocol(path string, c *config.Cluster) {
	o, ok := c.ProtocolOptions[config.HTTPProtocolOptionsName].(*config.HTTPProtocolOptions)
	if !ok || o.HTTP2 {
		return
	}
	t.errs.add(key(field(path, "typed_extension_protocol_options"), config.HTTPProtocolOptionsName),
		"the ads cluster %q carries gRPC: it must set explicit_http_config.http2_protocol_options", c.Name)
}
