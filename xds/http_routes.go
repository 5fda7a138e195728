package xds

import (
	"fmt"
	"regexp"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// defaultMaxDirectResponseBody is Envoy's
// max_direct_response_body_size_bytes.
const defaultMaxDirectResponseBody = 4096

// TranslateRouteConfiguration checks a RouteConfiguration received by
// route discovery (RDS) and translates it. path names it in errors, e.g.
// `route_config "main"`. As in Envoy, validate_clusters defaults to
// false for RDS: a route to a cluster that does not exist answers 503
// until the cluster arrives. With validate_clusters true the clusters
// are checked by config.Snapshot.Validate (and a listener warms until
// they arrive).
func TranslateRouteConfiguration(path string, m *routev3.RouteConfiguration) (*config.HTTPRouteConfig, error) {
	var t translator
	t.precheck(path, m)
	out := t.routeConfiguration(path, m, false)
	if t.errs.len() > 0 {
		return nil, t.errs.err()
	}
	return out, nil
}

// routeTable is what checks across one route configuration need.
type routeTable struct {
	maxBody uint32
	// domains holds where each domain was seen ("virtual_hosts[0].domains[1]").
	domains map[string]string
}

// routeConfiguration translates a route table, inline (validate_clusters
// defaults to true) or from RDS.
func (t *translator) routeConfiguration(path string, m *routev3.RouteConfiguration, inline bool) *config.HTTPRouteConfig {
	out := &config.HTTPRouteConfig{
		Name:             m.GetName(),
		ValidateClusters: boolOr(m.GetValidateClusters(), inline),
		Headers:          t.headerMutations(path, m),
	}
	rt := &routeTable{
		maxBody: uint32Or(m.GetMaxDirectResponseBodySizeBytes(), defaultMaxDirectResponseBody),
		domains: map[string]string{},
	}
	for i, vh := range m.GetVirtualHosts() {
		out.VirtualHosts = append(out.VirtualHosts, t.virtualHost(path, i, vh, rt))
	}
	return out
}

func (t *translator) virtualHost(table string, i int, vh *routev3.VirtualHost, rt *routeTable) config.HTTPVirtualHost {
	path := index(field(table, "virtual_hosts"), i)
	out := config.HTTPVirtualHost{Name: vh.GetName(), Headers: t.headerMutations(path, vh)}
	for j, d := range vh.GetDomains() {
		rel := fmt.Sprintf("virtual_hosts[%d].domains[%d]", i, j)
		if dom, ok := t.domain(index(field(path, "domains"), j), rel, d, rt); ok {
			out.Domains = append(out.Domains, dom)
		}
	}
	if rp := vh.GetRetryPolicy(); rp != nil {
		out.RetryPolicy = t.retryPolicy(field(path, "retry_policy"), rp)
	}
	for j, r := range vh.GetRoutes() {
		out.Routes = append(out.Routes, t.route(index(field(path, "routes"), j), r, rt))
	}
	return out
}

// domain checks a virtual host domain and returns it in lower case. As
// in Envoy, a domain appears once in a route configuration, so at most
// one virtual host has "*". rel is the domain's place in the table.
func (t *translator) domain(path, rel, d string, rt *routeTable) (string, bool) {
	d = strings.ToLower(d)
	if err := checkDomain(d); err != nil {
		t.errs.wrap(path, err)
		return "", false
	}
	if prev, dup := rt.domains[d]; dup {
		if d == "*" {
			t.errs.add(path, `only one virtual host may have the wildcard domain "*" (%s has it)`, prev)
		} else {
			t.errs.add(path, "domain %q is also %s: a domain may appear once in a route configuration", d, prev)
		}
		return "", false
	}
	rt.domains[d] = rel
	return d, true
}

// checkDomain accepts "*", exact names and names with one wildcard at
// their start ("*.example.com", "*-api.example.com") or end
// ("api.example.*"), with an optional port.
func checkDomain(d string) error {
	if d == "" {
		return fmt.Errorf("domain is empty")
	}
	for i := range len(d) {
		if c := d[i]; c <= ' ' || c >= 0x7f || c == '/' {
			return fmt.Errorf("domain %q: %q is not allowed in a host", d, c)
		}
	}
	if n := strings.Count(d, "*"); n > 1 || n == 1 && d[0] != '*' && d[len(d)-1] != '*' {
		return fmt.Errorf("domain %q: a wildcard is the whole domain or one * at its start or end", d)
	}
	return nil
}

func (t *translator) route(path string, r *routev3.Route, rt *routeTable) config.HTTPRoute {
	out := config.HTTPRoute{Name: r.GetName(), Headers: t.headerMutations(path, r)}
	out.Match = t.routeMatch(field(path, "match"), r.GetMatch())
	// Other actions are rejected by the allow-list, a missing one by the
	// validation rules.
	switch a := r.GetAction().(type) {
	case *routev3.Route_Route:
		out.Route = t.routeAction(field(path, "route"), a.Route, out.Match.PathKind)
	case *routev3.Route_Redirect:
		out.Redirect = t.redirect(field(path, "redirect"), a.Redirect, out.Match.PathKind)
	case *routev3.Route_DirectResponse:
		out.DirectResponse = t.directResponse(field(path, "direct_response"), a.DirectResponse, rt.maxBody)
	}
	return out
}

func (t *translator) routeMatch(path string, m *routev3.RouteMatch) config.HTTPRouteMatch {
	out := config.HTTPRouteMatch{
		CaseInsensitive: !boolOr(m.GetCaseSensitive(), true),
		GRPC:            m.GetGrpc() != nil,
	}
	// Other specifiers are rejected by the allow-list, a missing one by
	// the validation rules.
	switch p := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		out.PathKind, out.Path = config.PathPrefix, p.Prefix
	case *routev3.RouteMatch_Path:
		out.PathKind, out.Path = config.PathExact, p.Path
	case *routev3.RouteMatch_SafeRegex:
		out.PathKind, out.Path = config.PathRegex, p.SafeRegex.GetRegex()
		t.regex(field(path, "safe_regex.regex"), out.Path)
		if out.CaseInsensitive {
			t.errs.add(field(path, "case_sensitive"), "has no effect on safe_regex (use (?i) in the regex)")
		}
	case *routev3.RouteMatch_PathSeparatedPrefix:
		out.PathKind, out.Path = config.PathSeparatedPrefix, p.PathSeparatedPrefix
	}
	for i, h := range m.GetHeaders() {
		out.Headers = append(out.Headers, t.httpHeaderMatcher(index(field(path, "headers"), i), h))
	}
	for i, q := range m.GetQueryParameters() {
		out.QueryParameters = append(out.QueryParameters, t.queryParameterMatcher(index(field(path, "query_parameters"), i), q))
	}
	return out
}

