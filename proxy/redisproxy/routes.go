package redisproxy

import (
	"strings"

	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/config"
)

// catchAllLabel is the metrics label of the catch-all route.
const catchAllLabel = "catch_all"

// route is one prefix route (or the catch-all) ready to serve.
type route struct {
	cfg *config.RedisRoute
	// label is the bounded metrics label: the prefix, or "catch_all".
	label string
	// index is the route's position for per-route metrics: prefix routes
	// in config order, then the catch-all.
	index int
	// strip is how many leading bytes RemovePrefix removes.
	strip int
	// format is KeyFormatter split around its %KEY% operators; nil when
	// the route has none.
	format [][]byte
}

// rewrites reports whether the route changes keys.
func (r *route) rewrites() bool { return r.strip > 0 || r.format != nil }

// appendKey appends key as the route forwards it: without the prefix
// when RemovePrefix is set, then through KeyFormatter.
func (r *route) appendKey(dst, key []byte) []byte {
	key = key[min(r.strip, len(key)):]
	if r.format == nil {
		return append(dst, key...)
	}
	for i, part := range r.format {
		if i > 0 {
			dst = append(dst, key...)
		}
		dst = append(dst, part...)
	}
	return dst
}

// clusterFor returns the cluster the route sends cmd to: its read
// cluster for read-only commands when read_command_policy is set.
func (r *route) clusterFor(cmd *redis.Command) string {
	if r.cfg.ReadCluster != "" && cmd != nil && cmd.Flags&redis.FlagRead != 0 && cmd.Flags&redis.FlagWrite == 0 {
		return r.cfg.ReadCluster
	}
	return r.cfg.Cluster
}

// routeTable finds a key's route by longest prefix.
type routeTable struct {
	t *prefixTable[route]
	// all lists every route by index; the catch-all, if any, is last.
	all []*route
	// fallback takes commands without a key to route by (EVAL with no
	// keys): the catch-all, else the first prefix route.
	fallback *route
}

func newRouteTable(cfg *config.RedisPrefixRoutes) *routeTable {
	var prefixes []string
	var routes []route
	for i := range cfg.Routes {
		rc := &cfg.Routes[i]
		prefixes = append(prefixes, rc.Prefix)
		routes = append(routes, newRoute(rc, rc.Prefix, i))
	}
	var catchAll *route
	if cfg.CatchAll != nil {
		r := newRoute(cfg.CatchAll, catchAllLabel, len(routes))
		catchAll = &r
	}
	rt := &routeTable{t: buildPrefixTable(prefixes, routes, cfg.CaseInsensitive, catchAll)}
	rt.all = make([]*route, len(routes), len(routes)+1)
	for i := range rt.t.entries {
		e := &rt.t.entries[i].route
		rt.all[e.index] = e
	}
	if catchAll != nil {
		rt.all = append(rt.all, catchAll)
		rt.fallback = catchAll
	} else if len(rt.all) > 0 {
		rt.fallback = rt.all[0]
	}
	return rt
}

func newRoute(cfg *config.RedisRoute, label string, index int) route {
	r := route{cfg: cfg, label: label, index: index}
	if cfg.RemovePrefix {
		r.strip = len(cfg.Prefix)
	}
	if cfg.KeyFormatter != "" {
		for _, part := range strings.Split(cfg.KeyFormatter, "%KEY%") {
			r.format = append(r.format, []byte(part))
		}
	}
	return r
}

// lookup returns the route of key, or nil.
func (t *routeTable) lookup(key []byte) *route {
	r, _ := t.t.lookup(key)
	return r
}
