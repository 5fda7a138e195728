package server

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// writeFile writes content to dir/rel, creating directories.
func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const listenersYAML = `resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: edge
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.tcp_proxy
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
        stat_prefix: edge
        cluster: app
`

const clustersYAML = `version_info: "1"
resources:
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: app
  type: EDS
  connect_timeout: 1s
  eds_cluster_config:
    eds_config: {ads: {}, resource_api_version: V3}
`

// endpointsYAML is a ClusterLoadAssignment for app with one endpoint,
// written as a single resource with "@type".
func endpointsYAML(port int) string {
	return fmt.Sprintf(`"@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
cluster_name: app
endpoints:
- lb_endpoints:
  - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}
`, port)
}

// goodDir writes a valid directory: listener edge -> EDS cluster app ->
// one endpoint on port.
func goodDir(t *testing.T, port int) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "listeners.yaml", listenersYAML)
	writeFile(t, dir, "clusters.yaml", clustersYAML)
	writeFile(t, dir, "endpoints.yaml", endpointsYAML(port))
	return dir
}
