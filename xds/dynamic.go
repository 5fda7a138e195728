package xds

import (
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// dynamicResources translates dynamic_resources: an ads_config served over
// state-of-the-world gRPC (api_type GRPC, or AGGREGATED_GRPC, its spelling
// for xdstp resources), transport_api_version V3 and one envoy_grpc
// service naming a cluster, with lds_config and cds_config both "ads".
// Which cluster it names, and that it is STATIC with one endpoint, is
// checked by config.Snapshot.Validate. Returns nil when dr is nil or has
// errors.
func (t *translator) dynamicResources(path string, dr *bootstrapv3.Bootstrap_DynamicResources) *config.ADSSource {
	if dr == nil {
		return nil
	}
	n := t.errs.len()
	out := t.adsConfig(field(path, "ads_config"), dr.GetAdsConfig())
	t.adsSource(field(path, "lds_config"), dr.GetLdsConfig())
	t.adsSource(field(path, "cds_config"), dr.GetCdsConfig())
	if t.errs.len() > n {
		return nil
	}
	return out
}

func (t *translator) adsConfig(path string, ac *corev3.ApiConfigSource) *config.ADSSource {
	if ac == nil {
		t.errs.add(path, "is required: Sidewire discovers listeners and clusters over ADS only")
		return nil
	}
	switch ac.GetApiType() {
	case corev3.ApiConfigSource_GRPC, corev3.ApiConfigSource_AGGREGATED_GRPC:
	case corev3.ApiConfigSource_DELTA_GRPC, corev3.ApiConfigSource_AGGREGATED_DELTA_GRPC:
		t.errs.add(field(path, "api_type"), "%s (incremental xDS) is not supported yet; use GRPC", ac.GetApiType())
	default:
		t.errs.add(field(path, "api_type"), "must be GRPC for ADS, got %s", ac.GetApiType())
	}
	if v := ac.GetTransportApiVersion(); v != corev3.ApiVersion_V3 {
		t.errs.add(field(path, "transport_api_version"), "must be V3, got %s", v)
	}
	gs := ac.GetGrpcServices()
	if len(gs) != 1 {
		t.errs.add(field(path, "grpc_services"), "must list exactly one service, has %d", len(gs))
		return nil
	}
	p := field(index(field(path, "grpc_services"), 0), "envoy_grpc")
	eg := gs[0].GetEnvoyGrpc()
	if eg == nil {
		if gs[0].GetGoogleGrpc() == nil { // google_grpc is reported by the allow-list
			t.errs.add(p, "is required")
		}
		return nil
	}
	if eg.GetClusterName() == "" {
		t.errs.add(field(p, "cluster_name"), "is required")
		return nil
	}
	return &config.ADSSource{Cluster: eg.GetClusterName()}
}

// adsSource checks that an lds_config or cds_config is "ads: {}" with
// resource_api_version V3 (AUTO, the default, means V3).
func (t *translator) adsSource(path string, cs *corev3.ConfigSource) {
	if cs == nil {
		t.errs.add(path, "is required: set it to {ads: {}, resource_api_version: V3}")
		return
	}
	if cs.GetAds() == nil {
		t.errs.add(path, "only ads is supported")
	}
	if v := cs.GetResourceApiVersion(); v != corev3.ApiVersion_AUTO && v != corev3.ApiVersion_V3 {
		t.errs.add(field(path, "resource_api_version"), "only V3 is supported, got %s", v)
	}
}
