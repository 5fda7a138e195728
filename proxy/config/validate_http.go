package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// HTTPRetryConditions are the retry_on conditions HTTPRetryPolicy takes.
var HTTPRetryConditions = []string{
	"5xx", "gateway-error", "reset", "connect-failure", "retriable-4xx", "refused-stream",
	"retriable-status-codes", "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}

// MaxHTTPRequestHeadersKB is the largest max_request_headers_kb (Envoy's).
const MaxHTTPRequestHeadersKB = 8192

// validate checks an HTTP connection manager: one route source (an RDS
// table it names must be in routes), limits in range and its inline
// route table. p is the filter's typed_config.
func (h *HTTPConnectionManager) validate(p string, clusters map[string]*Cluster, routes map[string]*HTTPRouteConfig) error {
	var errs []error
	switch {
	case h.RouteConfig != nil && h.RouteConfigName != "":
		errs = append(errs, fieldErr(p+".rds", "set either route_config or rds, not both"))
	case h.RouteConfig == nil && h.RouteConfigName == "":
		errs = append(errs, fieldErr(p, "an HTTP connection manager needs route_config or rds"))
	case h.RouteConfigName != "" && routes[h.RouteConfigName] == nil:
		errs = append(errs, fieldErr(p+".rds.route_config_name", "route configuration %q has not been received", h.RouteConfigName))
	}
	if h.StatPrefix == "" {
		errs = append(errs, fieldErr(p+".stat_prefix", "is empty"))
	}
	if h.MaxRequestHeadersKB == 0 || h.MaxRequestHeadersKB > MaxHTTPRequestHeadersKB {
		errs = append(errs, fieldErr(p+".max_request_headers_kb", "must be between 1 and %d, got %d", MaxHTTPRequestHeadersKB, h.MaxRequestHeadersKB))
	}
	if h.Codec < HTTPCodecAuto || h.Codec > HTTPCodecHTTP2 {
		errs = append(errs, fieldErr(p+".codec_type", "unknown codec %d", h.Codec))
	}
	if h.RouteConfig != nil {
		errs = append(errs, h.RouteConfig.Validate(p+".route_config", clusters))
	}
	return errors.Join(errs...)
}

// Validate checks a route table whose path in errors is p (an inline
// route_config's, or `route_config "name"` for one from RDS): every
// virtual host has domains, a domain appears once in the table, every
// route has exactly one action and one destination, regular
// expressions compile, statuses and retry conditions are valid and, with
// ValidateClusters, the clusters it names are in clusters.
func (rc *HTTPRouteConfig) Validate(p string, clusters map[string]*Cluster) error {
	var errs []error
	errs = append(errs, rc.Headers.validate(p))
	seen := map[string]string{}
	for i := range rc.VirtualHosts {
		vh := &rc.VirtualHosts[i]
		vp := fmt.Sprintf("%s.virtual_hosts[%d]", p, i)
		if vh.Name == "" {
			errs = append(errs, fieldErr(vp+".name", "is empty"))
		}
		if len(vh.Domains) == 0 {
			errs = append(errs, fieldErr(vp+".domains", "a virtual host needs at least one domain"))
		}
		for j, d := range vh.Domains {
			dp := fmt.Sprintf("virtual_hosts[%d].domains[%d]", i, j)
			switch prev, dup := seen[d]; {
			case d == "" || d != strings.ToLower(d):
				errs = append(errs, fieldErr(p+"."+dp, "domain %q must be lower case and not empty", d))
			case dup:
				errs = append(errs, fieldErr(p+"."+dp, "domain %q is also %s", d, prev))
			default:
				seen[d] = dp
			}
		}
		if vh.RetryPolicy != nil {
			errs = append(errs, vh.RetryPolicy.validate(vp+".retry_policy"))
		}
		errs = append(errs, vh.Headers.validate(vp))
		for j := range vh.Routes {
			errs = append(errs, vh.Routes[j].validate(fmt.Sprintf("%s.routes[%d]", vp, j), clusters, rc.ValidateClusters))
		}
	}
	return errors.Join(errs...)
}

func (r *HTTPRoute) validate(p string, clusters map[string]*Cluster, checkClusters bool) error {
	var errs []error
	n := 0
	for _, set := range []bool{r.Route != nil, r.Redirect != nil, r.DirectResponse != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, fieldErr(p, "a route needs exactly one of route, redirect and direct_response, has %d", n))
	}
	errs = append(errs, r.Match.validate(p+".match"))
	errs = append(errs, r.Headers.validate(p))
	if r.Route != nil {
		errs = append(errs, r.Route.validate(p+".route", clusters, checkClusters))
	}
	if rd := r.Redirect; rd != nil {
		if !slices.Contains([]int{301, 302, 303, 307, 308}, rd.Status) {
			errs = append(errs, fieldErr(p+".redirect.response_code", "%d is not a redirect status", rd.Status))
		}
		if rd.Path != "" && rd.PrefixRewrite != "" {
			errs = append(errs, fieldErr(p+".redirect", "set either path_redirect or prefix_rewrite, not both"))
		}
		if rd.Port > 65535 {
			errs = append(errs, fieldErr(p+".redirect.port_redirect", "%d is not a port", rd.Port))
		}
	}
	if d := r.DirectResponse; d != nil && (d.Status < 200 || d.Status > 599) {
		errs = append(errs, fieldErr(p+".direct_response.status", "%d is not in [200, 600)", d.Status))
	}
	return errors.Join(errs...)
}

