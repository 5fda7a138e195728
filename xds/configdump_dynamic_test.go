package xds

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/testpeer"
)

// TestConfigDumpDynamic drives a go-control-plane server through the
// life of dynamic resources and checks /config_dump at each step:
// warming, active, active and warming at once, a NACK, a removal, and
// the query parameters on the result.
func TestConfigDumpDynamic(t *testing.T) {
	for _, delta := range []bool{false, true} {
		name := "sotw"
		if delta {
			name = "delta"
		}
		t.Run(name, func(t *testing.T) {
			cp := startTest(t)
			rec := &recorder{}
			var opts []func(*ADSConfig)
			if delta {
				opts = append(opts, useDelta)
			}
			l1 := tcpListener(t, "l1", 10001, "c1")
			c1, c2 := edsCluster("c1"), edsCluster("c2")
			a1, a2 := assignment("c1", 20001), assignment("c2", 20002)
			cp.set("1", []*listenerv3.Listener{l1}, []*clusterv3.Cluster{c1, c2}, []*endpointv3.ClusterLoadAssignment{a1})
			c, stop := runClient(t, cp, rec, opts...)
			// versionOf is the version a resource was sent with: the
			// snapshot's over SotW, the resource's own over delta.
			versionOf := func(typ, name, snapshot string) string {
				if !delta {
					return snapshot
				}
				var v string
				for _, r := range cp.deltaResponses() {
					for _, res := range r.res.GetResources() {
						if r.res.GetTypeUrl() == typ && res.GetName() == name {
							v = res.GetVersion()
						}
					}
				}
				return v
			}

			// 1. c2's load assignment is missing: nothing is in force yet.
			var d *adminv3.ConfigDump
			waitFor(t, "c1, c2 and l1 warming", func() bool {
				d, _ = renderDump(t, c, "")
				return len(dumpOf(t, d, &adminv3.ClustersConfigDump{}).GetDynamicWarmingClusters()) == 2 &&
					dynListener(dumpOf(t, d, &adminv3.ListenersConfigDump{}), "l1") != nil
			})
			cl := dumpOf(t, d, &adminv3.ClustersConfigDump{})
			if len(cl.GetDynamicActiveClusters()) != 0 || len(cl.GetStaticClusters()) != 2 {
				t.Errorf("step 1: %d active, %d static clusters, want 0 and 2 (xds, app)", len(cl.GetDynamicActiveClusters()), len(cl.GetStaticClusters()))
			}
			if got := dynamicClusters(t, cl.GetDynamicWarmingClusters()); got["c1"] != versionOf(ClusterTypeURL, "c1", "1") || got["c2"] != versionOf(ClusterTypeURL, "c2", "1") {
				t.Errorf("step 1: warming clusters %v, want c1 and c2", got)
			}
			ld := dynListener(dumpOf(t, d, &adminv3.ListenersConfigDump{}), "l1")
			if ld.GetActiveState() != nil || listenerName(t, ld.GetWarmingState()) != "l1" {
				t.Errorf("step 1: l1 = %v, want a warming_state only", ld)
			}
			for _, m := range []proto.Message{&adminv3.RoutesConfigDump{}, &adminv3.SecretsConfigDump{}} {
				if !hasDump(d, m) {
					t.Errorf("step 1: no %T with dynamic resources", m)
				}
			}
			if hasDump(d, &adminv3.EndpointsConfigDump{}) {
				t.Error("step 1: EndpointsConfigDump without include_eds")
			}
			st := statusOf(t, d)
			if !strings.Contains(st["warming"].(string), `load assignment "c2"`) || st["ads_cluster"] != "xds" || st["delta"] != delta || st["cds_source"] != "ads" {
				t.Errorf("step 1: status %v, want warming for c2's assignment, ads cluster xds, delta %v", st, delta)
			}

			// 2. The assignment arrives: everything is in force.
			cp.set("2", []*listenerv3.Listener{l1}, []*clusterv3.Cluster{c1, c2}, []*endpointv3.ClusterLoadAssignment{a1, a2})
			rec.wait(t, "c1 and c2 applied", func(u *Update) bool { return len(u.Clusters) == 2 })
			d, _ = renderDump(t, c, "include_eds")
			cl = dumpOf(t, d, &adminv3.ClustersConfigDump{})
			active := dynamicClusters(t, cl.GetDynamicActiveClusters())
			// Unchanged resources keep the version they came with, as in Envoy.
			want := map[string]string{"c1": versionOf(ClusterTypeURL, "c1", "1"), "c2": versionOf(ClusterTypeURL, "c2", "1")}
			if !maps.Equal(active, want) || len(cl.GetDynamicWarmingClusters()) != 0 {
				t.Errorf("step 2: active %v, %d warming; want %v and none", active, len(cl.GetDynamicWarmingClusters()), want)
			}
			if !delta && cl.GetVersionInfo() != "2" {
				t.Errorf("step 2: clusters version_info %q, want 2", cl.GetVersionInfo())
			}
			ld = dynListener(dumpOf(t, d, &adminv3.ListenersConfigDump{}), "l1")
			if listenerName(t, ld.GetActiveState()) != "l1" || ld.GetWarmingState() != nil || ld.GetErrorState() != nil {
				t.Errorf("step 2: l1 = %v, want an active_state only", ld)
			}
			eps := map[string]string{}
			for _, e := range dumpOf(t, d, &adminv3.EndpointsConfigDump{}).GetDynamicEndpointConfigs() {
				eps[unpack(t, e.GetEndpointConfig(), &endpointv3.ClusterLoadAssignment{}).GetClusterName()] = e.GetVersionInfo()
			}
			if want := map[string]string{"c1": versionOf(EndpointTypeURL, "c1", "1"), "c2": versionOf(EndpointTypeURL, "c2", "2")}; !maps.Equal(eps, want) {
				t.Errorf("step 2: dynamic endpoint configs %v, want %v", eps, want)
			}
			checkDumpQueries(t, c)

			// 3. c1 changes and c3 waits for its assignment: c1 is both
			// active (the old version) and warming (the new one).
			c1b := proto.Clone(c1).(*clusterv3.Cluster)
			c1b.ConnectTimeout = durationpb.New(2 * time.Second)
			c3 := edsCluster("c3")
			cp.set("3", []*listenerv3.Listener{l1}, []*clusterv3.Cluster{c1b, c2, c3}, []*endpointv3.ClusterLoadAssignment{a1, a2})
			waitFor(t, "c1 and c3 warming", func() bool {
				d, _ = renderDump(t, c, "")
				return len(dumpOf(t, d, &adminv3.ClustersConfigDump{}).GetDynamicWarmingClusters()) == 2
			})
			cl = dumpOf(t, d, &adminv3.ClustersConfigDump{})
			if got := dynamicClusters(t, cl.GetDynamicActiveClusters()); !maps.Equal(got, want) {
				t.Errorf("step 3: active %v, want %v (still in force)", got, want)
			}
			for _, dc := range cl.GetDynamicWarmingClusters() {
				wc := unpack(t, dc.GetCluster(), &clusterv3.Cluster{})
				if wc.GetName() == "c1" && wc.GetConnectTimeout().AsDuration() != 2*time.Second {
					t.Errorf("step 3: warming c1 has connect_timeout %v, want the new 2s", wc.GetConnectTimeout().AsDuration())
				}
			}
			for _, dc := range cl.GetDynamicActiveClusters() {
				if ac := unpack(t, dc.GetCluster(), &clusterv3.Cluster{}); ac.GetName() == "c1" && ac.GetConnectTimeout().AsDuration() != time.Second {
					t.Errorf("step 3: active c1 has connect_timeout %v, want the old 1s", ac.GetConnectTimeout().AsDuration())
				}
			}

			// 4. c3 goes, so c1's new version comes into force; a bad
			// listener is NACKed and shows its error_state.
			cp.set("4", []*listenerv3.Listener{l1, mongoListener(t, "bad", 10002)}, []*clusterv3.Cluster{c1b, c2}, []*endpointv3.ClusterLoadAssignment{a1, a2})
			var bad *adminv3.ListenersConfigDump_DynamicListener
			waitFor(t, "c1's new version active and listener bad rejected", func() bool {
				d, _ = renderDump(t, c, "")
				cl = dumpOf(t, d, &adminv3.ClustersConfigDump{})
				bad = dynListener(dumpOf(t, d, &adminv3.ListenersConfigDump{}), "bad")
				return len(cl.GetDynamicWarmingClusters()) == 0 && len(cl.GetDynamicActiveClusters()) == 2 && bad != nil
			})
			if got := dynamicClusters(t, cl.GetDynamicActiveClusters()); got["c1"] != versionOf(ClusterTypeURL, "c1", "3") {
				t.Errorf("step 4: active %v, want c1 at the version it changed in", got)
			}
			es := bad.GetErrorState()
			if bad.GetActiveState() != nil || bad.GetWarmingState() != nil || es == nil {
				t.Fatalf("step 4: bad = %v, want an error_state only", bad)
			}
			if !strings.Contains(es.GetDetails(), `listener "bad".filter_chains[0].filters[0]: unsupported filter`) {
				t.Errorf("step 4: error_state.details = %q, want the reason naming the filter", es.GetDetails())
			}
			if n := unpack(t, es.GetFailedConfiguration(), &listenerv3.Listener{}).GetName(); n != "bad" {
				t.Errorf("step 4: failed_configuration is listener %q, want bad", n)
			}
			if es.GetLastUpdateAttempt() == nil || es.GetVersionInfo() != versionOf(ListenerTypeURL, "bad", "4") {
				t.Errorf("step 4: error_state version %q, last_update_attempt %v", es.GetVersionInfo(), es.GetLastUpdateAttempt())
			}
			lsd := dumpOf(t, d, &adminv3.ListenersConfigDump{})
			if l := dynListener(lsd, "l1"); l.GetErrorState() != nil || l.GetActiveState() == nil {
				t.Errorf("step 4: l1 = %v, want active and no error_state", l)
			}
			if !delta && lsd.GetVersionInfo() != "3" {
				t.Errorf("step 4: listeners version_info %q, want the last accepted 3", lsd.GetVersionInfo())
			}
			if st := statusOf(t, d); st["last_error"] == "" || st["updates_rejected"].(float64) < 1 {
				t.Errorf("step 4: status %v, want the rejection", st)
			}

			// 5. The server drops c2 and the bad listener: both go.
			cp.set("5", []*listenerv3.Listener{l1}, []*clusterv3.Cluster{c1b}, []*endpointv3.ClusterLoadAssignment{a1})
			waitFor(t, "c2 and bad gone", func() bool {
				d, _ = renderDump(t, c, "include_eds")
				return len(dumpOf(t, d, &adminv3.ClustersConfigDump{}).GetDynamicActiveClusters()) == 1 &&
					dynListener(dumpOf(t, d, &adminv3.ListenersConfigDump{}), "bad") == nil
			})
			if got := dynamicClusters(t, dumpOf(t, d, &adminv3.ClustersConfigDump{}).GetDynamicActiveClusters()); got["c1"] == "" {
				t.Errorf("step 5: active %v, want c1 only", got)
			}
			if n := len(dumpOf(t, d, &adminv3.EndpointsConfigDump{}).GetDynamicEndpointConfigs()); n != 1 {
				t.Errorf("step 5: %d dynamic endpoint configs, want c1's only", n)
			}
			stop()
		})
	}
}

