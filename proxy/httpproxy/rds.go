package httpproxy

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
)

// RouteStore holds the current compiled route table of every route
// configuration HTTP connection managers take from route discovery
// (RDS), by name. A filter keeps the slot of the name it routes with and
// reads it once per request, so Replace changes routing for the next
// request without rebuilding the filter or its listener; a request in
// flight keeps the table it was routed with. Safe for concurrent use.
type RouteStore struct {
	mu    sync.Mutex
	slots map[string]*routeSlot
	log   *slog.Logger
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
	src *config.HTTPRouteConfig
	t   *routeTable
}

// NewRouteStore returns an empty store.
func NewRouteStore() *RouteStore {
	return &RouteStore{slots: map[string]*routeSlot{}, log: slog.Default()}
}

// Replace makes tables, validated by config.Snapshot.Validate, the
// current set: changed tables are compiled and swapped in, names no
// longer present are emptied (their requests get 404 until the name
// comes back). A table that does not compile (it cannot after
// validation) is installed with its broken routes never matching, and
// logged.
func (s *RouteStore) Replace(tables map[string]*config.HTTPRouteConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, slot := range s.slots {
		if tables[name] == nil {
			slot.v.Store(nil)
		}
	}
	for name, src := range tables {
		if src == nil {
			continue
		}
		slot := s.slotLocked(name)
		if cur := slot.v.Load(); cur != nil && cur.src == src {
			continue
		}
		t, err := compileTable(src)
		if err != nil {
			s.log.Error("http route table compiled with errors", "route_config", name, "error", err)
		}
		slot.v.Store(&storedTable{src: src, t: t})
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

// table returns the route table for the next request.
func (f *Filter) table() *routeTable {
	if f.rds == nil {
		return f.routes
	}
	if st := f.rds.v.Load(); st != nil {
		return st.t
	}
	return emptyTable
}