func (m *HTTPRouteMatch) validate(p string) error {
	var errs []error
	if m.PathKind == PathRegex {
		if _, err := regexp.Compile(m.Path); err != nil {
			errs = append(errs, fieldErr(p+".safe_regex.regex", "%v", err))
		}
	}
	for i, h := range m.Headers {
		hp := fmt.Sprintf("%s.headers[%d]", p, i)
		switch {
		case h.Name == "" || h.Name != strings.ToLower(h.Name):
			errs = append(errs, fieldErr(hp+".name", "header name %q must be lower case and not empty", h.Name))
		case h.Kind == HeaderString:
			errs = append(errs, h.String.validate(hp+".string_match"))
		case h.Kind == HeaderRange && h.Start >= h.End:
			errs = append(errs, fieldErr(hp+".range_match", "range [%d, %d) is empty", h.Start, h.End))
		}
	}
	for i, q := range m.QueryParameters {
		qp := fmt.Sprintf("%s.query_parameters[%d]", p, i)
		if q.Name == "" {
			errs = append(errs, fieldErr(qp+".name", "is empty"))
		}
		if q.String != nil {
			errs = append(errs, q.String.validate(qp+".string_match"))
		}
	}
	return errors.Join(errs...)
}

func (a *HTTPRouteAction) validate(p string, clusters map[string]*Cluster, checkClusters bool) error {
	var errs []error
	known := func(path, name string) {
		if checkClusters && clusters[name] == nil {
			errs = append(errs, fieldErr(path, "unknown cluster %q", name))
		}
	}
	n := 0
	for _, set := range []bool{a.Cluster != "", len(a.WeightedClusters) > 0, a.ClusterHeader != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, fieldErr(p, "a route action needs exactly one of cluster, weighted_clusters and cluster_header, has %d", n))
	}
	if a.Cluster != "" {
		known(p+".cluster", a.Cluster)
	}
	var total uint64
	for i, w := range a.WeightedClusters {
		known(fmt.Sprintf("%s.weighted_clusters.clusters[%d].name", p, i), w.Name)
		total += uint64(w.Weight)
	}
	if len(a.WeightedClusters) > 0 && total == 0 {
		errs = append(errs, fieldErr(p+".weighted_clusters", "weights sum to 0"))
	}
	if a.Timeout < 0 || a.IdleTimeout < 0 {
		errs = append(errs, fieldErr(p+".timeout", "timeouts must not be negative"))
	}
	if rr := a.RegexRewrite; rr != nil {
		if a.PrefixRewrite != "" {
			errs = append(errs, fieldErr(p+".regex_rewrite", "set either prefix_rewrite or regex_rewrite, not both"))
		}
		if _, err := regexp.Compile(rr.Pattern); err != nil {
			errs = append(errs, fieldErr(p+".regex_rewrite.pattern.regex", "%v", err))
		}
	}
	if a.HostRewriteLiteral != "" && a.AutoHostRewrite {
		errs = append(errs, fieldErr(p+".auto_host_rewrite", "set either host_rewrite_literal or auto_host_rewrite, not both"))
	}
	for i, h := range a.HashPolicy {
		if (h.Header != "") == h.SourceIP {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.hash_policy[%d]", p, i), "a hash policy needs exactly one of header and connection_properties.source_ip"))
		}
	}
	for i, m := range a.Mirrors {
		mp := fmt.Sprintf("%s.request_mirror_policies[%d]", p, i)
		switch {
		case m.Cluster == "":
			errs = append(errs, fieldErr(mp+".cluster", "is empty"))
		default:
			known(mp+".cluster", m.Cluster)
		}
		if m.Fraction < 0 || m.Fraction > 1 {
			errs = append(errs, fieldErr(mp+".runtime_fraction", "fraction %v is not in [0, 1]", m.Fraction))
		}
	}
	if a.RetryPolicy != nil {
		errs = append(errs, a.RetryPolicy.validate(p+".retry_policy"))
	}
	return errors.Join(errs...)
}

