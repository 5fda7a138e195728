package telemetry

import (
	"slices"
	"strings"
)

// Scope is a stat name prefix. Scopes are cheap immutable values: build
// them while provisioning a config, keep the stats they return, and use
// those on the data path.
//
// A name is made of segments joined by '.'. Literal segments (Sub) are
// part of the Prometheus family name; tag segments (Tagged) are dynamic
// values such as a cluster name and become Prometheus labels, the way
// Envoy's tag extraction turns "cluster.foo.upstream_cx_total" into
// envoy_cluster_upstream_cx_total{envoy_cluster_name="foo"}.
type Scope struct {
	store    *Store
	name     string   // dotted prefix; "" at the root
	literals []string // literal segments in order
	lit      string   // literals joined by '.'
	tags     []tag    // tag segments in order
	// tagged holds tags and their rendered labels, shared by the metas
	// of every stat of the scope; nil at the root.
	tagged *scopeTags
}

// scopeTags are the tags of a scope and their rendered Prometheus labels.
type scopeTags struct {
	labels string // rendered label pairs: envoy_cluster_name="foo"
	tags   []tag
}

var noTags = &scopeTags{}

// tag is one extracted name segment: Name is the Prometheus label name,
// Value the segment as it appears in the Envoy name.
type tag struct {
	Name, Value string
}

// Sub returns a child scope with a literal segment, e.g. "cluster",
// "health_check" or "circuit_breakers". A literal segment should match
// [a-z0-9_]+ (see Store.Lint).
func (s *Scope) Sub(name string) *Scope {
	return &Scope{
		store:    s.store,
		name:     joinName(s.name, name),
		literals: append(slices.Clip(s.literals), name),
		lit:      joinName(s.lit, name),
		tags:     s.tags,
		tagged:   s.tagged,
	}
}

// Tagged returns a child scope whose segment is value (a cluster name, a
// listener address, a stat prefix). In Prometheus output the segment
// becomes the label tag=value instead of part of the family name.
func (s *Scope) Tagged(tag, value string) *Scope {
	tags := append(slices.Clip(s.tags), tagOf(tag, value))
	return &Scope{
		store:    s.store,
		name:     joinName(s.name, value),
		literals: s.literals,
		lit:      s.lit,
		tags:     tags,
		tagged:   &scopeTags{labels: renderLabels(tags), tags: tags},
	}
}

func tagOf(name, value string) tag { return tag{Name: name, Value: value} }

// Name returns the scope's dotted prefix ("" for the root).
func (s *Scope) Name() string { return s.name }

// Counter returns the counter named name under this scope, creating it on
// first use. name may contain dots ("health_check.attempt").
func (s *Scope) Counter(name string) *Counter {
	return s.store.counter(s, name)
}

// Gauge returns the gauge named name under this scope, creating it on
// first use.
func (s *Scope) Gauge(name string) *Gauge {
	return s.store.gauge(s, name)
}

// Histogram returns the histogram named name under this scope, creating
// it on first use. The unit of the first creation wins.
func (s *Scope) Histogram(name string, unit Unit) *Histogram {
	return s.store.histogram(s, name, unit)
}

// meta describes one stat with its full name built: what Lint checks.
// When the same full name is requested twice the first stat is kept,
// tags included. What all stats of one family, or of one scope, have in
// common is shared, so a stat costs little more than its value (many
// clusters mean many stats).
type meta struct {
	name string // full Envoy name: cluster.foo.upstream_cx_total
	*family
	*scopeTags
}

// family is what the stats of one family share, whatever their tags.
type family struct {
	extracted string   // name without tag values: cluster.upstream_cx_total
	stat      string   // the leaf name given to Counter/Gauge/Histogram
	leaf      string   // its last segment
	prom      string   // Prometheus family: envoy_cluster_upstream_cx_total
	literals  []string // literal segments of the scope
}

// id returns the identity of a new stat named stat in s, in node. It
// runs with the store's mutex held.
func (s *Scope) id(node *statNode, stat string) statID {
	tagged := s.tagged
	if tagged == nil {
		tagged = noTags
	}
	return statID{node: node, fam: s.store.family(s, stat), tags: tagged}
}

// family returns the shared family of stat in s, making it on first use.
// Called with s.mu held.
func (st *Store) family(s *Scope, stat string) *family {
	byStat := st.sharedFams[s.lit]
	if byStat == nil {
		byStat = map[string]*family{}
		st.sharedFams[s.lit] = byStat
	}
	f := byStat[stat]
	if f == nil {
		f = &family{
			extracted: joinName(s.lit, stat),
			stat:      stat,
			leaf:      lastSegment(stat),
			prom:      promFamily(s.literals, stat),
			literals:  s.literals,
		}
		byStat[stat] = f
	}
	return f
}

// lastSegment returns what follows the last '.' of name (all of it when
// there is none).
func lastSegment(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func joinName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// promFamily builds Envoy's Prometheus name for a stat: "envoy_", the
// literal segments and the leaf name joined by '_', every character
// outside [a-zA-Z0-9_] replaced by '_'.
func promFamily(literals []string, stat string) string {
	var b strings.Builder
	b.WriteString("envoy_")
	for _, l := range literals {
		b.WriteString(l)
		b.WriteByte('_')
	}
	b.WriteString(stat)
	return sanitizePromName(b.String())
}

// sanitizePromName replaces every byte outside [a-zA-Z0-9_] by '_', as
// Envoy's Prometheus formatter does (it turns '.' and ':' into '_').
func sanitizePromName(s string) string {
	buf := []byte(s)
	for i, c := range buf {
		if !isPromNameByte(c) {
			buf[i] = '_'
		}
	}
	return string(buf)
}

func isPromNameByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// renderLabels renders tags as Prometheus label pairs without braces.
// Label names are sanitized like family names; values are escaped as the
// text exposition format requires.
func renderLabels(tags []tag) string {
	var b strings.Builder
	for i, t := range tags {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(sanitizePromName(t.Name))
		b.WriteString(`="`)
		writeLabelValue(&b, t.Value)
		b.WriteByte('"')
	}
	return b.String()
}

func writeLabelValue(b *strings.Builder, v string) {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
}
