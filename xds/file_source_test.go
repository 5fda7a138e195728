package xds

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/proxy/config"
)

// replaceFile replaces path atomically, as editors and sed -i do.
func replaceFile(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func ldsFile(port int, cluster string) string {
	return fmt.Sprintf(`resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: l1
  address: {socket_address: {address: 127.0.0.1, port_value: %d}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.tcp_proxy
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
        stat_prefix: l1
        cluster: %s
`, port, cluster)
}

func staticClusterFile(version string, port int) string {
	return fmt.Sprintf(`version_info: %q
resources:
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: c1
  type: STATIC
  load_assignment:
    cluster_name: c1
    endpoints:
    - lb_endpoints:
      - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}
`, version, port)
}

// responses records OnResponse calls.
type responses struct {
	mu   sync.Mutex
	errs map[string][]error
}

func (r *responses) record(resp Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.errs == nil {
		r.errs = map[string][]error{}
	}
	r.errs[resp.TypeURL] = append(r.errs[resp.TypeURL], resp.Err)
}

func (r *responses) rejected(typ string) []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []error
	for _, e := range r.errs[typ] {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func fileSources(dir string, resp *responses) func(*ADSConfig) {
	return func(c *ADSConfig) {
		c.LDS = &FileSource{Path: filepath.Join(dir, "lds.yaml")}
		c.CDS = &FileSource{Path: filepath.Join(dir, "cds.yaml")}
		if resp != nil {
			c.OnResponse = resp.record
		}
	}
}

func TestPathConfigLoadAndUpdate(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	replaceFile(t, filepath.Join(dir, "lds.yaml"), ldsFile(10001, "c1"))
	replaceFile(t, filepath.Join(dir, "cds.yaml"), staticClusterFile("v1", 20001))
	rec := &recorder{}
	c, stop := runClient(t, nil, rec, fileSources(dir, nil))

	u := rec.wait(t, "l1 and c1 from the files", func(u *Update) bool { return len(u.Listeners) == 1 && len(u.Clusters) == 1 })
	if u.Versions[ClusterTypeURL] != "v1" || len(u.Versions[ListenerTypeURL]) != 16 {
		t.Errorf("versions = %v, want cds v1 (version_info) and a 16-digit hash for lds", u.Versions)
	}
	// sed -i style: a new file renamed over the old one, same size.
	replaceFile(t, filepath.Join(dir, "cds.yaml"), staticClusterFile("v2", 20002))
	u = rec.wait(t, "c1 on port 20002", func(u *Update) bool {
		return len(u.Clusters) == 1 && u.Clusters[0].LoadAssignment.Localities[0].Endpoints[0].Address.Port == 20002
	})
	if u.Versions[ClusterTypeURL] != "v2" || u.Changed != ClusterTypeURL {
		t.Errorf("update = versions %v changed %s, want cds v2", u.Versions, u.Changed)
	}
	// In place, keeping the inode.
	if err := os.WriteFile(filepath.Join(dir, "lds.yaml"), []byte(ldsFile(10009, "c1")), 0o644); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "l1 on port 10009", func(u *Update) bool {
		return len(u.Listeners) == 1 && u.Listeners[0].Address.Port == 10009
	})
	if st := c.Status(); st.Connected || st.Rejected != 0 || st.Updates < 3 {
		t.Errorf("status = %+v, want 3 updates, no rejection, no ADS connection", st)
	}
	stop()
}

func TestPathConfigBadFileKeepsLastGood(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	lds := filepath.Join(dir, "lds.yaml")
	replaceFile(t, lds, ldsFile(10001, "c1"))
	replaceFile(t, filepath.Join(dir, "cds.yaml"), staticClusterFile("v1", 20001))
	rec := &recorder{}
	resp := &responses{}
	c, _ := runClient(t, nil, rec, fileSources(dir, resp))
	rec.wait(t, "l1", func(u *Update) bool { return len(u.Listeners) == 1 })

	for i, tc := range []struct{ data, want string }{
		{strings.Replace(ldsFile(10001, "c1"), "stat_prefix", "stat_prefx", 1), `listener "l1".filter_chains[0].filters[0].typed_config.stat_prefx: unknown field`},
		{strings.Replace(ldsFile(10001, "c1"), "tcp_proxy.v3.TcpProxy", "mongo_proxy.v3.MongoProxy", 1), "unsupported"},
		{strings.Replace(ldsFile(10001, "c1"), "listener.v3.Listener", "cluster.v3.Cluster", 1), "resources[0].@type: must be " + ListenerTypeURL},
		{"resources: [\n", "parse file"},
	} {
		replaceFile(t, lds, tc.data)
		waitFor(t, fmt.Sprintf("rejection %d", i+1), func() bool { return len(resp.rejected(ListenerTypeURL)) > i })
		if err := resp.rejected(ListenerTypeURL)[i]; !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rejection %d = %v, want it to contain %q", i+1, err, tc.want)
		}
		if st := c.Status(); !strings.Contains(st.LastError, lds) {
			t.Errorf("LastError = %q, want it to name %s", st.LastError, lds)
		}
	}
	for _, u := range rec.all() {
		if len(u.Listeners) > 1 || len(u.Listeners) == 1 && u.Listeners[0].Address.Port != 10001 {
			t.Fatalf("a rejected file was applied: %+v", u.Listeners)
		}
	}
	// A missing file is logged and the last good config stays.
	if err := os.Remove(lds); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "LastError about the missing file", func() bool { return strings.Contains(c.Status().LastError, "no such file") })
	replaceFile(t, lds, ldsFile(10002, "c1"))
	rec.wait(t, "l1 on port 10002 once the file is fixed", func(u *Update) bool {
		return len(u.Listeners) == 1 && u.Listeners[0].Address.Port == 10002
	})
}

