package xds

import (
	"errors"
	"strings"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/sidewire/sidewire/proxy/config"
)

// fromYAML decodes YAML into m as a bootstrap would be.
func fromYAML(t *testing.T, y string, m proto.Message) {
	t.Helper()
	js, err := yaml.YAMLToJSONStrict([]byte(y))
	if err != nil {
		t.Fatalf("yaml: %v", err)
	}
	if err := decodeJSON("", js, m); err != nil {
		t.Fatalf("decode %T: %v", m, err)
	}
}

// routeConfigFromYAML is a RouteConfiguration written in YAML.
func routeConfigFromYAML(t *testing.T, y string) *routev3.RouteConfiguration {
	t.Helper()
	m := &routev3.RouteConfiguration{}
	fromYAML(t, y, m)
	return m
}

// hcmYAML is an HTTP connection manager with the router and the given
// extra YAML (indented by two spaces per level, at the top level).
func hcmYAML(extra string) string {
	return "stat_prefix: web\nhttp_filters: [{name: envoy.filters.http.router}]\n" + extra
}

// translateHCM translates an HTTP connection manager in a listener and
// returns it, or the error.
func translateHCM(t *testing.T, y string) (*config.HTTPConnectionManager, error) {
	t.Helper()
	m := &hcmv3.HttpConnectionManager{}
	fromYAML(t, y, m)
	l, err := TranslateListener(`listener "l"`, listenerWith(t, m))
	if err != nil {
		return nil, err
	}
	return l.FilterChains[0].Filters[0].(*config.HTTPConnectionManager), nil
}

const oneRoute = `route_config: {name: r, virtual_hosts: [{name: all, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: app}}]}]}`

