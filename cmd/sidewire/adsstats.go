package main

import (
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
	"github.com/sidewire/sidewire/xds"
)

// Sidewire's own xDS metrics, beside Envoy's names. Labels are bounded:
// type is one of xdsTypeLabels' values, result "accepted" or "rejected".
const (
	xdsUpdatesFamily  = "sidewire_xds_updates_total"
	xdsConnectsFamily = "sidewire_xds_stream_connects_total"
)

// xdsTypeLabels names each resource type in sidewire_xds_* labels.
var xdsTypeLabels = map[string]string{
	xds.ListenerTypeURL:   "lds",
	xds.ClusterTypeURL:    "cds",
	xds.EndpointTypeURL:   "eds",
	xds.SecretTypeURL:     "sds",
	xds.DubboRouteTypeURL: "drds",
	xds.RouteTypeURL:      "rds",
}

// adsStats are Envoy's xDS stats (control_plane.connected_state; the
// update_success / update_rejected counters of LDS, CDS and EDS, of each
// secret under sds.<name>, and of each route configuration under
// http.<stat_prefix>.rds.<name> for the HTTP connection managers that
// use it) and sidewire_xds_updates_total{type,result} for every type,
// with sidewire_xds_stream_connects_total.
type adsStats struct {
	root           *telemetry.Scope
	connectedState *telemetry.Gauge
	// rdsPrefixes maps a route configuration name to the stat prefixes
	// of the HTTP connection managers of the applied listeners that
	// take it by RDS.
	rdsPrefixes atomic.Pointer[map[string][]string]
	success     map[string]*telemetry.Counter
	rejected    map[string]*telemetry.Counter
	accepted    map[string]*telemetry.FamilyCounter
	refused     map[string]*telemetry.FamilyCounter
	connects    *telemetry.FamilyCounter
}

func newADSStats(store *telemetry.Store) *adsStats {
	root := store.Root()
	updates := store.CounterFamily(xdsUpdatesFamily, "xDS responses and file changes accepted or rejected, by resource type.", "type", "result")
	s := &adsStats{
		root:           root,
		connectedState: root.Sub("control_plane").Gauge("connected_state"),
		success:        map[string]*telemetry.Counter{},
		rejected:       map[string]*telemetry.Counter{},
		accepted:       map[string]*telemetry.FamilyCounter{},
		refused:        map[string]*telemetry.FamilyCounter{},
		connects:       store.CounterFamily(xdsConnectsFamily, "ADS streams that received a first response.").With(),
	}
	for typ, sc := range map[string]*telemetry.Scope{
		xds.ListenerTypeURL: root.Sub("listener_manager").Sub("lds"),
		xds.ClusterTypeURL:  root.Sub("cluster_manager").Sub("cds"),
		xds.EndpointTypeURL: root.Sub("cluster_manager").Sub("eds"),
	} {
		s.success[typ] = sc.Counter("update_success")
		s.rejected[typ] = sc.Counter("update_rejected")
	}
	for typ, label := range xdsTypeLabels {
		s.accepted[typ] = updates.With(label, "accepted")
		s.refused[typ] = updates.With(label, "rejected")
	}
	s.connectedState.Set(0)
	return s
}

func (s *adsStats) response(r xds.Response) {
	m, f := s.success, s.accepted
	if r.Err != nil {
		m, f = s.rejected, s.refused
	}
	if c := m[r.TypeURL]; c != nil {
		c.Inc()
	}
	if c := f[r.TypeURL]; c != nil {
		c.Inc()
	}
	for _, sc := range s.resourceScopes(r) {
		if r.Err != nil {
			sc.Counter("update_rejected").Inc()
		} else {
			sc.Counter("update_success").Inc()
		}
	}
}

// resourceScopes returns the per-resource stats scopes of the resources
// r names: secrets and HTTP route configurations. Their number is
// bounded by the configuration.
func (s *adsStats) resourceScopes(r xds.Response) []*telemetry.Scope {
	var out []*telemetry.Scope
	switch r.TypeURL {
	case xds.SecretTypeURL:
		for _, n := range r.Names {
			out = append(out, s.root.Sub("sds").Sub(n))
		}
	case xds.RouteTypeURL:
		prefixes := s.rdsPrefixes.Load()
		if prefixes == nil {
			return nil
		}
		for _, n := range r.Names {
			for _, p := range (*prefixes)[n] {
				out = append(out, s.root.Sub("http").Sub(p).Sub("rds").Sub(n))
			}
		}
	}
	return out
}

// setListeners records which HTTP connection managers of ls take which
// route configurations by RDS.
func (s *adsStats) setListeners(ls []*config.Listener) {
	m := map[string][]string{}
	for _, l := range ls {
		chains := l.FilterChains
		if l.DefaultFilterChain != nil {
			chains = append(chains[:len(chains):len(chains)], l.DefaultFilterChain)
		}
		for _, fc := range chains {
			for _, f := range fc.Filters {
				if h, ok := f.(*config.HTTPConnectionManager); ok && h.RouteConfigName != "" {
					m[h.RouteConfigName] = append(m[h.RouteConfigName], h.StatPrefix)
				}
			}
		}
	}
	s.rdsPrefixes.Store(&m)
}

func (s *adsStats) connected(up bool) {
	if up {
		s.connectedState.Set(1)
		s.connects.Inc()
		return
	}
	s.connectedState.Set(0)
}
