package httpproxy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sidewire/sidewire/proxy/config"
)

// routeTable is the compiled, immutable form of a config.HTTPRouteConfig.
type routeTable struct {
	name    string
	domains domainIndex
	headers *mutations // table level: applied last
}

// vhost is a compiled config.HTTPVirtualHost.
type vhost struct {
	name    string
	routes  []*route
	retry   *retryPolicy
	headers *mutations
}

// route is a compiled config.HTTPRoute. Exactly one of action, redirect
// and direct is set.
type route struct {
	name     string
	match    routeMatch
	action   *routeAction
	redirect *routeRedirect
	direct   *directReply
	headers  *mutations
	// vh and table give the route's enclosing levels, whose header
	// mutations apply after the route's.
	vh    *vhost
	table *routeTable
}

// routeMatch is a compiled config.HTTPRouteMatch.
type routeMatch struct {
	kind config.PathMatchKind
	path string // the prefix or path to compare; lower case when ci
	ci   bool
	re   *regexp.Regexp
	hdrs []headerMatcher
	qs   []queryMatcher
	grpc bool
}

// routeAction is a compiled config.HTTPRouteAction.
type routeAction struct {
	cfg      *config.HTTPRouteAction
	weights  uint64
	rewrite  *regexp.Regexp // RegexRewrite.Pattern
	template string         // RegexRewrite.Substitution in regexp.Expand form
	retry    *retryPolicy   // the route's, else the virtual host's; nil: none
	hash     []hashPolicy
	mirrors  []config.HTTPMirror
	// header is ClusterHeader's canonical key.
	header string
}

// emptyTable answers every request 404: a filter whose RDS table has not
// arrived routes with it.
var emptyTable = &routeTable{headers: noMutations}

// compileTable builds the runtime table of rc. A validated config
// compiles without error; an invalid regular expression is reported
// (the route then never matches).
func compileTable(rc *config.HTTPRouteConfig) (*routeTable, error) {
	t := &routeTable{name: rc.Name}
	var errs []error
	t.headers = compileMutations(&rc.Headers)
	for i := range rc.VirtualHosts {
		v := &rc.VirtualHosts[i]
		vh := &vhost{name: v.Name, headers: compileMutations(&v.Headers), retry: compileRetry(v.RetryPolicy)}
		for j := range v.Routes {
			r, err := compileRoute(&v.Routes[j], vh, t)
			if err != nil {
				errs = append(errs, fmt.Errorf("virtual host %q route %d: %w", v.Name, j, err))
			}
			vh.routes = append(vh.routes, r)
		}
		for _, d := range v.Domains {
			t.domains.add(lowerASCII(d), vh)
		}
	}
	if len(errs) > 0 {
		return t, fmt.Errorf("compile route table %q: %w", rc.Name, errors.Join(errs...))
	}
	return t, nil
}

func compileRoute(c *config.HTTPRoute, vh *vhost, t *routeTable) (*route, error) {
	r := &route{name: c.Name, headers: compileMutations(&c.Headers), vh: vh, table: t}
	if c.Redirect != nil {
		r.redirect = compileRedirect(c.Redirect, &c.Match)
	}
	if c.DirectResponse != nil {
		r.direct = compileDirect(c.DirectResponse)
	}
	var errs []error
	m := &c.Match
	r.match = routeMatch{kind: m.PathKind, path: m.Path, ci: m.CaseInsensitive, grpc: m.GRPC}
	if m.CaseInsensitive {
		r.match.path = strings.ToLower(m.Path)
	}
	if m.PathKind == config.PathRegex {
		re, err := compileFull(m.Path)
		errs = append(errs, err)
		r.match.re = re
	}
	for _, h := range m.Headers {
		hm, err := newHeaderMatcher(h)
		errs = append(errs, err)
		r.match.hdrs = append(r.match.hdrs, hm)
	}
	for _, q := range m.QueryParameters {
		qm := queryMatcher{name: q.Name}
		if q.String != nil {
			var err error
			qm.str, err = newStringMatcher(*q.String)
			errs = append(errs, err)
		}
		r.match.qs = append(r.match.qs, qm)
	}
	if a := c.Route; a != nil {
		ra, err := compileAction(a, vh)
		errs = append(errs, err)
		r.action = ra
	}
	return r, errors.Join(errs...)
}

func compileAction(a *config.HTTPRouteAction, vh *vhost) (*routeAction, error) {
	ra := &routeAction{cfg: a, retry: vh.retry, mirrors: a.Mirrors}
	if a.RetryPolicy != nil {
		ra.retry = compileRetry(a.RetryPolicy)
	}
	for _, w := range a.WeightedClusters {
		ra.weights += uint64(w.Weight)
	}
	if a.ClusterHeader != "" {
		ra.header = canonicalKey(a.ClusterHeader)
	}
	for _, h := range a.HashPolicy {
		ra.hash = append(ra.hash, newHashPolicy(h))
	}
	if rr := a.RegexRewrite; rr != nil {
		re, err := regexp.Compile(rr.Pattern)
		if err != nil {
			return ra, fmt.Errorf("regex_rewrite: %w", err)
		}
		ra.rewrite, ra.template = re, envoySubstitution(rr.Substitution)
	}
	return ra, nil
}

// envoySubstitution turns an RE2 substitution in Envoy's syntax (\1 for
// group 1) into regexp.Expand's (${1}), escaping literal '$'.
func envoySubstitution(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		case c == '\\' && i+1 < len(s) && s[i+1] == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// lookup returns the virtual host and route for a request; either may
// be nil (no route: 404).
func (t *routeTable) lookup(q *reqView) (*vhost, *route) {
	vh := t.domains.lookup(q.authority)
	if vh == nil {
		return nil, nil
	}
	for _, r := range vh.routes {
		if r.match.matches(q) {
			return vh, r
		}
	}
	return vh, nil
}

func (m *routeMatch) matches(q *reqView) bool {
	if !m.matchPath(q) {
		return false
	}
	if m.grpc && !q.grpc {
		return false
	}
	for i := range m.hdrs {
		if !m.hdrs[i].match(q) {
			return false
		}
	}
	for i := range m.qs {
		if !m.qs[i].match(q) {
			return false
		}
	}
	return true
}

// matchPath compares the path as Envoy does: a prefix against the whole
// :path (query included), an exact path, a regular expression and a
// separated prefix against the path without its query.
func (m *routeMatch) matchPath(q *reqView) bool {
	switch m.kind {
	case config.PathPrefix:
		return hasPrefix(q.path, m.path, m.ci)
	case config.PathExact:
		if m.ci {
			return strings.EqualFold(q.pathOnly, m.path)
		}
		return q.pathOnly == m.path
	case config.PathRegex:
		return m.re != nil && m.re.MatchString(q.pathOnly)
	case config.PathSeparatedPrefix:
		p := q.pathOnly
		if !hasPrefix(p, m.path, m.ci) {
			return false
		}
		return len(p) == len(m.path) || p[len(m.path)] == '/' || p[len(m.path)] == '#'
	}
	return false
}

func hasPrefix(s, prefix string, ci bool) bool {
	if ci {
		return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
	}
	return strings.HasPrefix(s, prefix)
}