// TestPathConfigWatchedDirectory swaps the data directory the way a
// Kubernetes ConfigMap volume does: the file is a symlink through
// "..data", itself a symlink replaced by a rename.
func TestPathConfigWatchedDirectory(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	stage := func(name, cds string) {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "cds.yaml"), []byte(cds), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(name, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	stage("ts1", staticClusterFile("v1", 20001))
	if err := os.Symlink(filepath.Join("..data", "cds.yaml"), filepath.Join(dir, "cds.yaml")); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	runClient(t, nil, rec, func(c *ADSConfig) {
		c.CDS = &FileSource{Path: filepath.Join(dir, "cds.yaml"), WatchedDirectory: dir}
		c.LDS = &FileSource{Path: filepath.Join(dir, "lds.yaml")} // missing: no listeners
	})
	rec.wait(t, "c1 v1", func(u *Update) bool { return u.Versions[ClusterTypeURL] == "v1" })
	stage("ts2", staticClusterFile("v2", 20002))
	rec.wait(t, "c1 v2 after the directory swap", func(u *Update) bool {
		return u.Versions[ClusterTypeURL] == "v2" && u.Clusters[0].LoadAssignment.Localities[0].Endpoints[0].Address.Port == 20002
	})
}

func TestPathConfigEDSFile(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	eds := filepath.Join(dir, "eds.yaml")
	edsFile := func(port int) string {
		return fmt.Sprintf(`resources:
- "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
  cluster_name: app
  endpoints:
  - lb_endpoints:
    - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}
- "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
  cluster_name: unused
`, port)
	}
	edsCluster := func(name, service string) string {
		return fmt.Sprintf(`- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: %s
  type: EDS
  eds_cluster_config:
    service_name: %s
    eds_config: {path_config_source: {path: %s}}
`, name, service, eds)
	}
	replaceFile(t, eds, edsFile(20001))
	replaceFile(t, filepath.Join(dir, "cds.yaml"), "resources:\n"+edsCluster("c1", "app"))
	replaceFile(t, filepath.Join(dir, "lds.yaml"), ldsFile(10001, "c1"))
	rec := &recorder{}
	resp := &responses{}
	runClient(t, nil, rec, fileSources(dir, resp))
	port := func(u *Update, cluster string) uint32 {
		for _, c := range u.Clusters {
			if c.Name == cluster && c.LoadAssignment != nil && len(c.LoadAssignment.Localities) > 0 {
				return c.LoadAssignment.Localities[0].Endpoints[0].Address.Port
			}
		}
		return 0
	}
	u := rec.wait(t, "c1 with the endpoint from eds.yaml", func(u *Update) bool { return port(u, "c1") == 20001 })
	if _, ok := u.Endpoints["unused"]; ok {
		t.Error("an assignment no cluster names was kept")
	}
	replaceFile(t, eds, edsFile(20002))
	rec.wait(t, "c1 on the new endpoint", func(u *Update) bool { return port(u, "c1") == 20002 && u.Changed == EndpointTypeURL })

	// A second cluster fed by the same, unchanged file gets its assignment.
	replaceFile(t, filepath.Join(dir, "cds.yaml"), "resources:\n"+edsCluster("c1", "app")+edsCluster("c2", "app"))
	rec.wait(t, "c2 with the endpoint from eds.yaml", func(u *Update) bool { return port(u, "c2") == 20002 })

	// A cluster taking EDS over ADS without an ads_config is rejected.
	replaceFile(t, filepath.Join(dir, "cds.yaml"), "resources:\n"+strings.Replace(edsCluster("c1", "app"), "{path_config_source: {path: "+eds+"}}", "{ads: {}}", 1))
	waitFor(t, "the CDS rejection", func() bool { return len(resp.rejected(ClusterTypeURL)) > 0 })
	want := `cluster "c1".eds_cluster_config.eds_config.ads: needs dynamic_resources.ads_config`
	err := resp.rejected(ClusterTypeURL)[0]
	var fe *config.FieldError
	if !strings.Contains(err.Error(), want) || !errors.As(err, &fe) {
		t.Errorf("rejection = %v, want a FieldError %q", err, want)
	}
}

// TestADSWithListenerFile: listeners from a file, clusters from a SotW
// control plane, which is never asked for listeners.
func TestADSWithListenerFile(t *testing.T) {
	for _, delta := range []bool{false, true} {
		t.Run(fmt.Sprintf("delta=%v", delta), func(t *testing.T) {
			cp := startTest(t)
			dir := t.TempDir()
			replaceFile(t, filepath.Join(dir, "lds.yaml"), ldsFile(10001, "c1"))
			cp.set("1", nil, []*clusterv3.Cluster{edsCluster("c1")}, []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)})
			rec := &recorder{}
			runClient(t, cp, rec, func(c *ADSConfig) {
				c.Delta = delta
				c.LDS = &FileSource{Path: filepath.Join(dir, "lds.yaml")}
			})
			rec.wait(t, "l1 from the file, c1 from ADS", func(u *Update) bool {
				return len(u.Listeners) == 1 && len(u.Clusters) == 1 && u.Endpoints["c1"] != nil
			})
			for _, r := range cp.sotwRequests() {
				if r.req.GetTypeUrl() == ListenerTypeURL {
					t.Errorf("listeners were asked for over SotW ADS: %v", r.req)
				}
			}
			cp.mu.Lock()
			for _, r := range cp.dreqs {
				if r.req.GetTypeUrl() == ListenerTypeURL {
					t.Errorf("listeners were asked for over delta ADS: %v", r.req)
				}
			}
			cp.mu.Unlock()
		})
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestADSClusterWithEDSFile: a cluster from the control plane takes its
// endpoints from a file; only the other EDS cluster is subscribed to.
func TestADSClusterWithEDSFile(t *testing.T) {
	for _, delta := range []bool{false, true} {
		t.Run(fmt.Sprintf("delta=%v", delta), func(t *testing.T) {
			cp := startTest(t)
			eds := filepath.Join(t.TempDir(), "eds.json")
			replaceFile(t, eds, `{"resources": [{"@type": "`+EndpointTypeURL+`", "cluster_name": "fromfile",
				"endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 20009}}}}]}]}]}`)
			file := edsCluster("fromfile")
			file.EdsClusterConfig.EdsConfig = &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_PathConfigSource{
				PathConfigSource: &corev3.PathConfigSource{Path: eds},
			}}
			cp.set("1", nil, []*clusterv3.Cluster{edsCluster("c1"), file}, []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)})
			rec := &recorder{}
			c, _ := runClient(t, cp, rec, func(c *ADSConfig) { c.Delta = delta })
			u := rec.wait(t, "both clusters with endpoints", func(u *Update) bool {
				return u.Endpoints["c1"] != nil && u.Endpoints["fromfile"] != nil
			})
			if p := u.Endpoints["fromfile"].Localities[0].Endpoints[0].Address.Port; p != 20009 {
				t.Errorf("fromfile endpoint port %d, want 20009 from the file", p)
			}
			if v := c.Status().Versions[EndpointTypeURL]; v != "1" {
				t.Errorf("EDS version %q, want the control plane's 1", v)
			}
			for _, r := range cp.sotwRequests() {
				if r.req.GetTypeUrl() == EndpointTypeURL && !slices.Equal(r.req.GetResourceNames(), []string{"c1"}) {
					t.Errorf("EDS request names %v, want [c1]", r.req.GetResourceNames())
				}
			}
			cp.mu.Lock()
			for _, r := range cp.dreqs {
				if slices.Contains(r.req.GetResourceNamesSubscribe(), "fromfile") {
					t.Errorf("delta EDS subscribed to fromfile: %v", r.req)
				}
			}
			cp.mu.Unlock()
		})
	}
}
