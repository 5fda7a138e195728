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
)

// adsState is the last accepted set of resources, by name, whatever
// transport brought them (state-of-the-world or delta ADS, files). How a
// change merges into it is described by change (see state_apply.go).
// Load assignments are dropped when no EDS cluster names them any more.
type adsState struct {
	listeners map[string]*config.Listener
	clusters  map[string]*config.Cluster
	endpoints map[string]*config.LoadAssignment
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
}

func newADSState() *adsState {
	return &adsState{
		listeners:        map[string]*config.Listener{},
		clusters:         map[string]*config.Cluster{},
		endpoints:        map[string]*config.LoadAssignment{},
		edsFiles:         map[string]FileSource{},
		versions:         map[string]string{},
		resourceVersions: map[string]map[string]string{},
	}
}

// clone copies the maps (not the immutable values they hold), so a
// rejected update can be rolled back.
func (s *adsState) clone() *adsState {
	rv := make(map[string]map[string]string, len(s.resourceVersions))
	for t, m := range s.resourceVersions {
		rv[t] = maps.Clone(m)
	}
	return &adsState{
		listeners:        maps.Clone(s.listeners),
		clusters:         maps.Clone(s.clusters),
		endpoints:        maps.Clone(s.endpoints),
		edsFiles:         maps.Clone(s.edsFiles),
		versions:         maps.Clone(s.versions),
		resourceVersions: rv,
	}
}

// edsNames returns the sorted ClusterLoadAssignment names the EDS clusters
// need: eds_cluster_config.service_name, or the cluster name.
func (s *adsState) edsNames() []string {
	return s.edsNamesWhere(func(string) bool { return true })
}

// adsEDSNames returns the sorted assignment names to ask the ADS server
// for: those of EDS clusters whose eds_config is ads.
func (s *adsState) adsEDSNames() []string {
	return s.edsNamesWhere(func(cluster string) bool {
		_, file := s.edsFiles[cluster]
		return !file
	})
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
func (s *adsState) pruneEndpoints() {
	want := s.edsNames()
	for n := range s.endpoints {
		if _, ok := slices.BinarySearch(want, n); !ok {
			delete(s.endpoints, n)
		}
	}
	for n := range s.resourceVersions[EndpointTypeURL] {
		if _, ok := slices.BinarySearch(want, n); !ok {
			delete(s.resourceVersions[EndpointTypeURL], n)
		}
	}
	for n := range s.edsFiles {
		if s.clusters[n] == nil {
			delete(s.edsFiles, n)
		}
	}
}

// warming returns why the state cannot be applied yet, or "" when it can.
// The rule: every cluster a listener's filters name has been received,
// and every EDS cluster has received its ClusterLoadAssignment (an
// assignment with no endpoints counts). Listeners are held back, never
// clusters: a state with no listeners is ready as soon as its EDS
// clusters are.
func (s *adsState) warming() string {
	var missing []string
	for _, n := range s.edsNames() {
		if s.endpoints[n] == nil {
			missing = append(missing, "load assignment "+quote(n))
		}
	}
	for _, ln := range slices.Sorted(maps.Keys(s.listeners)) {
		for _, cn := range listenerClusters(s.listeners[ln]) {
			if s.clusters[cn] == nil {
				missing = append(missing, "cluster "+quote(cn)+" (listener "+quote(ln)+")")
			}
		}
	}
	slices.Sort(missing)
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
	}
	return out
}

// update builds the Update the Applier receives: listeners and clusters
// sorted by name, EDS clusters carrying their assignment.
func (s *adsState) update(changed string) *Update {
	u := &Update{
		Endpoints: maps.Clone(s.endpoints),
		Versions:  maps.Clone(s.versions),
		Changed:   changed,
	}
	for _, n := range slices.Sorted(maps.Keys(s.listeners)) {
		u.Listeners = append(u.Listeners, s.listeners[n])
	}
	for _, n := range slices.Sorted(maps.Keys(s.clusters)) {
		c := s.clusters[n]
		if c.Type == config.EDS {
			cc := *c
			cc.LoadAssignment = s.endpoints[edsName(c)]
			c = &cc
		}
		u.Clusters = append(u.Clusters, c)
	}
	return u
}
