// Package routestore holds the route tables a protocol proxy takes from
// route discovery (Envoy's RDS for HTTP, drds for Dubbo), by name.
//
// A filter keeps the Slot of the name it routes with and loads it once
// per request, so Replace changes routing for the next request without
// rebuilding the filter or its listener, and a request in flight keeps
// the table it was routed with. A table is compiled once per config
// value: replacing with the same config keeps the compiled table.
package routestore

import (
	"sync"
	"sync/atomic"
)

// Store holds the current compiled table T of every config C by name.
// C is compared by identity (==), so it is normally a pointer to an
// immutable config. Safe for concurrent use.
type Store[C comparable, T any] struct {
	compile func(name string, src C) T

	mu    sync.Mutex
	slots map[string]*Slot[C, T]
}

// Slot is one name's current table: empty until it arrives and after it
// goes. Slots are never dropped (filters hold them); their number is
// bounded by the names the configuration ever used.
type Slot[C comparable, T any] struct {
	v atomic.Pointer[entry[C, T]]
}

// entry is a compiled table and the config it was built from.
type entry[C comparable, T any] struct {
	src C
	t   T
}

// New returns an empty store that builds tables with compile.
func New[C comparable, T any](compile func(name string, src C) T) *Store[C, T] {
	return &Store[C, T]{compile: compile, slots: map[string]*Slot[C, T]{}}
}

// Replace makes tables the current set: changed configs are compiled and
// swapped in, names no longer present (or present with the zero C) are
// emptied until they come back.
func (s *Store[C, T]) Replace(tables map[string]C) {
	var zero C
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, slot := range s.slots {
		if tables[name] == zero {
			slot.v.Store(nil)
		}
	}
	for name, src := range tables {
		if src == zero {
			continue
		}
		slot := s.slotLocked(name)
		if cur := slot.v.Load(); cur != nil && cur.src == src {
			continue
		}
		slot.v.Store(&entry[C, T]{src: src, t: s.compile(name, src)})
	}
}

// Slot returns the slot of name, creating an empty one.
func (s *Store[C, T]) Slot(name string) *Slot[C, T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slotLocked(name)
}

func (s *Store[C, T]) slotLocked(name string) *Slot[C, T] {
	sl := s.slots[name]
	if sl == nil {
		sl = &Slot[C, T]{}
		s.slots[name] = sl
	}
	return sl
}

// Load returns the current table and true, or the zero T and false when
// the name has none.
func (sl *Slot[C, T]) Load() (T, bool) {
	if e := sl.v.Load(); e != nil {
		return e.t, true
	}
	var zero T
	return zero, false
}