// TestHTTPConnectionManagerDefaults checks Envoy's defaults, and that an
// inline route table validates clusters while an rds one is by name.
func TestHTTPConnectionManagerDefaults(t *testing.T) {
	h, err := translateHCM(t, hcmYAML(oneRoute))
	if err != nil {
		t.Fatal(err)
	}
	want := config.HTTPConnectionManager{
		StatPrefix:          "web",
		Codec:               config.HTTPCodecAuto,
		StreamIdleTimeout:   config.DefaultHTTPStreamIdleTimeout,
		IdleTimeout:         config.DefaultHTTPIdleTimeout,
		DrainTimeout:        config.DefaultHTTPDrainTimeout,
		MaxRequestHeadersKB: config.DefaultHTTPMaxRequestHeadersKB,
		ServerName:          config.DefaultHTTPServerName,
		GenerateRequestID:   true,
	}
	got := *h
	got.RouteConfig = nil
	if got.StatPrefix != want.StatPrefix || got.Codec != want.Codec || got.StreamIdleTimeout != want.StreamIdleTimeout ||
		got.IdleTimeout != want.IdleTimeout || got.DrainTimeout != want.DrainTimeout || got.MaxRequestHeadersKB != want.MaxRequestHeadersKB ||
		got.ServerName != want.ServerName || !got.GenerateRequestID || got.RequestTimeout != 0 || got.RequestHeadersTimeout != 0 ||
		got.UseRemoteAddress || got.ServerHeaderTransformation != config.ServerHeaderOverwrite {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	rc := h.RouteConfig
	if rc == nil || !rc.ValidateClusters || rc.Name != "r" || len(rc.VirtualHosts) != 1 {
		t.Fatalf("route_config = %+v, want table r validating clusters", rc)
	}
	a := rc.VirtualHosts[0].Routes[0].Route
	if a == nil || a.Cluster != "app" || a.Timeout != config.DefaultHTTPRouteTimeout {
		t.Errorf("route action = %+v, want cluster app with the default 15s timeout", a)
	}

	h, err = translateHCM(t, hcmYAML("rds: {config_source: {ads: {}}, route_config_name: main}\nstream_idle_timeout: 0s\ncommon_http_protocol_options: {idle_timeout: 0s}"))
	if err != nil {
		t.Fatal(err)
	}
	if h.RouteConfigName != "main" || h.RouteConfig != nil || h.StreamIdleTimeout != 0 || h.IdleTimeout != 0 {
		t.Errorf("rds = %+v, want RouteConfigName main and both idle timeouts disabled", h)
	}
}

// TestHTTPConnectionManagerErrors checks that what is not supported is
// rejected with the field's path.
func TestHTTPConnectionManagerErrors(t *testing.T) {
	const p = `listener "l".filter_chains[0].filters[0].typed_config.`
	const router = "\nhttp_filters: [{name: envoy.filters.http.router}]"
	withRoutes := func(extra string) string { return "stat_prefix: web\n" + oneRoute + "\n" + extra }
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"no stat prefix", oneRoute + router, p + "stat_prefix: value length must be at least 1"},
		{"no route source", "stat_prefix: web" + router, `listener "l".filter_chains[0].filters[0].typed_config: one of rds, route_config, scoped_routes must be set`},
		{"http3", withRoutes("codec_type: HTTP3" + router), p + "codec_type: HTTP3 is not supported"},
		{"scoped routes", "stat_prefix: web\nscoped_routes: {name: s}" + router, p + "scoped_routes: not supported: scoped route configurations"},
		{"websocket", withRoutes("upgrade_configs: [{upgrade_type: websocket}]" + router), p + "upgrade_configs: not supported: WebSocket"},
		{"normalize path", withRoutes("normalize_path: true" + router), p + "normalize_path: true is not supported"},
		{"merge slashes", withRoutes("merge_slashes: true" + router), p + "merge_slashes: true is not supported"},
		{"escaped slashes", withRoutes("path_with_escaped_slashes_action: REJECT_REQUEST" + router), p + "path_with_escaped_slashes_action: REJECT_REQUEST is not supported"},
		{"downstream max requests", withRoutes("common_http_protocol_options: {max_requests_per_connection: 5}" + router), p + "common_http_protocol_options.max_requests_per_connection: not supported for downstream"},
		{"headers kb", withRoutes("max_request_headers_kb: 9000" + router), p + "max_request_headers_kb: value must be inside range"},
		{"negative timeout", withRoutes("request_timeout: -1s" + router), p + "request_timeout: must not be negative"},
		{"rds from a file", "stat_prefix: web\nrds: {config_source: {path: /r.yaml}, route_config_name: r}" + router, p + "rds.config_source: must be ads"},
		{"no router", withRoutes(""), p + "http_filters: the last HTTP filter must be the router"},
		{"unknown filter", withRoutes("http_filters: [{name: envoy.filters.http.cors}, {name: envoy.filters.http.router}]"), p + `http_filters[0]: unsupported HTTP filter "envoy.filters.http.cors"`},
		{"fault", withRoutes("http_filters: [{name: envoy.filters.http.fault}, {name: envoy.filters.http.router}]"), p + "http_filters[0]: HTTP filter envoy.filters.http.fault is not supported yet"},
		{"router first", withRoutes("http_filters: [{name: envoy.filters.http.router}, {name: envoy.filters.http.router}]"), p + "http_filters[0]: the router must be the last HTTP filter"},
		{"router option", withRoutes("http_filters: [{name: r, typed_config: {'@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router, dynamic_stats: false}}]"), p + "http_filters[0].typed_config.dynamic_stats: not supported"},
		{"tracing", withRoutes("tracing: {}" + router), p + "tracing: not supported"},
		{"http1 tuning", withRoutes("http_protocol_options: {enable_trailers: true}" + router), p + "http_protocol_options.enable_trailers: not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := translateHCM(t, tc.yaml)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
			for _, e := range flatten(err) {
				var fe *config.FieldError
				if !errors.As(e, &fe) || !strings.HasPrefix(fe.Path, `listener "l"`) {
					t.Errorf("error %q has no path under the listener", e)
				}
			}
		})
	}
}

