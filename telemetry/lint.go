package telemetry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/model"
)

// Lint checks the naming conventions of every stat created so far and of
// every family in Registry():
//   - literal name segments, the dot-separated parts of leaf names and tag
//     names match [a-z0-9_]+;
//   - a stat has no tag name twice;
//   - Prometheus family names are valid, and one family is never both a
//     counter and a gauge, nor clashes with a histogram's _bucket, _sum or
//     _count series;
//   - two different Envoy names never map to the same Prometheus series;
//   - Registry() families are named sidewire_* and pass promlint.
//
// Tests of packages that create stats call it after provisioning.
func (s *Store) Lint() error {
	v := s.view()
	var errs []error
	kinds := make(map[string]string)    // family -> kind
	series := make(map[string]string)   // family{labels} -> Envoy name
	reserved := make(map[string]string) // histogram series names -> family
	check := func(id *statID, kind string) meta {
		m := id.meta()
		errs = append(errs, lintMeta(m)...)
		if k, ok := kinds[m.prom]; ok && k != kind {
			errs = append(errs, fmt.Errorf("lint stat %s: family %s is both a %s and a %s", m.name, m.prom, k, kind))
		}
		kinds[m.prom] = kind
		key := m.prom + "{" + m.labels + "}"
		if other, ok := series[key]; ok && other != m.name {
			errs = append(errs, fmt.Errorf("lint stat %s: same Prometheus series %s as %s", m.name, key, other))
		}
		series[key] = m.name
		return m
	}
	for _, c := range v.counters {
		check(&c.id, "counter")
	}
	for _, g := range v.gauges {
		check(&g.id, "gauge")
	}
	for _, h := range v.histograms {
		m := check(&h.id, "histogram")
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			reserved[m.prom+suffix] = m.prom
		}
	}
	for fam, kind := range kinds {
		if h, ok := reserved[fam]; ok {
			errs = append(errs, fmt.Errorf("lint family %s: %s clashes with a series of histogram %s", fam, kind, h))
		}
	}
	errs = append(errs, s.lintRegistry(kinds)...)
	return errors.Join(errs...)
}

func lintMeta(m meta) []error {
	var errs []error
	for _, l := range m.literals {
		if !validSegment(l) {
			errs = append(errs, fmt.Errorf("lint stat %s: segment %q does not match [a-z0-9_]+", m.name, l))
		}
	}
	for part := range strings.SplitSeq(m.stat, ".") {
		if !validSegment(part) {
			errs = append(errs, fmt.Errorf("lint stat %s: name part %q does not match [a-z0-9_]+", m.name, part))
		}
	}
	seen := make(map[string]bool, len(m.tags))
	for _, t := range m.tags {
		if !validSegment(t.Name) {
			errs = append(errs, fmt.Errorf("lint stat %s: tag name %q does not match [a-z0-9_]+", m.name, t.Name))
		}
		if seen[t.Name] {
			errs = append(errs, fmt.Errorf("lint stat %s: tag name %q used twice", m.name, t.Name))
		}
		seen[t.Name] = true
	}
	if !model.IsValidLegacyMetricName(m.prom) {
		errs = append(errs, fmt.Errorf("lint stat %s: invalid Prometheus name %q", m.name, m.prom))
	}
	return errs
}

// validSegment reports whether s matches [a-z0-9_]+.
func validSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (s *Store) lintRegistry(envoyFamilies map[string]string) []error {
	mfs, err := s.reg.Gather()
	if err != nil {
		return []error{fmt.Errorf("lint registry: %w", err)}
	}
	var errs []error
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "sidewire_") {
			errs = append(errs, fmt.Errorf("lint family %s: registry families must be named sidewire_*", mf.GetName()))
		}
		if _, ok := envoyFamilies[mf.GetName()]; ok {
			errs = append(errs, fmt.Errorf("lint family %s: also an Envoy stat family", mf.GetName()))
		}
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		return append(errs, fmt.Errorf("lint registry: %w", err))
	}
	for _, p := range problems {
		errs = append(errs, fmt.Errorf("lint family %s: %s", p.Metric, p.Text))
	}
	return errs
}
