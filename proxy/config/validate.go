package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// FieldError is a validation failure at a field path such as
// "static_resources.listeners[0].filter_chains[1]".
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Err: fmt.Errorf(format, args...)}
}

// Validate checks the cross-references and invariants of a snapshot that a
// single resource cannot check on its own: unique names and addresses,
// clusters that filters name exist, terminal filters last. Paths in errors
// use Envoy's bootstrap field names; route tables from discovery are
// named `dubbo_route_config "name"` and `route_config "name"`.
func (s *Snapshot) Validate() error {
	var errs []error
	clusters := make(map[string]*Cluster, len(s.Clusters))
	for i, c := range s.Clusters {
		// Paths are built only for errors: with 10,000 clusters they
		// were most of the work of validating a snapshot.
		if clusters[c.Name] != nil {
			errs = append(errs, fieldErr(fmt.Sprintf("static_resources.clusters[%d].name", i), "duplicate cluster name %q", c.Name))
		} else {
			clusters[c.Name] = c
		}
		if c.validate("") != nil {
			errs = append(errs, c.validate(fmt.Sprintf("static_resources.clusters[%d]", i)))
		}
	}
	names := make(map[string]bool, len(s.Listeners))
	addrs := make(map[string]bool, len(s.Listeners))
	for i, l := range s.Listeners {
		p := fmt.Sprintf("static_resources.listeners[%d]", i)
		if names[l.Name] {
			errs = append(errs, fieldErr(p+".name", "duplicate listener name %q", l.Name))
		}
		names[l.Name] = true
		// Port 0 asks the kernel for a free port: never a clash.
		if a := l.Address.String(); l.Address.Port != 0 && addrs[a] {
			errs = append(errs, fieldErr(p+".address", "duplicate listener address %s", a))
		} else {
			addrs[a] = true
		}
		errs = append(errs, l.validate(p, clusters, s.HTTPRoutes))
	}
	for _, n := range slices.Sorted(maps.Keys(s.DubboRoutes)) {
		errs = append(errs, s.DubboRoutes[n].validate(clusters))
	}
	for _, n := range slices.Sorted(maps.Keys(s.HTTPRoutes)) {
		p := fmt.Sprintf("route_config %q", n)
		if rc := s.HTTPRoutes[n]; rc == nil || rc.Name != n {
			errs = append(errs, fieldErr(p+".name", "route configuration stored under another name"))
		} else {
			errs = append(errs, rc.Validate(p, clusters))
		}
	}
	if s.ADS != nil {
		if _, err := s.ADSTarget(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Admin != nil && s.Admin.Address.Port != 0 && addrs[s.Admin.Address.String()] {
		errs = append(errs, fieldErr("admin.address", "%s is also a listener address", s.Admin.Address))
	}
	return errors.Join(errs...)
}

func (c *Cluster) validate(p string) error {
	if c.Name == "" {
		return fieldErr(p+".name", "cluster name is empty")
	}
	if c.Type != EDS && c.LoadAssignment == nil {
		return fieldErr(p+".load_assignment", "%s cluster %q has no load_assignment", c.Type, c.Name)
	}
	if err := c.validateRedis(p); err != nil {
		return err
	}
	if c.Type == LogicalDNS && c.LoadAssignment != nil {
		n := 0
		for _, l := range c.LoadAssignment.Localities {
			n += len(l.Endpoints)
		}
		if n != 1 {
			return fieldErr(p+".load_assignment", "LOGICAL_DNS cluster %q needs exactly one endpoint, has %d", c.Name, n)
		}
	}
	return nil
}

func (l *Listener) validate(p string, clusters map[string]*Cluster, routes map[string]*HTTPRouteConfig) error {
	if len(l.FilterChains) == 0 && l.DefaultFilterChain == nil {
		return fieldErr(p+".filter_chains", "listener %q has no filter chains", l.Name)
	}
	var errs []error
	for i, fc := range l.FilterChains {
		errs = append(errs, fc.validate(fmt.Sprintf("%s.filter_chains[%d]", p, i), clusters, routes))
	}
	if l.DefaultFilterChain != nil {
		errs = append(errs, l.DefaultFilterChain.validate(p+".default_filter_chain", clusters, routes))
	}
	return errors.Join(errs...)
}

func (fc *FilterChain) validate(p string, clusters map[string]*Cluster, routes map[string]*HTTPRouteConfig) error {
	if len(fc.Filters) == 0 {
		return fieldErr(p+".filters", "filter chain has no filters")
	}
	var errs []error
	for i, f := range fc.Filters {
		fp := fmt.Sprintf("%s.filters[%d]", p, i)
		last := i == len(fc.Filters)-1
		switch {
		case f.Terminal() && !last:
			errs = append(errs, fieldErr(fp, "terminal filter %q must be the last in its chain", f.FilterName()))
		case !f.Terminal() && last:
			errs = append(errs, fieldErr(fp, "non-terminal filter %q cannot end a chain", f.FilterName()))
		}
		switch f := f.(type) {
		case *TCPProxy:
			errs = append(errs, f.validate(fp+".typed_config", clusters))
		case *RedisProxy:
			errs = append(errs, f.validate(fp+".typed_config", clusters))
		case *DubboProxy:
			errs = append(errs, f.validate(fp+".typed_config", clusters))
		case *HTTPConnectionManager:
			errs = append(errs, f.validate(fp+".typed_config", clusters, routes))
		case *RedisCommandPolicy:
			errs = append(errs, f.validate(fp, fc.Filters[:i], fc.Filters[i+1:]))
		}
	}
	return errors.Join(errs...)
}

func (t *TCPProxy) validate(p string, clusters map[string]*Cluster) error {
	if t.Cluster != "" && clusters[t.Cluster] == nil {
		return fieldErr(p+".cluster", "unknown cluster %q", t.Cluster)
	}
	var errs []error
	for i, w := range t.WeightedClusters {
		if clusters[w.Name] == nil {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.weighted_clusters.clusters[%d].name", p, i), "unknown cluster %q", w.Name))
		}
	}
	return errors.Join(errs...)
}