// checkDumpQueries checks the query parameters against c's state of step
// 2 of TestConfigDumpDynamic: clusters c1 and c2 active, listener l1.
func checkDumpQueries(t *testing.T, c *ADSClient) {
	t.Helper()
	d, _ := renderDump(t, c, "resource=dynamic_active_clusters&name_regex=c1")
	if len(d.GetConfigs()) != 1 {
		t.Fatalf("?resource=dynamic_active_clusters&name_regex=c1: %d configs, want 1", len(d.GetConfigs()))
	}
	dc := unpack(t, d.GetConfigs()[0], &adminv3.ClustersConfigDump_DynamicCluster{})
	if n := unpack(t, dc.GetCluster(), &clusterv3.Cluster{}).GetName(); n != "c1" {
		t.Errorf("?resource=dynamic_active_clusters&name_regex=c1 gave cluster %q", n)
	}
	// name_regex matches whole names.
	d, _ = renderDump(t, c, "name_regex=c")
	if cl := dumpOf(t, d, &adminv3.ClustersConfigDump{}); len(cl.GetDynamicActiveClusters())+len(cl.GetStaticClusters()) != 0 {
		t.Errorf("?name_regex=c kept clusters: %v", cl)
	}
	if !hasDump(d, &adminv3.BootstrapConfigDump{}) || dumpOf(t, d, &adminv3.BootstrapConfigDump{}).GetBootstrap() == nil {
		t.Error("?name_regex=c filtered the bootstrap")
	}
	d, _ = renderDump(t, c, "name_regex=c.*")
	if n := len(dumpOf(t, d, &adminv3.ClustersConfigDump{}).GetDynamicActiveClusters()); n != 2 {
		t.Errorf("?name_regex=c.*: %d active clusters, want 2", n)
	}
	d, _ = renderDump(t, c, "name_regex=xds")
	if cl := dumpOf(t, d, &adminv3.ClustersConfigDump{}); len(cl.GetStaticClusters()) != 1 || len(cl.GetDynamicActiveClusters()) != 0 {
		t.Errorf("?name_regex=xds: %v, want the static cluster xds only", cl)
	}

	d, _ = renderDump(t, c, "mask=version_info")
	cl := dumpOf(t, d, &adminv3.ClustersConfigDump{})
	if cl.GetVersionInfo() == "" || len(cl.GetStaticClusters())+len(cl.GetDynamicActiveClusters()) != 0 {
		t.Errorf("?mask=version_info: clusters dump %v, want version_info only", cl)
	}
	if b := dumpOf(t, d, &adminv3.BootstrapConfigDump{}); b.GetBootstrap() != nil || b.GetLastUpdated() != nil {
		t.Errorf("?mask=version_info: bootstrap dump %v, want it empty", b)
	}
	for _, a := range d.GetConfigs() {
		if a.MessageIs(&xdstypev3.TypedStruct{}) {
			t.Error("?mask=version_info kept the status extension")
		}
	}

	d, _ = renderDump(t, c, "resource=dynamic_listeners&mask=name,active_state.version_info")
	if len(d.GetConfigs()) != 1 {
		t.Fatalf("?resource=dynamic_listeners: %d configs, want 1", len(d.GetConfigs()))
	}
	dl := unpack(t, d.GetConfigs()[0], &adminv3.ListenersConfigDump_DynamicListener{})
	if dl.GetName() != "l1" || dl.GetActiveState().GetVersionInfo() == "" || dl.GetActiveState().GetListener() != nil {
		t.Errorf("?resource=dynamic_listeners&mask=name,active_state.version_info = %v", dl)
	}

	d, _ = renderDump(t, c, "resource=dynamic_endpoint_configs&include_eds")
	if len(d.GetConfigs()) != 2 {
		t.Errorf("?resource=dynamic_endpoint_configs&include_eds: %d configs, want 2", len(d.GetConfigs()))
	}
	d, _ = renderDump(t, c, "resource=static_endpoint_configs&include_eds=true")
	if len(d.GetConfigs()) != 1 {
		t.Fatalf("?resource=static_endpoint_configs: %d configs, want the xds cluster's", len(d.GetConfigs()))
	}
	se := unpack(t, d.GetConfigs()[0], &adminv3.EndpointsConfigDump_StaticEndpointConfig{})
	if n := unpack(t, se.GetEndpointConfig(), &endpointv3.ClusterLoadAssignment{}).GetClusterName(); n != "xds" {
		t.Errorf("static endpoint config of %q, want xds", n)
	}
}