// httpHeaderMatcher translates a HeaderMatcher of an HTTP route: names
// are matched in lower case, pseudo-headers (":method") included.
func (t *translator) httpHeaderMatcher(path string, h *routev3.HeaderMatcher) config.HeaderMatch {
	out := t.headerMatcher(path, h)
	out.Name = strings.ToLower(out.Name)
	if err := checkHeaderName(strings.TrimPrefix(out.Name, ":")); err != nil && out.Name != "" {
		t.errs.wrap(field(path, "name"), err)
	}
	switch {
	case out.Kind == config.HeaderRange && out.Start >= out.End:
		t.errs.add(field(path, "range_match"), "range [%d, %d) is empty", out.Start, out.End)
	case out.Kind == config.HeaderString && out.String.Kind == config.MatchRegex:
		rp := field(path, "safe_regex_match.regex")
		if h.GetStringMatch() != nil {
			rp = field(path, "string_match.safe_regex.regex")
		}
		t.regex(rp, out.String.Value)
	}
	return out
}

// queryParameterMatcher translates a QueryParameterMatcher: a string
// match on the first value, or presence (present_match: true, or no
// matcher at all).
func (t *translator) queryParameterMatcher(path string, q *routev3.QueryParameterMatcher) config.QueryParameterMatch {
	out := config.QueryParameterMatch{Name: q.GetName()}
	switch s := q.GetQueryParameterMatchSpecifier().(type) {
	case *routev3.QueryParameterMatcher_StringMatch:
		sm := t.stringMatcher(field(path, "string_match"), s.StringMatch)
		if sm.Kind == config.MatchRegex {
			t.regex(field(path, "string_match.safe_regex.regex"), sm.Value)
		}
		out.String = &sm
	case *routev3.QueryParameterMatcher_PresentMatch:
		if !s.PresentMatch {
			t.errs.add(field(path, "present_match"), "false is not supported: use present_match: true, or leave the parameter out")
		}
	}
	return out
}

// regex checks an RE2 regular expression, as Go's regexp compiles it.
func (t *translator) regex(path, re string) {
	if _, err := regexp.Compile(re); err != nil {
		t.errs.add(path, "invalid RE2 regular expression: %v", err)
	}
}
