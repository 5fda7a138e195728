package xds

import (
	"fmt"
	"time"

	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// XDSStatusTypeURL is the type_url of the TypedStruct that carries the
// xDS client's status in /config_dump: Sidewire's own extension, beside
// Envoy's dumps, for what they do not say.
const XDSStatusTypeURL = "sidewire.io/sidewire.admin.v1.XdsClientStatus"

// statusAny returns the client's status as the last entry of
// ConfigDump.configs: an xds.type.v3.TypedStruct (a type every Envoy-aware
// tool resolves) of type XDSStatusTypeURL whose value holds
//
//	ads_cluster       the bootstrap's ADS cluster (absent without one)
//	delta             whether the stream is incremental xDS
//	lds_source,       "ads" or the path of the file listeners / clusters
//	cds_source        come from
//	connected         whether an ADS stream has received a response
//	version_info      the accepted version by type URL (EDS, SDS and
//	                  Dubbo RDS included, which Envoy's dumps lack)
//	last_updated      when the last update was applied (RFC 3339)
//	warming           what the accepted state waits for before it can be
//	                  applied ("" when it is in force)
//	last_error,       the last rejection or stream error and its time
//	last_error_time
//	updates_applied,  counts since start
//	updates_rejected
func (c *ADSClient) statusAny(adsCluster string, st ADSStatus) (*anypb.Any, error) {
	versions := map[string]any{}
	for t, v := range st.Versions {
		versions[t] = v
	}
	fields := map[string]any{
		"delta":            c.cfg.Delta,
		"lds_source":       fileSourceName(c.cfg.LDS),
		"cds_source":       fileSourceName(c.cfg.CDS),
		"connected":        st.Connected,
		"version_info":     versions,
		"warming":          st.Warming,
		"last_error":       st.LastError,
		"updates_applied":  st.Updates,
		"updates_rejected": st.Rejected,
	}
	if adsCluster != "" {
		fields["ads_cluster"] = adsCluster
	}
	if !st.LastUpdated.IsZero() {
		fields["last_updated"] = st.LastUpdated.UTC().Format(time.RFC3339Nano)
	}
	if !st.LastErrorTime.IsZero() {
		fields["last_error_time"] = st.LastErrorTime.UTC().Format(time.RFC3339Nano)
	}
	v, err := structpb.NewStruct(fields)
	if err != nil {
		return nil, fmt.Errorf("xds client status: %w", err)
	}
	return anypb.New(&xdstypev3.TypedStruct{TypeUrl: XDSStatusTypeURL, Value: v})
}

// fileSourceName names an LDS or CDS source: "ads", or the file's path.
func fileSourceName(f *FileSource) string {
	if f == nil {
		return "ads"
	}
	return f.Path
}