func (rp *HTTPRetryPolicy) validate(p string) error {
	var errs []error
	for _, c := range rp.RetryOn {
		if !slices.Contains(HTTPRetryConditions, c) {
			errs = append(errs, fieldErr(p+".retry_on", "unsupported retry condition %q", c))
		}
	}
	for i, c := range rp.RetriableStatusCodes {
		if c < 100 || c > 599 {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.retriable_status_codes[%d]", p, i), "%d is not an HTTP status code", c))
		}
	}
	if rp.PerTryTimeout < 0 || rp.BaseInterval < 0 || rp.MaxInterval < 0 {
		errs = append(errs, fieldErr(p, "durations must not be negative"))
	}
	if rp.MaxInterval > 0 && rp.MaxInterval < rp.BaseInterval {
		errs = append(errs, fieldErr(p+".retry_back_off.max_interval", "%s is less than base_interval %s", rp.MaxInterval, rp.BaseInterval))
	}
	return errors.Join(errs...)
}

// validate checks the header names of one level's mutations: lower case,
// neither pseudo-headers nor host. p is the level's path.
func (m *HTTPHeaderMutations) validate(p string) error {
	var errs []error
	check := func(path, name string) {
		if name == "" || name != strings.ToLower(name) || strings.HasPrefix(name, ":") || name == "host" {
			errs = append(errs, fieldErr(path, "header %q: must be lower case, not empty, not a pseudo-header nor host", name))
		}
	}
	adds := func(list string, hs []HeaderValueOption) {
		for i, h := range hs {
			hp := fmt.Sprintf("%s.%s[%d]", p, list, i)
			check(hp+".header.key", h.Key)
			if h.Action < HeaderAppendIfExistsOrAdd || h.Action > HeaderOverwriteIfExists {
				errs = append(errs, fieldErr(hp+".append_action", "unknown action %d", h.Action))
			}
		}
	}
	removes := func(list string, names []string) {
		for i, n := range names {
			check(fmt.Sprintf("%s.%s[%d]", p, list, i), n)
		}
	}
	adds("request_headers_to_add", m.RequestToAdd)
	removes("request_headers_to_remove", m.RequestToRemove)
	adds("response_headers_to_add", m.ResponseToAdd)
	removes("response_headers_to_remove", m.ResponseToRemove)
	return errors.Join(errs...)
}
