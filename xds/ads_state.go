package xds

import (
	"maps"
	"slices"
	"strings"

	"github.com/sidewire/sidewire/proxy/config"
)

// Type URLs of the resources the client subscribes to.
const (
	ListenerTypeURL = "type.googleapis.com/envoy.config.listener.v3.Listener"
	ClusterTypeURL  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	EndpointTypeURL = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	SecretTypeURL   = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
	// RouteTypeURL is in ads_http_routes.go, DubboRouteTypeURL in
	// ads_dubbo_routes.go.
)

// adsState is the last accepted set of resources, by name, whatever
// transport brought them (state-of-the-world or delta ADS, files). How a
// change merges into it is described by change (see state_apply.go).
// Load assignments are dropped when no EDS cluster names them any more.
type adsState struct {
	listeners map[string]*config.Listener
	clusters  map[string]*config.Cluster
	endpoints map[string]*config.LoadAssignment
	// secrets are the SDS secrets received over ADS or from secret files,
	// by name; those no listener names any more are dropped.
	secrets map[string]*config.Secret
	// dubboRoutes are the Dubbo route configurations (drds) received
	// over ADS, by name; those no listener names any more are dropped.
	dubboRoutes map[string]*config.DubboRouteTable
	// httpRoutes are the HTTP route configurations (RDS) received over
	// ADS, by name; those no listener names any more are dropped.
	httpRoutes map[string]*config.HTTPRouteConfig
	// edsFiles holds, for EDS clusters whose eds_config is a path, that
	// source by cluster name; EDS clusters absent here use ADS.
	edsFiles map[string]FileSource
	// versions are the accepted version_info (system_version_info over
	// delta, a file's version) by type URL.
	versions map[string]string
	// resourceVersions are the versions of resources received over delta
	// xDS, by type URL and name: the initial_resource_versions of a new
	// stream.
	resourceVersions map[string]map[string]string
	// withEndpoints holds the EDS clusters update last built (each a copy
	// carrying its assignment), by name; shared by clones, used under
	// engine.mu. An unchanged cluster and assignment give the same copy
	// back, so the server sees the same pointer and skips the cluster.
	withEndpoints *map[string]edsCopy
	// staticSecrets are the SDS secrets static resources name; fixed for
	// the client's life.
	staticSecrets []OwnedSecretRef

	// warmed is set when warming found nothing missing, and kept through
	// changes that cannot make anything missing (assignments over ADS),
	// so the check is not redone for each EDS update.
	warmed bool

	// Sorted names derived from the maps, computed on first use and
	// shared by clones (read-only); apply resets those a change
	// invalidates.
	eds, adsEDS, clusterNames, listenerNames, adsSDS, adsDRDS, adsRDS lazy[[]string]
}

// lazy is a value computed on first use.
type lazy[T any] struct {
	v  T
	ok bool
}

func (l *lazy[T]) get(f func() T) T {
	if !l.ok {
		l.v, l.ok = f(), true
	}
	return l.v
}

// invalidate resets the derived names a change of typ may change.
func (s *adsState) invalidate(typ string) {
	if typ != EndpointTypeURL {
		s.warmed = false
	}
	switch typ {
	case ListenerTypeURL:
		s.listenerNames, s.adsSDS, s.adsDRDS, s.adsRDS = lazy[[]string]{}, lazy[[]string]{}, lazy[[]string]{}, lazy[[]string]{}
	case ClusterTypeURL:
		s.eds, s.adsEDS, s.clusterNames, s.adsSDS = lazy[[]string]{}, lazy[[]string]{}, lazy[[]string]{}, lazy[[]string]{}
	}
}

// edsCopy is an EDS cluster with its assignment, and what it was made of.
type edsCopy struct {
	base, out *config.Cluster
	la        *config.LoadAssignment
}

func newADSState() *adsState {
	return &adsState{
		listeners:        map[string]*config.Listener{},
		clusters:         map[string]*config.Cluster{},
		endpoints:        map[string]*config.LoadAssignment{},
		secrets:          map[string]*config.Secret{},
		dubboRoutes:      map[string]*config.DubboRouteTable{},
		httpRoutes:       map[string]*config.HTTPRouteConfig{},
		edsFiles:         map[string]FileSource{},
		versions:         map[string]string{},
		resourceVersions: map[string]map[string]string{},
		withEndpoints:    new(map[string]edsCopy),
	}
}

