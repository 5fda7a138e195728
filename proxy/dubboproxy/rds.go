package dubboproxy

import (
	"sync"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
)

// RouteStore holds the current compiled route table of every route
// configuration a dubbo_proxy takes from route discovery (drds), by
// name. A filter keeps the slot of the name it routes with and reads it
// once per request, so Replace changes routing for the next request
// without rebuilding the filter or its listener; a request in flight
// keeps the table it was routed with. Safe for concurrent use.
type RouteStore struct {
	mu    sync.Mutex
	slots map[string]*routeSlot
}

// routeSlot is one name's current table; nil until it arrives and after
// it goes. Slots are never dropped (filters hold them); their number is
// bounded by the names the configuration ever used.
type routeSlot struct {
	v atomic.Pointer[storedTable]
}

// storedTable is a compiled table and the config it was built from, so
// an unchanged config keeps its compiled table.
type storedTable struct {
	src *config.DubboRouteTable
	t   *routeTable
}

// NewRouteStore returns an empty store.
func NewRouteStore() *RouteStore {
	return &RouteStore{slots: map[string]*routeSlot{}}
}

// Replace makes tables, validated by config.Snapshot.Validate, the
// current set: changed tables are compiled and swapped in, names no
// longer present are emptied (their requests find no route until the
// name comes back).
func (s *RouteStore) Replace(tables map[string]*config.DubboRouteTable) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, slot := range s.slots {
		if tables[name] == nil {
			slot.v.Store(nil)
		}
	}
	for name, src := range tables {
		slot := s.slotLocked(name)
		if cur := slot.v.Load(); cur != nil && cur.src == src {
			continue
		}
		slot.v.Store(&storedTable{src: src, t: newRouteTable(src.RouteConfigs)})
	}
}

// slot returns the slot of name, creating an empty one.
func (s *RouteStore) slot(name string) *routeSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slotLocked(name)
}

func (s *RouteStore) slotLocked(name string) *routeSlot {
	sl := s.slots[name]
	if sl == nil {
		sl = &routeSlot{}
		s.slots[name] = sl
	}
	return sl
}

// noRoutes is the table of a filter whose discovered routes have not
// arrived: every request is answered "service not found".
var noRoutes = newRouteTable(nil)

// table returns the route table for the next request.
func (f *Filter) table() *routeTable {
	if f.rds == nil {
		return f.routes
	}
	if st := f.rds.v.Load(); st != nil {
		return st.t
	}
	return noRoutes
}
