package telemetry

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Store holds every Envoy-style stat of the process plus the Prometheus
// registry for sidewire_* families. Stats are created once and never
// removed, so a config reload that asks for the same name gets the same
// object and its value carries on.
//
// Creating a stat takes a mutex; updating one is a lock-free atomic.
//
// Stats are kept by node: a node is a full stat name up to its last
// '.' ("cluster.foo" for cluster.foo.upstream_cx_total), usually a
// scope's own name, so its string already exists. A node lists its
// stats, found by leaf name; a stat holds its node, its family and its
// scope's tags, so no full name is ever stored (with 10,000 clusters of
// 30 stats each, names and a map entry per stat were most of the
// memory). Names are built while /stats is written.
type Store struct {
	reg  *prometheus.Registry
	root *Scope
	fams families // labelled sidewire_* families by name

	mu    sync.Mutex           // guards the maps below and the nodes' lists
	nodes map[string]*statNode // by name
	// families holds the shared part of stat metas by literal prefix and
	// leaf name.
	sharedFams map[string]map[string]*family

	// sorted is a read-only view of all stats in output order. It is
	// rebuilt by the first reader after a stat is added.
	sorted atomic.Pointer[sortedStats]
}

// statNode holds the stats whose full names share everything up to the
// last '.'. Counters, gauges and histograms are separate namespaces, as
// in Envoy.
type statNode struct {
	name       string // "" for stats without a '.'
	counters   statList[Counter, *Counter]
	gauges     statList[Gauge, *Gauge]
	histograms statList[Histogram, *Histogram]
}

// listed is what a statList needs of its stats: their identity and the
// link to the next stat of the node, which each stat holds in its own
// padding, so a list costs nothing per stat.
type listed[T any] interface {
	*T
	statID() *statID
	link() **T
}

// statList is the stats of one kind in a node, found by leaf name: a
// scan while there are few (a cluster's node has about 20), a map when
// there are many.
type statList[T any, P listed[T]] struct {
	head   P
	n      int
	byLeaf map[string]P
}

// smallList is how many stats a list scans before it keeps a map.
const smallList = 32

func (l *statList[T, P]) find(leaf string) P {
	if l.byLeaf != nil {
		return l.byLeaf[leaf]
	}
	for v := l.head; v != nil; v = *v.link() {
		if v.statID().leaf() == leaf {
			return v
		}
	}
	return nil
}

func (l *statList[T, P]) add(leaf string, v P) {
	*v.link() = (*T)(l.head)
	l.head = v
	l.n++
	switch {
	case l.byLeaf != nil:
		l.byLeaf[leaf] = v
	case l.n > smallList:
		l.byLeaf = make(map[string]P, l.n)
		for x := l.head; x != nil; x = *x.link() {
			l.byLeaf[x.statID().leaf()] = x
		}
	}
}

// appendTo appends the list's stats to out.
func (l *statList[T, P]) appendTo(out []P) []P {
	for v := l.head; v != nil; v = *v.link() {
		out = append(out, v)
	}
	return out
}

// sortedStats is an immutable, ordered view of the store. The plain slices
// follow the full Envoy name (the /stats order); the ByFamily slices follow
// the /stats/prometheus order (see sortTwice).
type sortedStats struct {
	counters, countersByFamily     []*Counter
	gauges, gaugesByFamily         []*Gauge
	histograms, histogramsByFamily []*Histogram
}

// NewStore returns an empty store with an empty Prometheus registry.
func NewStore() *Store {
	s := &Store{
		reg:        prometheus.NewRegistry(),
		nodes:      make(map[string]*statNode),
		sharedFams: make(map[string]map[string]*family),
	}
	s.root = &Scope{store: s}
	return s
}

// Root returns the scope with an empty prefix.
func (s *Store) Root() *Scope { return s.root }

// Registry returns the registry whose families /stats/prometheus serves
// after the Envoy-style stats. Families registered here should be named
// sidewire_* (Lint checks this).
func (s *Store) Registry() *prometheus.Registry { return s.reg }

// node returns the node of stat in sc and the stat's leaf name, making
// the node on first use. Called with s.mu held.
func (s *Store) node(sc *Scope, stat string) (*statNode, string) {
	dir, leaf := "", stat
	if i := strings.LastIndexByte(stat, '.'); i >= 0 {
		dir, leaf = stat[:i], stat[i+1:]
	}
	if dir == "" {
		if n := s.nodes[sc.name]; n != nil {
			return n, leaf
		}
		n := &statNode{name: sc.name}
		s.nodes[sc.name] = n
		return n, leaf
	}
	// A dotted stat name: the node is the scope's name plus its
	// directory, looked up without building the string first.
	var buf [128]byte
	b := buf[:0]
	if sc.name != "" {
		b = append(append(b, sc.name...), '.')
	}
	b = append(b, dir...)
	if n := s.nodes[string(b)]; n != nil {
		return n, leaf
	}
	n := &statNode{name: string(b)}
	s.nodes[n.name] = n
	return n, leaf
}

