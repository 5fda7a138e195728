package main

import (
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
}

// adsStats are Envoy's xDS stats (control_plane.connected_state and the
// update_success / update_rejected counters of LDS, CDS and EDS) and
// sidewire_xds_updates_total{type,result} for every type, SDS and Dubbo
// RDS included, with sidewire_xds_stream_connects_total.
type adsStats struct {
	connectedState *telemetry.Gauge
	success        map[string]*telemetry.Counter
	rejected       map[string]*telemetry.Counter
	accepted       map[string]*telemetry.FamilyCounter
	refused        map[string]*telemetry.FamilyCounter
	connects       *telemetry.FamilyCounter
}

func newADSStats(store *telemetry.Store) *adsStats {
	root := store.Root()
	updates := store.CounterFamily(xdsUpdatesFamily, "xDS responses and file changes accepted or rejected, by resource type.", "type", "result")
	s := &adsStats{
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

func (s *adsStats) response(typ string, err error) {
	m, f := s.success, s.accepted
	if err != nil {
		m, f = s.rejected, s.refused
	}
	if c := m[typ]; c != nil {
		c.Inc()
	}
	if c := f[typ]; c != nil {
		c.Inc()
	}
}

func (s *adsStats) connected(up bool) {
	if up {
		s.connectedState.Set(1)
		s.connects.Inc()
		return
	}
	s.connectedState.Set(0)
}
