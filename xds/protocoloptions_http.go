package xds

import (
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sidewire/sidewire/proxy/config"
)

// httpProtocolOptions translates an HttpProtocolOptions entry. Sidewire
// speaks HTTP only to gRPC clusters (the ADS control plane), always over
// HTTP/2, so the one accepted shape is Envoy's usual xDS cluster setting,
// explicit_http_config.http2_protocol_options; the fields that tune
// HTTP/2 are rejected by the allow-list.
func httpProtocolOptions(t *translator, path string, m proto.Message) any {
	o := m.(*httpv3.HttpProtocolOptions)
	if o.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
		t.errs.add(field(path, "explicit_http_config"), "must set http2_protocol_options: Sidewire's HTTP upstreams are gRPC over HTTP/2")
		return nil
	}
	return &config.HTTPProtocolOptions{HTTP2: true}
}
