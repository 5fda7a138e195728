package httpproxy

import (
	"log/slog"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/routestore"
)

// RouteStore holds the current compiled route table of every route
// configuration HTTP connection managers take from route discovery
// (RDS), by name; see package routestore. A name without a table
// answers every request 404.
type RouteStore = routestore.Store[*config.HTTPRouteConfig, *routeTable]

// routeSlot is the store's entry a filter routes with.
type routeSlot = routestore.Slot[*config.HTTPRouteConfig, *routeTable]

// NewRouteStore returns an empty store. Tables are validated by
// config.Snapshot.Validate before they reach it; one that still does
// not compile is installed with its broken routes never matching, and
// logged.
func NewRouteStore() *RouteStore {
	return routestore.New(func(name string, src *config.HTTPRouteConfig) *routeTable {
		t, err := compileTable(src)
		if err != nil {
			slog.Error("http route table compiled with errors", "route_config", name, "error", err)
		}
		return t
	})
}

// table returns the route table for the next request.
func (f *Filter) table() *routeTable {
	if f.rds == nil {
		return f.routes
	}
	if t, ok := f.rds.Load(); ok {
		return t
	}
	return emptyTable
}