// counter returns the counter named stat in sc, creating it if needed.
func (s *Store) counter(sc *Scope, stat string) *Counter {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, leaf := s.node(sc, stat)
	if c := n.counters.find(leaf); c != nil {
		return c
	}
	c := &Counter{id: sc.id(n, stat)}
	n.counters.add(leaf, c)
	s.sorted.Store(nil)
	return c
}

func (s *Store) gauge(sc *Scope, stat string) *Gauge {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, leaf := s.node(sc, stat)
	if g := n.gauges.find(leaf); g != nil {
		return g
	}
	g := &Gauge{id: sc.id(n, stat)}
	n.gauges.add(leaf, g)
	s.sorted.Store(nil)
	return g
}

func (s *Store) histogram(sc *Scope, stat string, unit Unit) *Histogram {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, leaf := s.node(sc, stat)
	if h := n.histograms.find(leaf); h != nil {
		return h
	}
	h := &Histogram{id: sc.id(n, stat), unit: unit}
	n.histograms.add(leaf, h)
	s.sorted.Store(nil)
	return h
}

// numStats returns the number of stats in the store.
func (s *Store) numStats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, nd := range s.nodes {
		n += nd.counters.n + nd.gauges.n + nd.histograms.n
	}
	return n
}

// view returns the current sorted view, building it if stats were added
// since the last call.
func (s *Store) view() *sortedStats {
	if v := s.sorted.Load(); v != nil {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.sorted.Load(); v != nil {
		return v
	}
	var nc, ng, nh int
	for _, n := range s.nodes {
		nc, ng, nh = nc+n.counters.n, ng+n.gauges.n, nh+n.histograms.n
	}
	cs, gs, hs := make([]*Counter, 0, nc), make([]*Gauge, 0, ng), make([]*Histogram, 0, nh)
	for _, n := range s.nodes {
		cs = n.counters.appendTo(cs)
		gs = n.gauges.appendTo(gs)
		hs = n.histograms.appendTo(hs)
	}
	v := &sortedStats{}
	v.counters, v.countersByFamily = sortTwice(cs, (*Counter).statID)
	v.gauges, v.gaugesByFamily = sortTwice(gs, (*Gauge).statID)
	v.histograms, v.histogramsByFamily = sortTwice(hs, (*Histogram).statID)
	s.sorted.Store(v)
	return v
}

// sortTwice sorts stats in /stats order (by full name) and returns them
// with a copy in /stats/prometheus order. The latter is Envoy's: families
// ordered by their tag-extracted name and stats within a family by full
// name, both compared segment by segment (Envoy compares symbolized
// names that way). Every family is kept contiguous even if two extracted
// names sanitize to the same family name (a Lint error), so the
// exposition stays valid.
func sortTwice[T any](byName []T, id func(T) *statID) (_, byFamily []T) {
	slices.SortFunc(byName, func(a, b T) int { return compareNames(id(a), id(b)) })
	byFamily = slices.Clone(byName)
	slices.SortFunc(byFamily, func(a, b T) int {
		ia, ib := id(a), id(b)
		if ia.fam != ib.fam {
			if c := compareSegments(ia.fam.extracted, ib.fam.extracted); c != 0 {
				return c
			}
		}
		return compareNameSegments(ia, ib)
	})
	rank := make(map[string]int)
	for _, v := range byFamily {
		if p := id(v).fam.prom; rank[p] == 0 {
			rank[p] = len(rank) + 1
		}
	}
	slices.SortStableFunc(byFamily, func(a, b T) int { return cmp.Compare(rank[id(a).fam.prom], rank[id(b).fam.prom]) })
	return byName, byFamily
}

// compareSegments compares two dotted names segment by segment, a name
// that is a prefix of the other first. It differs from a byte-wise
// comparison when a segment holds a byte below '.': "c.a.x" sorts before
// "c.a-b.x" here and after it byte-wise.
func compareSegments(a, b string) int {
	for {
		sa, ra, moreA := strings.Cut(a, ".")
		sb, rb, moreB := strings.Cut(b, ".")
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = ra, rb
	}
}
