package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	redisv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	rsrc "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestLoadDirectory(t *testing.T) {
	dir := goodDir(t, 7001)
	writeFile(t, dir, "README.md", "not a resource file")
	writeFile(t, dir, ".swap.yaml", "{{{ hidden, never read")
	writeFile(t, dir, "empty.yaml", "")
	cfg, err := Load(dir, CheckSidewire)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := map[string]int{"lds": 1, "cds": 1, "eds": 1, "rds": 0, "sds": 0}
	got := cfg.Counts("any-node")
	for k, n := range want {
		if got[k] != n {
			t.Errorf("Counts()[%s] = %d, want %d (all %v)", k, got[k], n, got)
		}
	}
	for k, v := range cfg.Versions("") {
		if len(v) != 16 {
			t.Errorf("version of %s = %q, want 16 hex digits", k, v)
		}
	}
	la := cfg.Snapshot("x").GetResources(rsrc.EndpointType)["app"].(*endpointv3.ClusterLoadAssignment)
	if p := la.GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetPortValue(); p != 7001 {
		t.Errorf("endpoint port = %d, want 7001", p)
	}
	if err := cfg.Snapshot("x").Consistent(); err != nil {
		t.Errorf("snapshot not consistent: %v", err)
	}
}

func TestLoadVersionsFollowContent(t *testing.T) {
	dir := goodDir(t, 7001)
	a, err := Load(dir, CheckSidewire)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "endpoints.yaml", endpointsYAML(7002))
	b, err := Load(dir, CheckSidewire)
	if err != nil {
		t.Fatal(err)
	}
	va, vb := a.Versions(""), b.Versions("")
	if va["eds"] == vb["eds"] {
		t.Errorf("eds version %s did not change with the endpoints", va["eds"])
	}
	for _, k := range []string{"lds", "cds", "rds", "sds"} {
		if va[k] != vb[k] {
			t.Errorf("%s version changed (%s -> %s) though its resources did not", k, va[k], vb[k])
		}
	}
}