// statusOf returns the value of the status extension, the last config.
func statusOf(t *testing.T, d *adminv3.ConfigDump) map[string]any {
	t.Helper()
	cs := d.GetConfigs()
	if len(cs) == 0 {
		t.Fatal("no configs")
	}
	ts := unpack(t, cs[len(cs)-1], &xdstypev3.TypedStruct{})
	if ts.GetTypeUrl() != XDSStatusTypeURL {
		t.Fatalf("last config is a TypedStruct of %q, want %q", ts.GetTypeUrl(), XDSStatusTypeURL)
	}
	return ts.GetValue().AsMap()
}

// TestConfigDumpDynamicSecretsRedacted checks SDS secrets are shown as
// Envoy shows them, private keys redacted, and that a rejected secret's
// failed_configuration is redacted too.
func TestConfigDumpDynamicSecretsRedacted(t *testing.T) {
	cp := startTest(t)
	pki := testpeer.NewPKI(t, "ca")
	chain, key := pki.Issue(t, "v1", false, "sds.test")
	ls := []*listenerv3.Listener{sdsListener(t, "l1", "server-cert")}
	cs := []*clusterv3.Cluster{edsCluster("c1")}
	las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)}
	cp.setWithSecrets("1", ls, cs, las, certSecret("server-cert", chain, key))
	rec := &recorder{}
	c, stop := runClient(t, cp, rec)
	rec.wait(t, "l1 with its secret", func(u *Update) bool { return len(u.Listeners) == 1 && u.Secrets["server-cert"] != nil })

	d, out := renderDump(t, c, "")
	sd := dumpOf(t, d, &adminv3.SecretsConfigDump{})
	if len(sd.GetDynamicActiveSecrets()) != 1 || len(sd.GetDynamicWarmingSecrets()) != 0 {
		t.Fatalf("secrets dump %v, want one active secret", sd)
	}
	ds := sd.GetDynamicActiveSecrets()[0]
	s := unpack(t, ds.GetSecret(), &tlsv3.Secret{})
	if ds.GetName() != "server-cert" || ds.GetVersionInfo() != "1" || ds.GetLastUpdated() == nil {
		t.Errorf("dynamic secret %v, want server-cert at version 1", ds)
	}
	if got := string(s.GetTlsCertificate().GetPrivateKey().GetInlineBytes()); got != "[redacted]" {
		t.Errorf("private key shows as %q, want [redacted]", got)
	}
	if !bytes.Equal(s.GetTlsCertificate().GetCertificateChain().GetInlineBytes(), chain) {
		t.Error("the certificate chain is not shown as received")
	}
	if bytes.Contains(out, key) || bytes.Contains(out, []byte(base64.StdEncoding.EncodeToString(key))) {
		t.Error("/config_dump shows the private key")
	}

	// A secret whose key does not parse is rejected; the version in force
	// carries the error_state, its key redacted.
	cp.setWithSecrets("2", ls, cs, las, certSecret("server-cert", chain, []byte("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")))
	waitFor(t, "the secret's error_state", func() bool {
		d, out = renderDump(t, c, "")
		sd = dumpOf(t, d, &adminv3.SecretsConfigDump{})
		return len(sd.GetDynamicActiveSecrets()) == 1 && sd.GetDynamicActiveSecrets()[0].GetErrorState() != nil
	})
	es := sd.GetDynamicActiveSecrets()[0].GetErrorState()
	fs := unpack(t, es.GetFailedConfiguration(), &tlsv3.Secret{})
	if got := string(fs.GetTlsCertificate().GetPrivateKey().GetInlineBytes()); got != "[redacted]" || es.GetVersionInfo() != "2" || es.GetDetails() == "" {
		t.Errorf("error_state %v: key %q, want version 2, details and the key redacted", es, got)
	}
	if sd.GetDynamicActiveSecrets()[0].GetVersionInfo() != "1" {
		t.Errorf("active secret version %q, want 1 still", sd.GetDynamicActiveSecrets()[0].GetVersionInfo())
	}
	stop()
}

