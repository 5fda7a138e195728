package main

import (
	"testing"

	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sidewire/sidewire/xds"
)

// configDump gets /config_dump with query (without "?") and parses it
// strictly as Envoy's admin.v3.ConfigDump.
func configDump(t *testing.T, p *proc, query string) *adminv3.ConfigDump {
	t.Helper()
	path := "/config_dump"
	if query != "" {
		path += "?" + query
	}
	code, body := p.get(path)
	if code != 200 {
		t.Fatalf("%s: %d %s", path, code, body)
	}
	var d adminv3.ConfigDump
	if err := protojson.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("%s does not parse as admin.v3.ConfigDump: %v\n%s", path, err, body)
	}
	return &d
}

// dumpConfig returns the config of m's type in d, or fails the test.
func dumpConfig[M proto.Message](t *testing.T, d *adminv3.ConfigDump, m M) M {
	t.Helper()
	for _, a := range d.GetConfigs() {
		if a.MessageIs(m) {
			if err := a.UnmarshalTo(m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("config dump has no %T", m)
	return m
}

// xdsStatus returns the value of the xDS client status extension, or
// fails the test.
func xdsStatus(t *testing.T, d *adminv3.ConfigDump) map[string]any {
	t.Helper()
	for _, a := range d.GetConfigs() {
		var ts xdstypev3.TypedStruct
		if a.MessageIs(&ts) && a.UnmarshalTo(&ts) == nil && ts.GetTypeUrl() == xds.XDSStatusTypeURL {
			return ts.GetValue().AsMap()
		}
	}
	t.Fatalf("config dump has no %s", xds.XDSStatusTypeURL)
	return nil
}

// statusVersion returns the accepted version of typ in an xDS status.
func statusVersion(st map[string]any, typ string) string {
	v, _ := st["version_info"].(map[string]any)[typ].(string)
	return v
}

// activeClusterNames returns the names of the dynamic active clusters.
func activeClusterNames(t *testing.T, d *adminv3.ConfigDump) []string {
	t.Helper()
	var out []string
	for _, dc := range dumpConfig(t, d, &adminv3.ClustersConfigDump{}).GetDynamicActiveClusters() {
		var c clusterv3.Cluster
		if err := dc.GetCluster().UnmarshalTo(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c.GetName())
	}
	return out
}
