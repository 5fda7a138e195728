package dubboproxy

import (
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/routestore"
)

// RouteStore holds the current compiled route table of every route
// configuration a dubbo_proxy takes from route discovery (drds), by
// name; see package routestore. A name without a table answers every
// request "service not found".
type RouteStore = routestore.Store[*config.DubboRouteTable, *routeTable]

// routeSlot is the store's entry a filter routes with.
type routeSlot = routestore.Slot[*config.DubboRouteTable, *routeTable]

// NewRouteStore returns an empty store. Tables are validated by
// config.Snapshot.Validate before they reach it.
func NewRouteStore() *RouteStore {
	return routestore.New(func(_ string, src *config.DubboRouteTable) *routeTable {
		return newRouteTable(src.RouteConfigs)
	})
}

// noRoutes is the table of a filter whose discovered routes have not
// arrived: every request is answered "service not found".
var noRoutes = newRouteTable(nil)

// table returns the route table for the next request.
func (f *Filter) table() *routeTable {
	if f.rds == nil {
		return f.routes
	}
	if t, ok := f.rds.Load(); ok {
		return t
	}
	return noRoutes
}