// TestConfigDumpFileSources checks resources from path config sources
// are dynamic, versioned by their file.
func TestConfigDumpFileSources(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	replaceFile(t, filepath.Join(dir, "lds.yaml"), ldsFile(10001, "c1"))
	replaceFile(t, filepath.Join(dir, "cds.yaml"), staticClusterFile("v1", 20001))
	rec := &recorder{}
	c, stop := runClient(t, nil, rec, fileSources(dir, nil))
	rec.wait(t, "l1 and c1 from the files", func(u *Update) bool { return len(u.Listeners) == 1 && len(u.Clusters) == 1 })
	d, _ := renderDump(t, c, "")
	cl := dumpOf(t, d, &adminv3.ClustersConfigDump{})
	if got := dynamicClusters(t, cl.GetDynamicActiveClusters()); got["c1"] != "v1" || cl.GetVersionInfo() != "v1" {
		t.Errorf("clusters %v version_info %q, want c1 at v1", got, cl.GetVersionInfo())
	}
	l := dynListener(dumpOf(t, d, &adminv3.ListenersConfigDump{}), "l1")
	if len(l.GetActiveState().GetVersionInfo()) != 16 {
		t.Errorf("l1 = %v, want active at the file's 16-digit hash", l)
	}
	if st := statusOf(t, d); st["cds_source"] != filepath.Join(dir, "cds.yaml") || st["ads_cluster"] != "xds" {
		t.Errorf("status %v, want cds_source the file", st)
	}
	replaceFile(t, filepath.Join(dir, "cds.yaml"), staticClusterFile("v2", 20002))
	waitFor(t, "c1 at v2", func() bool {
		d, _ = renderDump(t, c, "")
		return dynamicClusters(t, dumpOf(t, d, &adminv3.ClustersConfigDump{}).GetDynamicActiveClusters())["c1"] == "v2"
	})
	stop()
}

