package xds

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// dumpBootstrap is the bootstrap the dynamic dumps render beside: ADS
// through the static cluster "xds", and a static EDS cluster "app".
var dumpBootstrap = filepath.Join(bootstrapTestdata, "good", "ads.yaml")

// renderDump renders c's /config_dump for the query string and parses it
// strictly into Envoy's ConfigDump.
func renderDump(t *testing.T, c *ADSClient, query string) (*adminv3.ConfigDump, []byte) {
	t.Helper()
	vals, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParseDumpQuery(vals)
	if err != nil {
		t.Fatalf("ParseDumpQuery(%q): %v", query, err)
	}
	out, err := ConfigDump{Bootstrap: readFile(t, dumpBootstrap), Updated: time.Now(), ADS: c, ADSCluster: "xds"}.Render(q)
	if err != nil {
		t.Fatalf("Render(%q): %v", query, err)
	}
	var d adminv3.ConfigDump
	if err := protojson.Unmarshal(out, &d); err != nil {
		t.Fatalf("/config_dump?%s does not parse as admin.v3.ConfigDump: %v\n%s", query, err, out)
	}
	return &d, out
}

// dumpOf returns the config of m's type in d; it fails the test when
// there is none.
func dumpOf[M proto.Message](t *testing.T, d *adminv3.ConfigDump, m M) M {
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

// hasDump reports whether d has a config of m's type.
func hasDump(d *adminv3.ConfigDump, m proto.Message) bool {
	for _, a := range d.GetConfigs() {
		if a.MessageIs(m) {
			return true
		}
	}
	return false
}

// dynamicClusters returns the names and versions of a list of dynamic
// clusters.
func dynamicClusters(t *testing.T, cs []*adminv3.ClustersConfigDump_DynamicCluster) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dc := range cs {
		c := unpack(t, dc.GetCluster(), &clusterv3.Cluster{})
		out[c.GetName()] = dc.GetVersionInfo()
		if dc.GetLastUpdated() == nil {
			t.Errorf("cluster %s has no last_updated", c.GetName())
		}
	}
	return out
}

// dynListener returns the entry of the listener name, or nil.
func dynListener(d *adminv3.ListenersConfigDump, name string) *adminv3.ListenersConfigDump_DynamicListener {
	for _, l := range d.GetDynamicListeners() {
		if l.GetName() == name {
			return l
		}
	}
	return nil
}

func unpack[M proto.Message](t *testing.T, a *anypb.Any, m M) M {
	t.Helper()
	if err := a.UnmarshalTo(m); err != nil {
		t.Fatalf("unpack %s: %v", a.GetTypeUrl(), err)
	}
	return m
}

func listenerName(t *testing.T, s *adminv3.ListenersConfigDump_DynamicListenerState) string {
	t.Helper()
	return unpack(t, s.GetListener(), &listenerv3.Listener{}).GetName()
}
