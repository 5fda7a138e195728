package server

import (
	"errors"
	"strings"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rsrc "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// httpListenerYAML is a listener whose HTTP connection manager takes
// route configuration "main" by RDS.
const httpListenerYAML = `resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: http
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: http
        rds: {route_config_name: main, config_source: {ads: {}, resource_api_version: V3}}
        http_filters: [{name: envoy.filters.http.router}]
`

// routesYAML is route configuration "main" routing / to cluster, with
// the given extra route fields.
func routesYAML(cluster, extra string) string {
	return `"@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
name: main
` + extra + `
virtual_hosts:
- name: all
  domains: ["*"]
  routes:
  - match: {prefix: /}
    route: {cluster: ` + cluster + `}
`
}

// httpDir is goodDir with an HTTP listener and its route configuration.
func httpDir(t *testing.T, routes string) string {
	t.Helper()
	dir := goodDir(t, 7001)
	writeFile(t, dir, "http.yaml", httpListenerYAML)
	writeFile(t, dir, "routes.yaml", routes)
	return dir
}

// TestLoadHTTPRoutes checks RouteConfiguration resources with Sidewire's
// translator: a good one is served; one Sidewire would NACK is refused
// with its file and field path, and one that validates clusters is
// checked against the node's clusters.
func TestLoadHTTPRoutes(t *testing.T) {
	cfg, err := Load(httpDir(t, routesYAML("app", "")), CheckSidewire)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c := cfg.Counts(""); c["lds"] != 2 || c["rds"] != 1 {
		t.Errorf("Counts() = %v, want two listeners and one route", c)
	}
	rc := cfg.Snapshot("").GetResources(rsrc.RouteType)["main"].(*routev3.RouteConfiguration)
	if rc.GetVirtualHosts()[0].GetRoutes()[0].GetRoute().GetCluster() != "app" {
		t.Errorf("served route configuration = %v", rc)
	}
	// Without validate_clusters (RDS's default) an unknown cluster is
	// served: the proxy answers 503 until it exists.
	if _, err := Load(httpDir(t, routesYAML("later", "")), CheckSidewire); err != nil {
		t.Errorf("Load with an unknown cluster, validate_clusters unset: %v", err)
	}
	for _, tc := range []struct {
		name, routes, want string
	}{
		{"bad regex", strings.Replace(routesYAML("app", ""), "{prefix: /}", "{safe_regex: {regex: '(?<'}}", 1),
			"routes.yaml: virtual_hosts[0].routes[0].match.safe_regex.regex: invalid RE2 regular expression"},
		{"unsupported field", routesYAML("app", "vhds: {config_source: {ads: {}}}"), "routes.yaml: vhds: not supported"},
		{"unknown cluster, validated", routesYAML("later", "validate_clusters: true"),
			`routes.yaml: virtual_hosts[0].routes[0].route.cluster: unknown cluster "later"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(httpDir(t, tc.routes), CheckSidewire)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v\nwant %s", err, tc.want)
			}
			var fe *FileError
			var ce *config.FieldError
			if !errors.As(err, &fe) || !errors.As(err, &ce) {
				t.Errorf("error %v: want a *FileError holding a *config.FieldError", err)
			}
		})
	}
}

// TestServeKeepsRoutesOnBadFile: a route configuration Sidewire would
// NACK is reported, nothing is sent, and the last good one stays served.
func TestServeKeepsRoutesOnBadFile(t *testing.T) {
	dir := httpDir(t, routesYAML("app", ""))
	r := startServer(t, Options{Dir: dir})
	s := openSotW(t, dial(t, r.addr), "n1")
	s.request(rsrc.RouteType, []string{"main"}, nil)
	rds := s.recv(5 * time.Second)
	if rds.GetTypeUrl() != rsrc.RouteType || len(rds.GetResources()) != 1 {
		t.Fatalf("RDS response: %s with %d resources, want route configuration main", rds.GetTypeUrl(), len(rds.GetResources()))
	}
	s.request(rsrc.RouteType, []string{"main"}, rds)
	gen := r.srv.Status().Generation

	writeFile(t, dir, "routes.yaml", strings.Replace(routesYAML("app", ""), `domains: ["*"]`, `domains: ["*", "*"]`, 1))
	eventually(t, "the bad route file is reported", func() bool { return r.srv.Status().Rejected == 1 })
	s.quiet(200 * time.Millisecond)
	st := r.srv.Status()
	if st.Generation != gen || !strings.Contains(st.LastError, `routes.yaml: virtual_hosts[0].domains[1]: only one virtual host may have the wildcard domain "*"`) {
		t.Errorf("after a bad route file: generation %d (want %d), last error %q", st.Generation, gen, st.LastError)
	}
	served, _ := r.srv.Config().Snapshot("n1").GetResources(rsrc.RouteType)["main"].(*routev3.RouteConfiguration)
	if vhs := served.GetVirtualHosts(); len(vhs) != 1 || len(vhs[0].GetDomains()) != 1 {
		d := served.GetVirtualHosts()
		t.Errorf("served domains %v, want the last good [*]", d)
	}

	// Fixed: the new version is sent.
	writeFile(t, dir, "routes.yaml", routesYAML("app", "validate_clusters: true"))
	rds2 := s.recv(5 * time.Second)
	if rds2.GetTypeUrl() != rsrc.RouteType || rds2.GetVersionInfo() == rds.GetVersionInfo() {
		t.Fatalf("after the fix: %s version %s, want a new RDS version", rds2.GetTypeUrl(), rds2.GetVersionInfo())
	}
}
