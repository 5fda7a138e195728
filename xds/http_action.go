package xds

import (
	"math"
	"slices"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// routeAction translates a route.v3.RouteAction. kind is the route's
// path match: a prefix rewrite needs a prefix to replace.
func (t *translator) routeAction(path string, a *routev3.RouteAction, kind config.PathMatchKind) *config.HTTPRouteAction {
	out := &config.HTTPRouteAction{
		Timeout:            t.duration(field(path, "timeout"), a.GetTimeout(), config.DefaultHTTPRouteTimeout),
		IdleTimeout:        t.duration(field(path, "idle_timeout"), a.GetIdleTimeout(), 0),
		PrefixRewrite:      a.GetPrefixRewrite(),
		HostRewriteLiteral: a.GetHostRewriteLiteral(),
		AutoHostRewrite:    a.GetAutoHostRewrite().GetValue(),
	}
	// Other specifiers are rejected by the allow-list, a missing one by
	// the validation rules.
	switch c := a.GetClusterSpecifier().(type) {
	case *routev3.RouteAction_Cluster:
		out.Cluster = c.Cluster
	case *routev3.RouteAction_ClusterHeader:
		out.ClusterHeader = strings.ToLower(c.ClusterHeader)
		if err := checkHeaderName(out.ClusterHeader); err != nil {
			t.errs.wrap(field(path, "cluster_header"), err)
		}
	case *routev3.RouteAction_WeightedClusters:
		out.WeightedClusters = t.weightedClusters(field(path, "weighted_clusters"), c.WeightedClusters)
	}
	if d := a.GetIdleTimeout(); d != nil && d.AsDuration() == 0 {
		t.errs.add(field(path, "idle_timeout"), "0s is not supported: a route cannot disable the idle timeout (set the connection manager's stream_idle_timeout to 0s)")
	}
	if out.PrefixRewrite != "" {
		t.prefixRewrite(field(path, "prefix_rewrite"), kind, "regex_rewrite")
	}
	if rr := a.GetRegexRewrite(); rr != nil {
		out.RegexRewrite = &config.RegexRewrite{Pattern: rr.GetPattern().GetRegex(), Substitution: rr.GetSubstitution()}
		t.regex(field(path, "regex_rewrite.pattern.regex"), out.RegexRewrite.Pattern)
		if out.PrefixRewrite != "" {
			t.errs.add(field(path, "regex_rewrite"), "set either prefix_rewrite or regex_rewrite, not both")
		}
	}
	if rp := a.GetRetryPolicy(); rp != nil {
		out.RetryPolicy = t.retryPolicy(field(path, "retry_policy"), rp)
	}
	out.HashPolicy = t.hashPolicies(field(path, "hash_policy"), a.GetHashPolicy())
	for i, m := range a.GetRequestMirrorPolicies() {
		mp := index(field(path, "request_mirror_policies"), i)
		mirror := config.HTTPMirror{Cluster: m.GetCluster(), Fraction: 1}
		if mirror.Cluster == "" {
			t.errs.add(field(mp, "cluster"), "is required")
		}
		if rf := m.GetRuntimeFraction(); rf != nil {
			mirror.Fraction = t.runtimeFraction(field(mp, "runtime_fraction"), rf)
		}
		out.Mirrors = append(out.Mirrors, mirror)
	}
	return out
}

// prefixRewrite rejects a prefix rewrite on a route that does not match
// a prefix: Envoy would replace the whole path, which the field named
// instead says plainly.
func (t *translator) prefixRewrite(path string, kind config.PathMatchKind, instead string) {
	if kind != config.PathPrefix && kind != config.PathSeparatedPrefix {
		t.errs.add(path, "applies to prefix and path_separated_prefix routes, not %s (use %s)", kind, instead)
	}
}

// weightedClusters reads a route.v3.WeightedCluster: names and weights.
// total_weight, deprecated, must be their sum when set, as in Envoy.
func (t *translator) weightedClusters(path string, wc *routev3.WeightedCluster) []config.WeightedCluster {
	var out []config.WeightedCluster
	var sum uint64
	for i, cw := range wc.GetClusters() {
		cp := index(field(path, "clusters"), i)
		if cw.GetName() == "" {
			t.errs.add(field(cp, "name"), "is required")
		}
		sum += uint64(cw.GetWeight().GetValue())
		out = append(out, config.WeightedCluster{Name: cw.GetName(), Weight: cw.GetWeight().GetValue()})
	}
	//nolint:staticcheck // total_weight is deprecated but still Envoy's API.
	if tw := wc.GetTotalWeight(); tw != nil && uint64(tw.GetValue()) != sum {
		t.errs.add(field(path, "total_weight"), "is %d, but the weights sum to %d", tw.GetValue(), sum)
	}
	if len(out) > 0 && sum == 0 {
		t.errs.add(field(path, "clusters"), "the weights sum to 0")
	}
	if sum > math.MaxUint32 {
		t.errs.add(field(path, "clusters"), "the weights sum to %d, more than %d", sum, uint64(math.MaxUint32))
	}
	return out
}

// retryPolicy translates a route.v3.RetryPolicy of a route or virtual
// host. retry_on is Envoy's comma-separated list; conditions Sidewire
// does not implement are errors (Envoy ignores unknown ones).
func (t *translator) retryPolicy(path string, p *routev3.RetryPolicy) *config.HTTPRetryPolicy {
	out := &config.HTTPRetryPolicy{
		NumRetries:    uint32Or(p.GetNumRetries(), config.DefaultHTTPNumRetries),
		PerTryTimeout: t.duration(field(path, "per_try_timeout"), p.GetPerTryTimeout(), 0),
		BaseInterval:  config.DefaultHTTPRetryBaseInterval,
	}
	for c := range strings.SplitSeq(p.GetRetryOn(), ",") {
		c = strings.TrimSpace(c)
		switch {
		case c == "" || slices.Contains(out.RetryOn, c):
		case slices.Contains(config.HTTPRetryConditions, c):
			out.RetryOn = append(out.RetryOn, c)
		default:
			t.errs.add(field(path, "retry_on"), "unsupported retry condition %q (supported: %s)", c, strings.Join(config.HTTPRetryConditions, ", "))
		}
	}
	for i, code := range p.GetRetriableStatusCodes() {
		if code < 100 || code > 599 {
			t.errs.add(index(field(path, "retriable_status_codes"), i), "%d is not an HTTP status code", code)
		}
		out.RetriableStatusCodes = append(out.RetriableStatusCodes, code)
	}
	if len(out.RetriableStatusCodes) > 0 && !slices.Contains(out.RetryOn, "retriable-status-codes") {
		t.errs.add(field(path, "retriable_status_codes"), "has no effect without retriable-status-codes in retry_on")
	}
	if b := p.GetRetryBackOff(); b != nil {
		bp := field(path, "retry_back_off")
		out.BaseInterval = t.duration(field(bp, "base_interval"), b.GetBaseInterval(), config.DefaultHTTPRetryBaseInterval)
		out.MaxInterval = t.duration(field(bp, "max_interval"), b.GetMaxInterval(), 10*out.BaseInterval)
		if out.MaxInterval < out.BaseInterval {
			t.errs.add(field(bp, "max_interval"), "%s is less than base_interval %s", out.MaxInterval, out.BaseInterval)
		}
	} else {
		out.MaxInterval = 10 * out.BaseInterval
	}
	return out
}

// hashPolicies translates RouteAction.hash_policy: a request header or
// the source IP (the other policies are rejected by the allow-list).
func (t *translator) hashPolicies(path string, hs []*routev3.RouteAction_HashPolicy) []config.HTTPHashPolicy {
	var out []config.HTTPHashPolicy
	for i, h := range hs {
		hp := index(path, i)
		p := config.HTTPHashPolicy{Terminal: h.GetTerminal()}
		switch s := h.GetPolicySpecifier().(type) {
		case *routev3.RouteAction_HashPolicy_Header_:
			p.Header = strings.ToLower(s.Header.GetHeaderName())
			if err := checkHeaderName(strings.TrimPrefix(p.Header, ":")); err != nil {
				t.errs.wrap(field(hp, "header.header_name"), err)
			}
		case *routev3.RouteAction_HashPolicy_ConnectionProperties_:
			p.SourceIP = s.ConnectionProperties.GetSourceIp()
			if !p.SourceIP {
				t.errs.add(field(hp, "connection_properties.source_ip"), "false hashes nothing: set it to true or remove the policy")
			}
		default:
			continue
		}
		out = append(out, p)
	}
	return out
}

// redirectCodes maps RedirectAction.response_code to a status.
var redirectCodes = map[routev3.RedirectAction_RedirectResponseCode]int{
	routev3.RedirectAction_MOVED_PERMANENTLY:  301,
	routev3.RedirectAction_FOUND:              302,
	routev3.RedirectAction_SEE_OTHER:          303,
	routev3.RedirectAction_TEMPORARY_REDIRECT: 307,
	routev3.RedirectAction_PERMANENT_REDIRECT: 308,
}

// redirect translates a route.v3.RedirectAction. kind is the route's
// path match, for prefix_rewrite.
func (t *translator) redirect(path string, r *routev3.RedirectAction, kind config.PathMatchKind) *config.HTTPRedirect {
	out := &config.HTTPRedirect{
		Host:       r.GetHostRedirect(),
		Port:       r.GetPortRedirect(),
		StripQuery: r.GetStripQuery(),
		Status:     redirectCodes[r.GetResponseCode()],
	}
	if out.Status == 0 {
		t.errs.add(field(path, "response_code"), "unknown value %d", r.GetResponseCode())
	}
	if out.Port > math.MaxUint16 {
		t.errs.add(field(path, "port_redirect"), "%d is not a port", out.Port)
	}
	switch s := r.GetSchemeRewriteSpecifier().(type) {
	case *routev3.RedirectAction_HttpsRedirect:
		if s.HttpsRedirect {
			out.Scheme = "https"
		}
	case *routev3.RedirectAction_SchemeRedirect:
		out.Scheme = strings.ToLower(s.SchemeRedirect)
		if !isScheme(out.Scheme) {
			t.errs.add(field(path, "scheme_redirect"), "%q is not a URL scheme", s.SchemeRedirect)
		}
	}
	// regex_rewrite is rejected by the allow-list.
	switch s := r.GetPathRewriteSpecifier().(type) {
	case *routev3.RedirectAction_PathRedirect:
		out.Path = s.PathRedirect
		if !strings.HasPrefix(out.Path, "/") {
			t.errs.add(field(path, "path_redirect"), "%q does not start with /", out.Path)
		}
	case *routev3.RedirectAction_PrefixRewrite:
		out.PrefixRewrite = s.PrefixRewrite
		t.prefixRewrite(field(path, "prefix_rewrite"), kind, "path_redirect")
	}
	return out
}

// isScheme reports whether s is a URL scheme (RFC 3986), lower case.
func isScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// directResponse translates a route.v3.DirectResponseAction. The body is
// read when the configuration loads and is at most maxBody bytes
// (max_direct_response_body_size_bytes, default 4096), as in Envoy.
func (t *translator) directResponse(path string, d *routev3.DirectResponseAction, maxBody uint32) *config.HTTPDirectResponse {
	out := &config.HTTPDirectResponse{Status: int(d.GetStatus())}
	if b := d.GetBody(); b != nil {
		bp := field(path, "body")
		body, ok := t.dataSource(bp, b)
		switch {
		case !ok:
		case uint64(len(body)) > uint64(maxBody):
			t.errs.add(bp, "is %d bytes, more than max_direct_response_body_size_bytes (%d)", len(body), maxBody)
		default:
			out.Body = string(body)
		}
	}
	return out
}
