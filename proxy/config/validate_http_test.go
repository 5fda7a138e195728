package config

import (
	"errors"
	"strings"
	"testing"
)

// httpTestTable routes everything to cluster.
func httpTestTable(name, cluster string, validate bool) *HTTPRouteConfig {
	return &HTTPRouteConfig{
		Name:             name,
		ValidateClusters: validate,
		VirtualHosts: []HTTPVirtualHost{{
			Name: "all", Domains: []string{"*"},
			Routes: []HTTPRoute{{Match: HTTPRouteMatch{Path: "/"}, Route: &HTTPRouteAction{Cluster: cluster}}},
		}},
	}
}

func httpTestManager(rc *HTTPRouteConfig, rds string) *HTTPConnectionManager {
	return &HTTPConnectionManager{StatPrefix: "web", RouteConfig: rc, RouteConfigName: rds, MaxRequestHeadersKB: DefaultHTTPMaxRequestHeadersKB}
}

func httpTestSnapshot(h *HTTPConnectionManager, rds map[string]*HTTPRouteConfig) *Snapshot {
	return &Snapshot{
		Listeners: []*Listener{{
			Name:         "l",
			Address:      Address{Host: "127.0.0.1", Port: 8080},
			FilterChains: []*FilterChain{{Filters: []NetworkFilter{h}}},
		}},
		Clusters:   []*Cluster{redisTestCluster("app")},
		HTTPRoutes: rds,
	}
}