// TestTranslateRouteConfiguration covers RDS resources: what they
// become, and the path of each problem.
func TestTranslateRouteConfiguration(t *testing.T) {
	const table = `
name: main
virtual_hosts:
- name: api
  domains: [API.Example.com, "*.example.com"]
  retry_policy: {retry_on: "5xx , reset"}
  routes:
  - match: {prefix: /v1, case_sensitive: false, headers: [{name: X-Tenant, exact_match: a}], query_parameters: [{name: q}], grpc: {}}
    route:
      cluster: app
      timeout: 0s
      idle_timeout: 10s
      retry_policy: {retry_on: retriable-status-codes, retriable_status_codes: [503], retry_back_off: {base_interval: 0.2s}}
      hash_policy: [{header: {header_name: X-User}, terminal: true}]
      request_mirror_policies: [{cluster: shadow, runtime_fraction: {default_value: {numerator: 25, denominator: HUNDRED}}}]
  - match: {path: /r}
    redirect: {https_redirect: true, response_code: FOUND}
  - match: {prefix: /}
    direct_response: {status: 503, body: {inline_string: down}}
    response_headers_to_add: [{header: {key: X-Why, value: "%REQ(:authority)%"}, append: false}]
`
	rc, err := TranslateRouteConfiguration(`route_config "main"`, routeConfigFromYAML(t, table))
	if err != nil {
		t.Fatal(err)
	}
	if rc.Name != "main" || rc.ValidateClusters {
		t.Fatalf("table = %q validate_clusters %v, want main, false (RDS default)", rc.Name, rc.ValidateClusters)
	}
	vh := rc.VirtualHosts[0]
	if strings.Join(vh.Domains, ",") != "api.example.com,*.example.com" {
		t.Errorf("domains = %v, want lower case", vh.Domains)
	}
	if vh.RetryPolicy == nil || strings.Join(vh.RetryPolicy.RetryOn, ",") != "5xx,reset" || vh.RetryPolicy.NumRetries != 1 ||
		vh.RetryPolicy.BaseInterval != 25*time.Millisecond || vh.RetryPolicy.MaxInterval != 250*time.Millisecond {
		t.Errorf("virtual host retry policy = %+v, want 5xx,reset, 1 retry, 25ms..250ms", vh.RetryPolicy)
	}
	r := vh.Routes[0]
	if !r.Match.CaseInsensitive || !r.Match.GRPC || r.Match.Headers[0].Name != "x-tenant" || r.Match.QueryParameters[0].String != nil {
		t.Errorf("match = %+v", r.Match)
	}
	a := r.Route
	if a.Timeout != 0 || a.IdleTimeout != 10*time.Second || a.HashPolicy[0].Header != "x-user" || !a.HashPolicy[0].Terminal ||
		a.Mirrors[0].Cluster != "shadow" || a.Mirrors[0].Fraction != 0.25 {
		t.Errorf("action = %+v", a)
	}
	if rp := a.RetryPolicy; rp.BaseInterval != 200*time.Millisecond || rp.MaxInterval != 2*time.Second || rp.RetriableStatusCodes[0] != 503 {
		t.Errorf("route retry policy = %+v, want 200ms..2s and 503", rp)
	}
	if rd := vh.Routes[1].Redirect; rd == nil || rd.Scheme != "https" || rd.Status != 302 {
		t.Errorf("redirect = %+v, want https 302", rd)
	}
	dr := vh.Routes[2]
	if dr.DirectResponse == nil || dr.DirectResponse.Status != 503 || dr.DirectResponse.Body != "down" {
		t.Errorf("direct response = %+v", dr.DirectResponse)
	}
	if h := dr.Headers.ResponseToAdd; len(h) != 1 || h[0].Key != "x-why" || h[0].Action != config.HeaderOverwriteIfExistsOrAdd {
		t.Errorf("response headers = %+v, want x-why overwritten", h)
	}
	if err := rc.Validate(`route_config "main"`, nil); err != nil {
		t.Errorf("Validate: %v", err)
	}

	const p = `route_config "r".virtual_hosts[0]`
	route := func(match, action string) string {
		return "name: r\nvirtual_hosts: [{name: v, domains: [a.com], routes: [{match: " + match + ", " + action + "}]}]"
	}
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"no domains", "name: r\nvirtual_hosts: [{name: v, routes: []}]", p + ".domains: value must contain at least 1 item"},
		{"duplicate domain", "name: r\nvirtual_hosts: [{name: v, domains: [a.com]}, {name: w, domains: [A.com]}]", `route_config "r".virtual_hosts[1].domains[0]: domain "a.com" is also virtual_hosts[0].domains[0]`},
		{"two wildcards", `{name: r, virtual_hosts: [{name: v, domains: ["*"]}, {name: w, domains: ["*"]}]}`, `virtual_hosts[1].domains[0]: only one virtual host may have the wildcard domain "*"`},
		{"inner wildcard", `{name: r, virtual_hosts: [{name: v, domains: ["a.*.com"]}]}`, p + `.domains[0]: domain "a.*.com": a wildcard`},
		{"no action", route("{prefix: /}", "name: x"), p + ".routes[0]: one of route, redirect, direct_response"},
		{"bad regex", route("{safe_regex: {regex: '['}}", "route: {cluster: c}"), p + ".routes[0].match.safe_regex.regex: invalid RE2 regular expression"},
		{"bad header regex", route("{prefix: /, headers: [{name: h, safe_regex_match: {regex: '('}}]}", "route: {cluster: c}"), p + ".routes[0].match.headers[0].safe_regex_match.regex: invalid RE2"},
		{"empty range", route("{prefix: /, headers: [{name: h, range_match: {start: 5, end: 1}}]}", "route: {cluster: c}"), p + ".routes[0].match.headers[0].range_match: range [5, 1) is empty"},
		{"missing header as empty", route("{prefix: /, headers: [{name: h, present_match: true, treat_missing_header_as_empty: true}]}", "route: {cluster: c}"), p + ".routes[0].match.headers[0].treat_missing_header_as_empty: not supported"},
		{"runtime fraction match", route("{prefix: /, runtime_fraction: {default_value: {numerator: 1}}}", "route: {cluster: c}"), p + ".routes[0].match.runtime_fraction: not supported"},
		{"prefix rewrite on path", route("{path: /a}", "route: {cluster: c, prefix_rewrite: /b}"), p + ".routes[0].route.prefix_rewrite: applies to prefix and path_separated_prefix routes"},
		{"idle timeout 0", route("{prefix: /}", "route: {cluster: c, idle_timeout: 0s}"), p + ".routes[0].route.idle_timeout: 0s is not supported"},
		{"total weight", route("{prefix: /}", "route: {weighted_clusters: {total_weight: 3, clusters: [{name: a, weight: 1}]}}"), p + ".routes[0].route.weighted_clusters.total_weight: is 3, but the weights sum to 1"},
		{"weight runtime", route("{prefix: /}", "route: {weighted_clusters: {runtime_key_prefix: k, clusters: [{name: a, weight: 1}]}}"), p + ".routes[0].route.weighted_clusters.runtime_key_prefix: not supported"},
		{"unnamed weighted cluster", route("{prefix: /}", "route: {weighted_clusters: {clusters: [{weight: 1}]}}"), p + ".routes[0].route.weighted_clusters.clusters[0].name: is required"},
		{"retry on", route("{prefix: /}", "route: {cluster: c, retry_policy: {retry_on: '5xx,bogus'}}"), p + `.routes[0].route.retry_policy.retry_on: unsupported retry condition "bogus"`},
		{"retry codes", route("{prefix: /}", "route: {cluster: c, retry_policy: {retry_on: 5xx, retriable_status_codes: [503]}}"), p + ".routes[0].route.retry_policy.retriable_status_codes: has no effect"},
		{"retry back-off", route("{prefix: /}", "route: {cluster: c, retry_policy: {retry_back_off: {base_interval: 2s, max_interval: 1s}}}"), p + ".routes[0].route.retry_policy.retry_back_off.max_interval: 1s is less than base_interval 2s"},
		{"retry predicate", route("{prefix: /}", "route: {cluster: c, retry_policy: {retry_priority: {name: x}}}"), p + ".routes[0].route.retry_policy.retry_priority: not supported"},
		{"cookie hash", route("{prefix: /}", "route: {cluster: c, hash_policy: [{cookie: {name: s}}]}"), p + ".routes[0].route.hash_policy[0].cookie: not supported"},
		{"mirror without cluster", route("{prefix: /}", "route: {cluster: c, request_mirror_policies: [{runtime_fraction: {default_value: {numerator: 1}}}]}"), p + ".routes[0].route.request_mirror_policies[0].cluster: is required"},
		{"metadata match", route("{prefix: /}", "route: {cluster: c, metadata_match: {filter_metadata: {envoy.lb: {a: b}}}}"), p + ".routes[0].route.metadata_match: not supported"},
		{"cors", route("{prefix: /}", "route: {cluster: c, cors: {}}"), p + ".routes[0].route.cors: not supported: CORS"},
		{"redirect code", route("{prefix: /}", "redirect: {response_code: 9}"), p + ".routes[0].redirect.response_code"},
		{"direct status", route("{prefix: /}", "direct_response: {status: 700}"), p + ".routes[0].direct_response.status: value must be inside range [200, 600)"},
		{"direct body file", route("{prefix: /}", "direct_response: {status: 200, body: {filename: /nonexistent/body}}"), p + ".routes[0].direct_response.body.filename: read data source"},
		{"direct body size", "name: r\nmax_direct_response_body_size_bytes: 1\nvirtual_hosts: [{name: v, domains: [a.com], routes: [{match: {prefix: /}, direct_response: {status: 200, body: {inline_string: ab}}}]}]", p + ".routes[0].direct_response.body: is 2 bytes, more than max_direct_response_body_size_bytes (1)"},
		{"add host", "name: r\nrequest_headers_to_add: [{header: {key: Host, value: x}}]", `route_config "r".request_headers_to_add[0].header.key: header "host": pseudo-headers and host may not be added or removed`},
		{"remove path", "name: r\nresponse_headers_to_remove: [':path']", `route_config "r".response_headers_to_remove[0]: header ":path"`},
		{"format", "name: r\nrequest_headers_to_add: [{header: {key: x, value: '%REQ(a b)%'}}]", `route_config "r".request_headers_to_add[0].header.value: "%REQ(a b)%"`},
		{"vhost require_tls", "name: r\nvirtual_hosts: [{name: v, domains: [a.com], require_tls: ALL}]", p + ".require_tls: not supported"},
		{"vhds", "name: r\nvhds: {config_source: {ads: {}}}", `route_config "r".vhds: not supported`},
		{"per filter config", "name: r\ntyped_per_filter_config: {x: {'@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}", `route_config "r".typed_per_filter_config: not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := TranslateRouteConfiguration(`route_config "r"`, routeConfigFromYAML(t, tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
			for _, e := range flatten(err) {
				var fe *config.FieldError
				if !errors.As(e, &fe) || !strings.HasPrefix(fe.Path, `route_config "r"`) {
					t.Errorf("error %q has no path under the route configuration", e)
				}
			}
		})
	}
}

// TestHTTPProtocolOptions checks the upstream protocol a cluster's
// HttpProtocolOptions select, the deprecated http2_protocol_options, and
// that the ADS cluster must speak HTTP/2.
func TestHTTPProtocolOptions(t *testing.T) {
	cluster := func(opts string) string {
		return `static_resources:
  clusters:
  - name: c
    load_assignment: {cluster_name: c, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 1}}}}]}]}
