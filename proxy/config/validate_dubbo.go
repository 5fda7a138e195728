package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// validate checks a dubbo_proxy against the snapshot: it has a route
// config, interfaces are well-formed, every route says where it goes,
// clusters exist, regular expressions compile and ranges are not empty.
// p is the filter's typed_config; route configs are reported by their
// index in RouteConfigs (multiple_route_config.route_config[i]).
func (d *DubboProxy) validate(p string, clusters map[string]*Cluster) error {
	var errs []error
	rp := p + ".multiple_route_config.route_config"
	switch {
	case d.RouteConfigName != "" && len(d.RouteConfigs) > 0:
		errs = append(errs, fieldErr(p+".drds", "set either drds or route configs, not both"))
	case d.RouteConfigName != "":
	case len(d.RouteConfigs) == 0:
		errs = append(errs, fieldErr(p+".multiple_route_config", "a dubbo_proxy needs at least one route_config"))
	}
	for i := range d.RouteConfigs {
		errs = append(errs, d.RouteConfigs[i].validate(fmt.Sprintf("%s[%d]", rp, i), clusters))
	}
	for _, m := range d.Mirrors {
		if clusters[m.Cluster] == nil {
			errs = append(errs, fieldErr(p+".dubbo_filters", "%s mirrors to unknown cluster %q", DubboMirrorFilter, m.Cluster))
		}
	}
	return errors.Join(errs...)
}

// validate checks a route table received by route discovery; errors
// name it `dubbo_route_config "name".route_config[i]`.
func (t *DubboRouteTable) validate(clusters map[string]*Cluster) error {
	var errs []error
	p := fmt.Sprintf("dubbo_route_config %q.route_config", t.Name)
	if len(t.RouteConfigs) == 0 {
		errs = append(errs, fieldErr(p, "a route table needs at least one route_config"))
	}
	for i := range t.RouteConfigs {
		errs = append(errs, t.RouteConfigs[i].validate(fmt.Sprintf("%s[%d]", p, i), clusters))
	}
	return errors.Join(errs...)
}

func (rc *DubboRouteConfig) validate(p string, clusters map[string]*Cluster) error {
	var errs []error
	if err := CheckDubboInterface(rc.Interface); err != nil {
		errs = append(errs, fieldErr(p+".interface", "%v", err))
	}
	for i := range rc.Routes {
		errs = append(errs, rc.Routes[i].validate(fmt.Sprintf("%s.routes[%d]", p, i), clusters))
	}
	return errors.Join(errs...)
}

// CheckDubboInterface accepts an interface name, "*", "*suffix" or
// "prefix*".
func CheckDubboInterface(s string) error {
	switch {
	case s == "":
		return errors.New(`interface is empty (use "*" for any interface)`)
	case s == "*":
		return nil
	}
	n := strings.Count(s, "*")
	if n > 1 || n == 1 && s[0] != '*' && s[len(s)-1] != '*' {
		return fmt.Errorf("interface %q: a wildcard is either the whole name or a single * at its start or end", s)
	}
	return nil
}

func (r *DubboRoute) validate(p string, clusters map[string]*Cluster) error {
	var errs []error
	ap := p + ".route"
	switch {
	case r.Cluster == "" && len(r.WeightedClusters) == 0:
		errs = append(errs, fieldErr(ap, "route has no cluster"))
	case r.Cluster != "" && len(r.WeightedClusters) > 0:
		errs = append(errs, fieldErr(ap, "route has both cluster and weighted_clusters"))
	case r.Cluster != "" && clusters[r.Cluster] == nil:
		errs = append(errs, fieldErr(ap+".cluster", "unknown cluster %q", r.Cluster))
	}
	var total uint64
	for i, w := range r.WeightedClusters {
		wp := fmt.Sprintf("%s.weighted_clusters.clusters[%d]", ap, i)
		if clusters[w.Name] == nil {
			errs = append(errs, fieldErr(wp+".name", "unknown cluster %q", w.Name))
		}
		total += uint64(w.Weight)
	}
	if len(r.WeightedClusters) > 0 && total == 0 {
		errs = append(errs, fieldErr(ap+".weighted_clusters", "weights sum to 0"))
	}
	mp := p + ".match"
	if r.Method != nil {
		errs = append(errs, r.Method.validate(mp+".method.name"))
	}
	for _, pm := range r.Params {
		if pm.IsRange && pm.Start >= pm.End {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.method.params_match[%d].range_match", mp, pm.Index),
				"range [%d, %d) is empty", pm.Start, pm.End))
		}
	}
	for i, h := range r.Headers {
		hp := fmt.Sprintf("%s.headers[%d]", mp, i)
		switch {
		case h.Name == "":
			errs = append(errs, fieldErr(hp+".name", "header name is empty"))
		case h.Kind == HeaderString:
			errs = append(errs, h.String.validate(hp+".string_match"))
		case h.Kind == HeaderRange && h.Start >= h.End:
			errs = append(errs, fieldErr(hp+".range_match", "range [%d, %d) is empty", h.Start, h.End))
		}
	}
	return errors.Join(errs...)
}

// validate checks that a regular expression compiles.
func (m *StringMatch) validate(p string) error {
	if m.Kind != MatchRegex {
		return nil
	}
	if _, err := regexp.Compile(m.Value); err != nil {
		return fieldErr(p+".safe_regex.regex", "%v", err)
	}
	return nil
}
