package telemetry

import "sync/atomic"

// cacheLine is the padding target for hot stats, so that two counters
// updated by different cores never share a cache line.
const cacheLine = 64

// statID is what a stat knows about its name: the store node holding it
// (whose name is the full name up to the last '.') and the family and
// tags of the scope that created it. All three are shared: a stat costs
// its value and these three pointers, not a copy of its name.
type statID struct {
	node *statNode
	fam  *family
	tags *scopeTags
}

// leaf returns the last segment of the stat's name.
func (id *statID) leaf() string { return id.fam.leaf }

// name returns the full Envoy name. It allocates; the admin handlers
// write the two parts instead.
func (id *statID) name() string { return joinName(id.node.name, id.leaf()) }

// appendName appends the full Envoy name to b.
func (id *statID) appendName(b []byte) []byte {
	if id.node.name != "" {
		b = append(b, id.node.name...)
		b = append(b, '.')
	}
	return append(b, id.leaf()...)
}

// meta returns the stat's description with its full name built.
func (id *statID) meta() meta {
	return meta{name: id.name(), family: id.fam, scopeTags: id.tags}
}

// Counter is a monotonically increasing uint64 (Envoy's counter). Its
// methods are lock-free and never allocate.
type Counter struct {
	v    atomic.Uint64
	used atomic.Bool
	id   statID
	next *Counter // in its node's list
	_    [cacheLine - 48]byte
}

// Inc adds one.
func (c *Counter) Inc() {
	c.v.Add(1)
	c.markUsed()
}

// Add adds n. Add(0) still marks the counter used, as in Envoy.
func (c *Counter) Add(n uint64) {
	c.v.Add(n)
	c.markUsed()
}

// Value returns the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

// Used reports whether the counter was ever written (Envoy's usedonly).
func (c *Counter) Used() bool { return c.used.Load() }

// Name returns the full Envoy stat name. It builds the string on each
// call: the store keeps names in parts.
func (c *Counter) Name() string { return c.id.name() }

// markUsed sets the used flag; the load keeps the common path a plain
// read of a shared cache line instead of a write.
func (c *Counter) markUsed() {
	if !c.used.Load() {
		c.used.Store(true)
	}
}

func (c *Counter) statID() *statID { return &c.id }
func (c *Counter) link() **Counter { return &c.next }

// Gauge is a value that goes up and down (Envoy's gauge). Its methods are
// lock-free and never allocate.
type Gauge struct {
	v    atomic.Int64
	used atomic.Bool
	id   statID
	next *Gauge // in its node's list
	_    [cacheLine - 48]byte
}

// Inc adds one.
func (g *Gauge) Inc() { g.Add(1) }

// Dec subtracts one.
func (g *Gauge) Dec() { g.Add(-1) }

// Add adds n.
func (g *Gauge) Add(n int64) {
	g.v.Add(n)
	g.markUsed()
}

// Sub subtracts n.
func (g *Gauge) Sub(n int64) { g.Add(-n) }

// Set stores n.
func (g *Gauge) Set(n int64) {
	g.v.Store(n)
	g.markUsed()
}

// Value returns the current value.
func (g *Gauge) Value() int64 { return g.v.Load() }

// Used reports whether the gauge was ever written.
func (g *Gauge) Used() bool { return g.used.Load() }

// Name returns the full Envoy stat name (built on each call).
func (g *Gauge) Name() string { return g.id.name() }

func (g *Gauge) markUsed() {
	if !g.used.Load() {
		g.used.Store(true)
	}
}

func (g *Gauge) statID() *statID { return &g.id }
func (g *Gauge) link() **Gauge   { return &g.next }

// Unit is the unit of a histogram's recorded values (Envoy's
// Histogram::Unit). It does not change the buckets; it tells consumers
// how to read them.
type Unit int

// Histogram units.
const (
	Unspecified Unit = iota
	Milliseconds
	Bytes
	Microseconds
)

func (u Unit) String() string {
	switch u {
	case Unspecified:
		return "unspecified"
	case Milliseconds:
		return "milliseconds"
	case Bytes:
		return "bytes"
	case Microseconds:
		return "microseconds"
	}
	return "unknown"
}