// clone returns a state for a change of typ to apply to: the maps such
// a change modifies are copied (not the immutable values they hold), the
// others shared. An accepted state's maps are never modified, so a
// rejected update is rolled back by dropping the clone.
func (s *adsState) clone(typ string) *adsState {
	c := *s
	c.versions = maps.Clone(s.versions)
	c.resourceVersions = maps.Clone(s.resourceVersions)
	cloneRV := func(t string) {
		if m := s.resourceVersions[t]; m != nil {
			c.resourceVersions[t] = maps.Clone(m)
		}
	}
	cloneRV(typ)
	switch typ {
	case ListenerTypeURL:
		// Pruning after a listener change drops secrets and Dubbo and
		// HTTP route configurations.
		c.listeners = maps.Clone(s.listeners)
		c.secrets = maps.Clone(s.secrets)
		c.dubboRoutes = maps.Clone(s.dubboRoutes)
		c.httpRoutes = maps.Clone(s.httpRoutes)
		cloneRV(SecretTypeURL)
		cloneRV(DubboRouteTypeURL)
		cloneRV(RouteTypeURL)
	case ClusterTypeURL:
		// Pruning after a cluster change drops assignments and EDS files.
		c.clusters = maps.Clone(s.clusters)
		c.edsFiles = maps.Clone(s.edsFiles)
		c.endpoints = maps.Clone(s.endpoints)
		cloneRV(EndpointTypeURL)
	case EndpointTypeURL:
		c.endpoints = maps.Clone(s.endpoints)
	case SecretTypeURL:
		c.secrets = maps.Clone(s.secrets)
	case DubboRouteTypeURL:
		c.dubboRoutes = maps.Clone(s.dubboRoutes)
	case RouteTypeURL:
		c.httpRoutes = maps.Clone(s.httpRoutes)
	default:
		return s.cloneAll()
	}
	return &c
}

// cloneAll copies every map.
func (s *adsState) cloneAll() *adsState {
	c := *s
	c.listeners = maps.Clone(s.listeners)
	c.clusters = maps.Clone(s.clusters)
	c.endpoints = maps.Clone(s.endpoints)
	c.secrets = maps.Clone(s.secrets)
	c.dubboRoutes = maps.Clone(s.dubboRoutes)
	c.httpRoutes = maps.Clone(s.httpRoutes)
	c.edsFiles = maps.Clone(s.edsFiles)
	c.versions = maps.Clone(s.versions)
	c.resourceVersions = make(map[string]map[string]string, len(s.resourceVersions))
	for t, m := range s.resourceVersions {
		c.resourceVersions[t] = maps.Clone(m)
	}
	return &c
}

// edsNames returns the sorted ClusterLoadAssignment names the EDS clusters
// need: eds_cluster_config.service_name, or the cluster name. The slice
// is shared: do not modify it.
func (s *adsState) edsNames() []string {
	return s.eds.get(func() []string { return s.edsNamesWhere(func(string) bool { return true }) })
}

// adsEDSNames returns the sorted assignment names to ask the ADS server
// for: those of EDS clusters whose eds_config is ads. The slice is
// shared: do not modify it.
func (s *adsState) adsEDSNames() []string {
	return s.adsEDS.get(func() []string {
		return s.edsNamesWhere(func(cluster string) bool {
			_, file := s.edsFiles[cluster]
			return !file
		})
	})
}

// sortedClusters and sortedListeners return the names of the clusters
// and listeners, sorted; the slices are shared: do not modify them.
func (s *adsState) sortedClusters() []string {
	return s.clusterNames.get(func() []string { return slices.Sorted(maps.Keys(s.clusters)) })
}

func (s *adsState) sortedListeners() []string {
	return s.listenerNames.get(func() []string { return slices.Sorted(maps.Keys(s.listeners)) })
}