// TestConfigDumpEDSFile checks a load assignment read from an EDS file
// beside ADS shows as the file has it.
func TestConfigDumpEDSFile(t *testing.T) {
	cp := startTest(t)
	eds := filepath.Join(t.TempDir(), "eds.json")
	replaceFile(t, eds, `{"version_info": "f1", "resources": [{"@type": "`+EndpointTypeURL+`", "cluster_name": "fromfile",
		"endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 20009}}}}]}]}]}`)
	file := edsCluster("fromfile")
	file.EdsClusterConfig.EdsConfig = &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_PathConfigSource{
		PathConfigSource: &corev3.PathConfigSource{Path: eds},
	}}
	cp.set("1", nil, []*clusterv3.Cluster{edsCluster("c1"), file}, []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)})
	rec := &recorder{}
	c, stop := runClient(t, cp, rec)
	rec.wait(t, "both clusters with endpoints", func(u *Update) bool { return u.Endpoints["c1"] != nil && u.Endpoints["fromfile"] != nil })
	d, _ := renderDump(t, c, "include_eds")
	got := map[string]string{}
	for _, e := range dumpOf(t, d, &adminv3.EndpointsConfigDump{}).GetDynamicEndpointConfigs() {
		la := unpack(t, e.GetEndpointConfig(), &endpointv3.ClusterLoadAssignment{})
		port := la.GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()
		got[la.GetClusterName()] = fmt.Sprintf("%s@%d", e.GetVersionInfo(), port)
	}
	if want := map[string]string{"c1": "1@20001", "fromfile": "f1@20009"}; !maps.Equal(got, want) {
		t.Errorf("dynamic endpoint configs %v, want %v", got, want)
	}
	stop()
}
