package dubboproxy

import (
	"bytes"
	"math/rand/v2"
	"slices"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/proxy/config"
)

// routeTable is the compiled, immutable form of a dubbo_proxy's route
// configs.
type routeTable struct {
	configs []*routeConfig
	// keys are the attachment keys requests are scanned for: timeout,
	// group and version (see keyTimeout), then the routes' header names.
	keys []string
}

// routeConfig is one service's routes.
type routeConfig struct {
	iface   ifaceMatcher
	group   string
	version []byte
	routes  []*route
}

// route is one compiled config.DubboRoute.
type route struct {
	method   *stringMatcher
	params   []paramMatcher
	headers  []headerMatcher
	cluster  string
	weighted []config.WeightedCluster
	total    uint64
	metadata map[string]string
}

func newRouteTable(cfgs []config.DubboRouteConfig) *routeTable {
	t := &routeTable{keys: []string{dubbo.AttachmentTimeout, dubbo.AttachmentGroup, dubbo.AttachmentVersion}}
	for _, rc := range cfgs {
		c := &routeConfig{iface: newIfaceMatcher(rc.Interface), group: rc.Group}
		if rc.Version != "" {
			c.version = []byte(rc.Version)
		}
		for i := range rc.Routes {
			c.routes = append(c.routes, newRoute(&rc.Routes[i], t.key))
		}
		t.configs = append(t.configs, c)
	}
	return t
}

// key returns the index of an attachment name in t.keys, adding it.
func (t *routeTable) key(name string) int {
	if i := slices.Index(t.keys, name); i >= 0 {
		return i
	}
	t.keys = append(t.keys, name)
	return len(t.keys) - 1
}

func newRoute(r *config.DubboRoute, key func(string) int) *route {
	rt := &route{cluster: r.Cluster, weighted: r.WeightedClusters, metadata: r.MetadataMatch}
	if r.Method != nil {
		rt.method = newStringMatcher(*r.Method)
	}
	for _, p := range r.Params {
		rt.params = append(rt.params, paramMatcher{index: int(p.Index), exact: p.Exact, isRange: p.IsRange, start: p.Start, end: p.End})
	}
	for _, h := range r.Headers {
		rt.headers = append(rt.headers, newHeaderMatcher(h, key(h.Name)))
	}
	for _, w := range r.WeightedClusters {
		rt.total += uint64(w.Weight)
	}
	return rt
}

// lookup returns the first route that matches req: route configs in
// order, the first whose interface, group and version admit the request
// and that has a matching route. Attachments are scanned only when a
// candidate needs the group, the version attachment or attachments, and
// the body is decoded only for arguments.
func (t *routeTable) lookup(req *request) *route {
	for _, c := range t.configs {
		if !c.admits(req) {
			continue
		}
		for _, rt := range c.routes {
			if rt.matches(req) {
				return rt
			}
		}
	}
	return nil
}

// admits checks interface, group and version. A config with a group
// admits only requests of exactly that group (Envoy also lets requests
// without a group through: envoy issue 22032).
func (c *routeConfig) admits(req *request) bool {
	if !c.iface.match(req.service) {
		return false
	}
	if c.version != nil && !bytes.Equal(req.serviceVersion(), c.version) {
		return false
	}
	return c.group == "" || string(req.group()) == c.group
}

func (rt *route) matches(req *request) bool {
	if rt.method != nil && !rt.method.match(req.method) {
		return false
	}
	for i := range rt.headers {
		if !rt.headers[i].match(req) {
			return false
		}
	}
	if len(rt.params) == 0 {
		return true
	}
	body, err := req.decode()
	if err != nil {
		return false
	}
	for i := range rt.params {
		if !rt.params[i].match(body.Args) {
			return false
		}
	}
	return true
}

// pickCluster returns the route's cluster, drawing from the weighted
// clusters in proportion to their weights.
func (rt *route) pickCluster() string {
	if len(rt.weighted) == 0 {
		return rt.cluster
	}
	n := rand.Uint64N(rt.total)
	for _, w := range rt.weighted {
		if n < uint64(w.Weight) {
			return w.Name
		}
		n -= uint64(w.Weight)
	}
	return rt.weighted[len(rt.weighted)-1].Name
}