// TestValidateHTTP checks the invariants and cross-references of HTTP
// connection managers and route tables, inline and from RDS.
func TestValidateHTTP(t *testing.T) {
	const hp = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config"
	const rp = hp + ".route_config.virtual_hosts[0]"
	table := func(f func(rc *HTTPRouteConfig)) *HTTPConnectionManager {
		rc := httpTestTable("t", "app", true)
		f(rc)
		return httpTestManager(rc, "")
	}
	route := func(f func(r *HTTPRoute)) *HTTPConnectionManager {
		return table(func(rc *HTTPRouteConfig) { f(&rc.VirtualHosts[0].Routes[0]) })
	}
	for _, tc := range []struct {
		name string
		snap *Snapshot
		want string // "" for valid
	}{
		{"inline", httpTestSnapshot(httpTestManager(httpTestTable("t", "app", true), ""), nil), ""},
		{"rds", httpTestSnapshot(httpTestManager(nil, "r"), map[string]*HTTPRouteConfig{"r": httpTestTable("r", "later", false)}), ""},
		{"rds validating", httpTestSnapshot(httpTestManager(nil, "r"), map[string]*HTTPRouteConfig{"r": httpTestTable("r", "nope", true)}),
			`route_config "r".virtual_hosts[0].routes[0].route.cluster: unknown cluster "nope"`},
		{"rds misfiled", httpTestSnapshot(httpTestManager(nil, "r"), map[string]*HTTPRouteConfig{"r": httpTestTable("x", "app", false)}),
			`route_config "r".name: route configuration stored under another name`},
		{"no routes", httpTestSnapshot(httpTestManager(nil, ""), nil), hp + ": an HTTP connection manager needs route_config or rds"},
		{"both", httpTestSnapshot(httpTestManager(httpTestTable("t", "app", true), "r"), nil), hp + ".rds: set either route_config or rds, not both"},
		{"headers kb", httpTestSnapshot(&HTTPConnectionManager{StatPrefix: "s", RouteConfig: httpTestTable("t", "app", true), MaxRequestHeadersKB: 9000}, nil), hp + ".max_request_headers_kb: must be between 1 and 8192"},
		{"rds missing", httpTestSnapshot(httpTestManager(nil, "r"), nil), hp + `.rds.route_config_name: route configuration "r" has not been received`},
		{"unknown cluster", httpTestSnapshot(httpTestManager(httpTestTable("t", "nope", true), ""), nil), rp + `.routes[0].route.cluster: unknown cluster "nope"`},
		{"unknown cluster not validated", httpTestSnapshot(httpTestManager(httpTestTable("t", "nope", false), ""), nil), ""},
		{"weighted unknown", httpTestSnapshot(route(func(r *HTTPRoute) {
			r.Route = &HTTPRouteAction{WeightedClusters: []WeightedCluster{{Name: "app", Weight: 1}, {Name: "gone", Weight: 1}}}
		}), nil), rp + `.routes[0].route.weighted_clusters.clusters[1].name: unknown cluster "gone"`},
		{"weights zero", httpTestSnapshot(route(func(r *HTTPRoute) {
			r.Route = &HTTPRouteAction{WeightedClusters: []WeightedCluster{{Name: "app"}}}
		}), nil), rp + ".routes[0].route.weighted_clusters: weights sum to 0"},
		{"mirror unknown", httpTestSnapshot(route(func(r *HTTPRoute) {
			r.Route.Mirrors = []HTTPMirror{{Cluster: "shadow", Fraction: 1}}
		}), nil), rp + `.routes[0].route.request_mirror_policies[0].cluster: unknown cluster "shadow"`},
		{"two destinations", httpTestSnapshot(route(func(r *HTTPRoute) { r.Route.ClusterHeader = "x-cluster" }), nil),
			rp + ".routes[0].route: a route action needs exactly one of cluster, weighted_clusters and cluster_header, has 2"},
		{"two actions", httpTestSnapshot(route(func(r *HTTPRoute) { r.DirectResponse = &HTTPDirectResponse{Status: 200} }), nil),
			rp + ".routes[0]: a route needs exactly one of route, redirect and direct_response, has 2"},
		{"bad regex", httpTestSnapshot(route(func(r *HTTPRoute) { r.Match = HTTPRouteMatch{PathKind: PathRegex, Path: "("} }), nil),
			rp + ".routes[0].match.safe_regex.regex: error parsing regexp"},
		{"upper-case header", httpTestSnapshot(route(func(r *HTTPRoute) { r.Match.Headers = []HeaderMatch{{Name: "X-A", Kind: HeaderPresent}} }), nil),
			rp + `.routes[0].match.headers[0].name: header name "X-A" must be lower case`},
		{"empty range", httpTestSnapshot(route(func(r *HTTPRoute) { r.Match.Headers = []HeaderMatch{{Name: "x", Kind: HeaderRange, Start: 3, End: 3}} }), nil),
			rp + ".routes[0].match.headers[0].range_match: range [3, 3) is empty"},
		{"redirect status", httpTestSnapshot(route(func(r *HTTPRoute) { r.Route, r.Redirect = nil, &HTTPRedirect{Status: 200} }), nil),
			rp + ".routes[0].redirect.response_code: 200 is not a redirect status"},
		{"direct status", httpTestSnapshot(route(func(r *HTTPRoute) { r.Route, r.DirectResponse = nil, &HTTPDirectResponse{Status: 99} }), nil),
			rp + ".routes[0].direct_response.status: 99 is not in [200, 600)"},
		{"retry condition", httpTestSnapshot(route(func(r *HTTPRoute) { r.Route.RetryPolicy = &HTTPRetryPolicy{RetryOn: []string{"sometimes"}} }), nil),
			rp + `.routes[0].route.retry_policy.retry_on: unsupported retry condition "sometimes"`},
		{"duplicate domain", httpTestSnapshot(table(func(rc *HTTPRouteConfig) {
			rc.VirtualHosts = append(rc.VirtualHosts, HTTPVirtualHost{Name: "b", Domains: []string{"*"}})
		}), nil), hp + `.route_config.virtual_hosts[1].domains[0]: domain "*" is also virtual_hosts[0].domains[0]`},
		{"no domains", httpTestSnapshot(table(func(rc *HTTPRouteConfig) { rc.VirtualHosts[0].Domains = nil }), nil),
			rp + ".domains: a virtual host needs at least one domain"},
		{"header host", httpTestSnapshot(table(func(rc *HTTPRouteConfig) {
			rc.Headers.RequestToAdd = []HeaderValueOption{{Key: "host", Value: "x"}}
		}), nil), hp + `.route_config.request_headers_to_add[0].header.key: header "host"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.snap.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v\nwant %s", err, tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("errors.As(*FieldError) failed on %v", err)
			}
		})
	}
}