func (s *adsState) edsNamesWhere(keep func(cluster string) bool) []string {
	var out []string
	for n, c := range s.clusters {
		if c.Type == config.EDS && keep(n) {
			out = append(out, edsName(c))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// edsFileNames returns the assignment names each EDS file must provide,
// by file.
func (s *adsState) edsFileNames() map[FileSource][]string {
	out := map[FileSource][]string{}
	for cn, src := range s.edsFiles {
		if c := s.clusters[cn]; c != nil {
			out[src] = append(out[src], edsName(c))
		}
	}
	for src, names := range out {
		slices.Sort(names)
		out[src] = slices.Compact(names)
	}
	return out
}

func edsName(c *config.Cluster) string {
	if c.EDSServiceName != "" {
		return c.EDSServiceName
	}
	return c.Name
}

// pruneEndpoints drops assignments, and their delta versions, that no EDS
// cluster names any more, and EDS sources of clusters that are gone.
// added, when not nil, lists every assignment name the change brought:
// an EDS change leaves the wanted names alone, so only those can be
// unwanted.
func (s *adsState) pruneEndpoints(added []string) {
	want := s.edsNames()
	unwanted := func(n string) bool {
		_, ok := slices.BinarySearch(want, n)
		return !ok
	}
	rv := s.resourceVersions[EndpointTypeURL]
	if added != nil {
		for _, n := range added {
			if unwanted(n) {
				delete(s.endpoints, n)
				delete(rv, n)
			}
		}
		return
	}
	for n := range s.endpoints {
		if unwanted(n) {
			delete(s.endpoints, n)
		}
	}
	for n := range rv {
		if unwanted(n) {
			delete(rv, n)
		}
	}
	for n := range s.edsFiles {
		if s.clusters[n] == nil {
			delete(s.edsFiles, n)
		}
	}
}

// warming returns why the state cannot be applied yet, or "" when it can.
// The rule: every cluster a listener's filters name has been received
// (for an HTTP connection manager, those of an inline route_config that
// validates clusters), every EDS cluster has received its
// ClusterLoadAssignment (an assignment with no endpoints counts), every
// secret and Dubbo or HTTP route configuration a listener names has been
// received, and so has every cluster an HTTP route configuration with
// validate_clusters names. Listeners are held back, never
// clusters: a state with no listeners is ready as soon as its EDS
// clusters are.
func (s *adsState) warming() string {
	if s.warmed {
		return ""
	}
	var missing []string
	for _, n := range s.edsNames() {
		if s.endpoints[n] == nil {
			missing = append(missing, "load assignment "+quote(n))
		}
	}
	for _, ln := range s.sortedListeners() {
		for _, cn := range listenerClusters(s.listeners[ln]) {
			if s.clusters[cn] == nil {
				missing = append(missing, "cluster "+quote(cn)+" (listener "+quote(ln)+")")
			}
		}
	}
	missing = append(missing, s.missingSecrets()...)
	missing = append(missing, s.missingDubboRoutes()...)
	missing = append(missing, s.missingHTTPRoutes()...)
	slices.Sort(missing)
	s.warmed = len(missing) == 0
	return strings.Join(slices.Compact(missing), ", ")
}

func quote(s string) string { return `"` + s + `"` }

// listenerClusters returns the cluster names a listener's filters route to.
func listenerClusters(l *config.Listener) []string {
	var out []string
	chains := slices.Clone(l.FilterChains)
	if l.DefaultFilterChain != nil {
		chains = append(chains, l.DefaultFilterChain)
	}
	for _, fc := range chains {
		for _, f := range fc.Filters {
			out = append(out, filterClusters(f)...)
		}
	}
	return out
}

func filterClusters(f config.NetworkFilter) []string {
	var out []string
	switch f := f.(type) {
	case *config.TCPProxy:
		if f.Cluster != "" {
			out = append(out, f.Cluster)
		}
		for _, w := range f.WeightedClusters {
			out = append(out, w.Name)
		}
	case *config.RedisProxy:
		routes := slices.Clone(f.Routes.Routes)
		if f.Routes.CatchAll != nil {
			routes = append(routes, *f.Routes.CatchAll)
		}
		for _, r := range routes {
			out = append(out, r.Cluster)
			if r.ReadCluster != "" {
				out = append(out, r.ReadCluster)
			}
			for _, m := range r.Mirrors {
				out = append(out, m.Cluster)
			}
		}
	case *config.HTTPConnectionManager:
		out = append(out, routeConfigClusters(f.RouteConfig)...)
	}
	return out
}

// update builds the Update the Applier receives: listeners and clusters
// sorted by name, EDS clusters carrying their assignment.
func (s *adsState) update(changed string) *Update {
	u := &Update{
		Endpoints:   s.endpoints, // never modified once the state is accepted
		Secrets:     s.secrets,
		DubboRoutes: s.dubboRoutes, // never modified once accepted
		HTTPRoutes:  s.httpRoutes,  // never modified once accepted
		Versions:    maps.Clone(s.versions),
		Changed:     changed,
	}
	u.Listeners = make([]*config.Listener, 0, len(s.listeners))
	for _, n := range s.sortedListeners() {
		u.Listeners = append(u.Listeners, s.listeners[n])
	}
	// The copies are updated in place: an update changes few of them.
	copies := *s.withEndpoints
	if copies == nil {
		copies = make(map[string]edsCopy, len(s.clusters))
		*s.withEndpoints = copies
	}
	eds := 0
	u.Clusters = make([]*config.Cluster, 0, len(s.clusters))
	for _, n := range s.sortedClusters() {
		c := s.clusters[n]
		if c.Type == config.EDS {
			eds++
			la := s.endpoints[edsName(c)]
			e, ok := copies[n]
			if !ok || e.base != c || e.la != la {
				cc := *c
				cc.LoadAssignment = la
				e = edsCopy{base: c, out: &cc, la: la}
				copies[n] = e
			}
			c = e.out
		}
		u.Clusters = append(u.Clusters, c)
	}
	if len(copies) > eds { // EDS clusters went away, or changed type
		for n := range copies {
			if c := s.clusters[n]; c == nil || c.Type != config.EDS {
				delete(copies, n)
			}
		}
	}
	return u
}
