package codecs

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// DefaultSniffLimit is the byte bound of Registry.Sniff when none is set.
const DefaultSniffLimit = 64

// Registry holds the codecs a binary supports. Registration is explicit
// (there are no init side effects); lookups and sniffing are lock-free
// and safe concurrently with Register.
type Registry struct {
	codecs atomic.Pointer[[]Codec]
	limit  atomic.Int64
}

// NewRegistry returns an empty registry with DefaultSniffLimit.
func NewRegistry() *Registry {
	r := &Registry{}
	r.codecs.Store(new([]Codec))
	r.limit.Store(DefaultSniffLimit)
	return r
}

// Register adds c. Sniffing tries codecs in registration order. It fails
// on an empty or duplicate name.
func (r *Registry) Register(c Codec) error {
	if c == nil || c.Name() == "" {
		return errors.New("register codec: empty name")
	}
	for {
		old := r.codecs.Load()
		for _, o := range *old {
			if o.Name() == c.Name() {
				return fmt.Errorf("register codec %q: duplicate name", c.Name())
			}
		}
		next := append(append(make([]Codec, 0, len(*old)+1), *old...), c)
		if r.codecs.CompareAndSwap(old, &next) {
			return nil
		}
	}
}

// SetSniffLimit sets how many bytes Sniff looks at before giving up.
func (r *Registry) SetSniffLimit(n int) {
	if n > 0 {
		r.limit.Store(int64(n))
	}
}

// SniffLimit returns the sniff byte bound.
func (r *Registry) SniffLimit() int { return int(r.limit.Load()) }

// Lookup returns the codec registered under name.
func (r *Registry) Lookup(name string) (Codec, bool) {
	for _, c := range *r.codecs.Load() {
		if c.Name() == name {
			return c, true
		}
	}
	return nil, false
}

// Codecs returns the registered codecs in registration order.
func (r *Registry) Codecs() []Codec {
	return append([]Codec(nil), *r.codecs.Load()...)
}

// Sniff finds the codec whose protocol b starts. It looks at no more
// than the sniff limit: the first codec to Match wins; otherwise NeedMore
// while any codec could still match and fewer than the limit bytes were
// seen; otherwise NoMatch.
func (r *Registry) Sniff(b []byte) (Codec, SniffResult) {
	limit := r.SniffLimit()
	if len(b) > limit {
		b = b[:limit]
	}
	more := false
	for _, c := range *r.codecs.Load() {
		switch c.Sniff(b) {
		case Match:
			return c, Match
		case NeedMore:
			more = true
		}
	}
	if more && len(b) < limit {
		return nil, NeedMore
	}
	return nil, NoMatch
}