func TestLoadNodeOverrides(t *testing.T) {
	dir := goodDir(t, 7001)
	writeFile(t, dir, "nodes/edge-1/endpoints.yaml", endpointsYAML(7009))
	writeFile(t, dir, "nodes/edge-2/extra.yaml", `resources:
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: extra
  type: STATIC
  connect_timeout: 1s
  load_assignment:
    cluster_name: extra
    endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 7010}}}}]}]
`)
	cfg, err := Load(dir, CheckSidewire)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := strings.Join(cfg.Nodes(), ","); got != "edge-1,edge-2" {
		t.Errorf("Nodes() = %s, want edge-1,edge-2", got)
	}
	port := func(node string) uint32 {
		la := cfg.Snapshot(node).GetResources(rsrc.EndpointType)["app"].(*endpointv3.ClusterLoadAssignment)
		return la.GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()
	}
	if p := port("edge-1"); p != 7009 {
		t.Errorf("edge-1 endpoint port = %d, want its override 7009", p)
	}
	if p := port("edge-2"); p != 7001 {
		t.Errorf("edge-2 endpoint port = %d, want the shared 7001", p)
	}
	if p := port("other"); p != 7001 {
		t.Errorf("other node endpoint port = %d, want the shared 7001", p)
	}
	if n := len(cfg.Snapshot("edge-2").GetResources(rsrc.ClusterType)); n != 2 {
		t.Errorf("edge-2 has %d clusters, want 2 (shared app + its extra)", n)
	}
	if n := len(cfg.Snapshot("edge-1").GetResources(rsrc.ClusterType)); n != 1 {
		t.Errorf("edge-1 has %d clusters, want 1", n)
	}
	if cfg.Versions("edge-1")["eds"] == cfg.Versions("")["eds"] {
		t.Error("edge-1 eds version equals the shared one though its endpoints differ")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{{
		name:  "bad yaml",
		files: map[string]string{"clusters.yaml": "resources: [\n"},
		want:  []string{"clusters.yaml: parse yaml"},
	}, {
		name:  "unknown field",
		files: map[string]string{"clusters.yaml": strings.Replace(clustersYAML, "connect_timeout: 1s", "connect_timeout: 1s\n  conect_timeout: 2s", 1)},
		want:  []string{"clusters.yaml: resources[0]: ", `unknown field "conect_timeout"`},
	}, {
		name:  "negative timeout refused by Sidewire's translator",
		files: map[string]string{"clusters.yaml": strings.Replace(clustersYAML, "connect_timeout: 1s", "connect_timeout: 1s\n  dns_refresh_rate: 5s", 1)},
		want:  []string{"clusters.yaml: resources[0].dns_refresh_rate: "},
	}, {
		name:  "unknown cluster",
		files: map[string]string{"listeners.yaml": strings.Replace(listenersYAML, "cluster: app", "cluster: nope", 1)},
		want:  []string{`listeners.yaml: resources[0].filter_chains[0].filters[0].typed_config.cluster: unknown cluster "nope"`},
	}, {
		name:  "eds cluster without assignment",
		files: map[string]string{"endpoints.yaml": ""},
		want:  []string{`clusters.yaml: resources[0].name: EDS cluster needs a ClusterLoadAssignment with cluster_name "app"`},
	}, {
		name:  "assignment without cluster",
		files: map[string]string{"more.yaml": strings.Replace(endpointsYAML(1), "cluster_name: app", "cluster_name: orphan", 1)},
		want:  []string{`more.yaml: cluster_name: no EDS cluster uses ClusterLoadAssignment "orphan"`},
	}, {
		name:  "name defined twice",
		files: map[string]string{"again.yaml": clustersYAML},
		want:  []string{`clusters.yaml: resources[0]: cds "app" is also defined in again.yaml: resources[0]`},
	}, {
		name:  "missing name",
		files: map[string]string{"again.yaml": strings.Replace(clustersYAML, "name: app", "alt_stat_name: x", 1)},
		want:  []string{"again.yaml: resources[0].name: is required"},
	}, {
		name:  "unsupported type",
		files: map[string]string{"node.yaml": `{"@type": "type.googleapis.com/envoy.config.core.v3.Node", "id": "x"}`},
		want:  []string{"node.yaml: unsupported resource type type.googleapis.com/envoy.config.core.v3.Node"},
	}, {
		name:  "type_url mismatch",
		files: map[string]string{"clusters.yaml": "type_url: type.googleapis.com/envoy.config.listener.v3.Listener\n" + clustersYAML},
		want:  []string{"clusters.yaml: resources[0]: type type.googleapis.com/envoy.config.cluster.v3.Cluster differs from the file's type_url"},
	}, {
		name:  "not a resource file",
		files: map[string]string{"x.yaml": "name: app\n"},
		want:  []string{`x.yaml: want a "resources" list`},
	}, {
		name:  "unexpected directory",
		files: map[string]string{"more/x.yaml": clustersYAML},
		want:  []string{"more: unexpected directory"},
	}, {
		name:  "bad override names the node",
		files: map[string]string{"nodes/n1/l.yaml": strings.Replace(listenersYAML, "cluster: app", "cluster: nope", 1)},
		want:  []string{`nodes/n1/l.yaml (node "n1"): resources[0].filter_chains[0].filters[0].typed_config.cluster: unknown cluster "nope"`},
	}, {
		name: "every problem at once",
		files: map[string]string{
			"a.yaml": "resources: [{\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: a, bogus: 1}]",
			"b.yaml": "resources: [{\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: b, bogus: 1}]",
		},
		want: []string{"a.yaml: resources[0]", "b.yaml: resources[0]"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := goodDir(t, 7001)
			for rel, content := range tc.files {
				writeFile(t, dir, rel, content)
			}
			cfg, err := Load(dir, CheckSidewire)
			if err == nil {
				t.Fatalf("Load succeeded (%v), want an error", cfg.Counts(""))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("errors.As(*FileError) failed on %v", err)
			}
		})
	}
}

// TestLoadFieldErrorsInChain checks that translator errors keep their
// *config.FieldError under the *FileError.
func TestLoadFieldErrorsInChain(t *testing.T) {
	dir := goodDir(t, 7001)
	writeFile(t, dir, "clusters.yaml", strings.Replace(clustersYAML, "connect_timeout: 1s", "connect_timeout: 1s\n  dns_refresh_rate: 5s", 1))
	_, err := Load(dir, CheckSidewire)
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Path != "resources[0].dns_refresh_rate" {
		t.Fatalf("errors.As(*config.FieldError) = %v (path %q), want path resources[0].dns_refresh_rate; error: %v", fe != nil, pathOf(fe), err)
	}
}

func pathOf(fe *config.FieldError) string {
	if fe == nil {
		return ""
	}
	return fe.Path
}

// TestLoadEnvoyChecks serves what only Envoy understands (an HTTP
// listener upgrading to WebSocket, with RDS) with CheckEnvoy, which
// CheckSidewire refuses.
func TestLoadEnvoyChecks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "http.yaml", `resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: http
  address: {socket_address: {address: 127.0.0.1, port_value: 8080}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: http
        upgrade_configs: [{upgrade_type: websocket}]
        rds: {route_config_name: main, config_source: {ads: {}, resource_api_version: V3}}
        http_filters:
        - name: envoy.filters.http.router
          typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
- "@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
  name: main
`)
	cfg, err := Load(dir, CheckEnvoy)
	if err != nil {
		t.Fatalf("Load with CheckEnvoy: %v", err)
	}
	if c := cfg.Counts(""); c["lds"] != 1 || c["rds"] != 1 {
		t.Errorf("Counts() = %v, want one listener and one route", c)
	}
	if _, err := Load(dir, CheckSidewire); err == nil || !strings.Contains(err.Error(), "http.yaml: resources[0].filter_chains[0].filters[0].typed_config.upgrade_configs: not supported") {
		t.Errorf("Load with CheckSidewire: %v, want the WebSocket upgrade refused with its path", err)
	}
	writeFile(t, dir, "orphan.yaml", `{"@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration, name: orphan}`)
	if _, err := Load(dir, CheckEnvoy); err == nil || !strings.Contains(err.Error(), "inconsistent") && !strings.Contains(err.Error(), "mismatched") {
		t.Errorf("Load with an unreferenced route: %v, want go-control-plane's consistency error", err)
	}
	writeFile(t, dir, "orphan.yaml", `{"@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration, name: ""}`)
	if _, err := Load(dir, CheckEnvoy); err == nil || !strings.Contains(err.Error(), "orphan.yaml: name: is required") {
		t.Errorf("Load with a nameless route: %v, want orphan.yaml: name: is required", err)
	}
}

