package xds

import (
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// DynamicResources is where a bootstrap's dynamic_resources take
// listeners and clusters from (clusters name their own EDS source).
type DynamicResources struct {
	// ADSCluster is the cluster of ads_config's envoy_grpc service; ""
	// when the bootstrap has no ads_config.
	ADSCluster string
	// Delta is set when ads_config's api_type is DELTA_GRPC or
	// AGGREGATED_DELTA_GRPC (incremental xDS).
	Delta bool
	// LDS and CDS are set when lds_config or cds_config is a file
	// (path_config_source or path); nil means ads.
	LDS, CDS *FileSource
	// StaticSecrets are the SDS secret configs (over ADS or from files) of
	// the static listeners and clusters: the ADS client subscribes to
	// them as it does for dynamic ones. A bootstrap without
	// dynamic_resources that has some gets a DynamicResources for them
	// alone.
	StaticSecrets []OwnedSecretRef
}

// OwnedSecretRef is a secret reference and what names it, for warming
// messages ("static listener \"edge\"").
type OwnedSecretRef struct {
	Owner string
	Ref   config.SecretRef
}

// dynamicResources translates dynamic_resources: an optional ads_config
// served over gRPC, state of the world (api_type GRPC, or
// AGGREGATED_GRPC) or delta (DELTA_GRPC, AGGREGATED_DELTA_GRPC), with
// transport_api_version V3 and one envoy_grpc service naming a cluster;
// and lds_config and cds_config, each ads (which needs the ads_config) or
// a file. Which cluster ads_config names, and that it is STATIC with one
// endpoint, is checked by config.Snapshot.Validate. Returns nils when dr
// is nil or has errors.
func (t *translator) dynamicResources(path string, dr *bootstrapv3.Bootstrap_DynamicResources) (*config.ADSSource, *DynamicResources) {
	if dr == nil {
		return nil, nil
	}
	n := t.errs.len()
	out := &DynamicResources{}
	var ads *config.ADSSource
	if ac := dr.GetAdsConfig(); ac != nil {
		ads = t.adsConfig(field(path, "ads_config"), ac, out)
	}
	out.LDS = t.resourceSource(field(path, "lds_config"), dr.GetLdsConfig(), dr.GetAdsConfig() != nil)
	out.CDS = t.resourceSource(field(path, "cds_config"), dr.GetCdsConfig(), dr.GetAdsConfig() != nil)
	if t.errs.len() > n {
		return nil, nil
	}
	if ads != nil {
		out.ADSCluster = ads.Cluster
	}
	return ads, out
}

func (t *translator) adsConfig(path string, ac *corev3.ApiConfigSource, out *DynamicResources) *config.ADSSource {
	switch ac.GetApiType() {
	case corev3.ApiConfigSource_GRPC, corev3.ApiConfigSource_AGGREGATED_GRPC:
	case corev3.ApiConfigSource_DELTA_GRPC, corev3.ApiConfigSource_AGGREGATED_DELTA_GRPC:
		out.Delta = true
	default:
		t.errs.add(field(path, "api_type"), "must be GRPC or DELTA_GRPC (or their AGGREGATED_ spellings) for ADS, got %s", ac.GetApiType())
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

// resourceSource checks an lds_config or cds_config: "ads: {}" (which
// needs an ads_config) or a file (path_config_source, or the deprecated
// path), with resource_api_version V3 (AUTO, the default, means V3). It
// returns the file, or nil for ads.
func (t *translator) resourceSource(path string, cs *corev3.ConfigSource, haveADS bool) *FileSource {
	if cs == nil {
		t.errs.add(path, "is required: set it to {ads: {}} or {path_config_source: {path: FILE}}")
		return nil
	}
	if v := cs.GetResourceApiVersion(); v != corev3.ApiVersion_AUTO && v != corev3.ApiVersion_V3 {
		t.errs.add(field(path, "resource_api_version"), "only V3 is supported, got %s", v)
	}
	// Envoy's validation rules require one specifier, and a non-empty
	// path_config_source.path; the allow-list rejects the others.
	if src, ok := fileSource(cs); ok {
		if _, old := cs.GetConfigSourceSpecifier().(*corev3.ConfigSource_Path); old && src.Path == "" {
			t.errs.add(field(path, "path"), "is empty")
		}
		return &src
	}
	if cs.GetAds() != nil && !haveADS {
		t.errs.add(field(path, "ads"), "needs dynamic_resources.ads_config")
	}
	return nil
}