` + opts
	}
	const po = "    typed_extension_protocol_options:\n      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:\n        \"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions\n"
	for _, tc := range []struct {
		name, opts string
		want       *config.HTTPProtocolOptions
		err        string
	}{
		{"none", "", nil, ""},
		{"http1", po + "        explicit_http_config: {http_protocol_options: {}}\n", &config.HTTPProtocolOptions{IdleTimeout: time.Hour}, ""},
		{"http2 limits", po + "        explicit_http_config: {http2_protocol_options: {}}\n        common_http_protocol_options: {idle_timeout: 5s, max_requests_per_connection: 7}\n",
			&config.HTTPProtocolOptions{HTTP2: true, IdleTimeout: 5 * time.Second, MaxRequestsPerConnection: 7}, ""},
		{"downstream", po + "        use_downstream_protocol_config: {}\n", &config.HTTPProtocolOptions{UseDownstream: true, IdleTimeout: time.Hour}, ""},
		{"deprecated http2", "    http2_protocol_options: {}\n", &config.HTTPProtocolOptions{HTTP2: true, IdleTimeout: time.Hour}, ""},
		{"both", "    http2_protocol_options: {}\n" + po + "        explicit_http_config: {http2_protocol_options: {}}\n", nil, "static_resources.clusters[0].http2_protocol_options: set either"},
		{"auto", po + "        auto_config: {}\n", nil, `HttpProtocolOptions"].auto_config: not supported`},
		{"http2 tuning", po + "        explicit_http_config: {http2_protocol_options: {max_concurrent_streams: 5}}\n", nil, "explicit_http_config.http2_protocol_options.max_concurrent_streams: not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := LoadBootstrap([]byte(cluster(tc.opts)))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := snap.Clusters[0].ProtocolOptions[config.HTTPProtocolOptionsName].(*config.HTTPProtocolOptions)
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Fatalf("options = %+v, want %+v", got, tc.want)
			}
		})
	}
}