// TestLoadLeavesProxyLocalSourcesToTheProxy checks that DataSources
// naming a file or an environment variable of the proxy's host are not
// read by the control plane, and are served as written.
func TestLoadLeavesProxyLocalSourcesToTheProxy(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "redis.yaml", `resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: redis
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.redis_proxy
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy
        stat_prefix: redis
        settings: {op_timeout: 2s}
        prefix_routes: {catch_all_route: {cluster: redis}}
        downstream_auth_passwords: [{filename: /nonexistent/on/the/control/plane}]
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: redis
  type: STATIC
  connect_timeout: 1s
  load_assignment:
    cluster_name: redis
    endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 6379}}}}]}]
  typed_extension_protocol_options:
    envoy.filters.network.redis_proxy:
      "@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions
      auth_password: {environment_variable: SIDEWIRE_TEST_UNSET_VARIABLE}
`)
	cfg, err := Load(dir, CheckSidewire)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	c := cfg.Snapshot("").GetResources(rsrc.ClusterType)["redis"].(*clusterv3.Cluster)
	var opts redisv3.RedisProtocolOptions
	if err := c.GetTypedExtensionProtocolOptions()["envoy.filters.network.redis_proxy"].UnmarshalTo(&opts); err != nil {
		t.Fatal(err)
	}
	if v := opts.GetAuthPassword().GetEnvironmentVariable(); v != "SIDEWIRE_TEST_UNSET_VARIABLE" {
		t.Errorf("served auth_password = %v, want the environment variable as written", opts.GetAuthPassword())
	}
	// Still checked where it is not proxy-local: an empty inline password.
	writeFile(t, dir, "redis.yaml", strings.Replace(mustRead(t, dir, "redis.yaml"), "{filename: /nonexistent/on/the/control/plane}", `{inline_string: ""}`, 1))
	if _, err := Load(dir, CheckSidewire); err == nil || !strings.Contains(err.Error(), "redis.yaml: resources[0].filter_chains[0].filters[0].typed_config.downstream_auth_passwords[0]") {
		t.Errorf("Load with an empty inline password: %v, want it refused with its path", err)
	}
}

func mustRead(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
