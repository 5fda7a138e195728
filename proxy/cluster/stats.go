package cluster

import (
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// clusterStats are a cluster's Envoy stats, under
// cluster.<name>.* (envoy_cluster_*{envoy_cluster_name="<name>"}). A new
// version of a cluster gets the same stat objects back from the store.
// As in Envoy, the health_check.* and outlier_detection.* stats exist
// only for a cluster configured with health checks or outlier detection
// (hc and od are nil otherwise): with many clusters they would be most
// of the stats.
//
// The traffic stats (upstream_cx_*, upstream_rq_*: Envoy's
// ClusterTrafficStats) are created with the others unless the manager
// defers them (Envoy's deferred_stat_options.enable_deferred_creation_stats):
// then they are created when the cluster first carries traffic, and a
// cluster that never does has none.
type clusterStats struct {
	lbHealthyPanic                                           *telemetry.Counter
	updateAttempt, updateSuccess, updateFailure, updateEmpty *telemetry.Counter
	updateNoRebuild, membershipChange                        *telemetry.Counter

	membershipHealthy, membershipTotal, membershipDegraded *telemetry.Gauge
	membershipExcluded, maxHostWeight                      *telemetry.Gauge
	cbCxOpen, cbRqPendingOpen, cbRqOpen, cbRqRetryOpen     *telemetry.Gauge

	hc *hcStats
	od *odStats

	traffic atomic.Pointer[trafficStats]
	// root and name make the traffic stats at first use; root is nil
	// when they were made at once.
	root *telemetry.Scope
	name string
}

type hcStats struct {
	attempt, success, failure, networkFailure, passiveFailure *telemetry.Counter
	healthy                                                   *telemetry.Gauge
}

type odStats struct {
	ejectionsActive                                           *telemetry.Gauge
	ejectionsTotal, ejectionsEnforcedTotal, ejectionsOverflow *telemetry.Counter
	// Indexed by failure kind (kind5xx, kindLocalOrigin).
	detected, enforced [2]*telemetry.Counter
	// consecutive5xx is Envoy's deprecated ejections_consecutive_5xx
	// (detections, enforced or not).
	consecutive5xx *telemetry.Counter
}

// trafficStats are the stats a cluster updates on the data path.
type trafficStats struct {
	cxTotal, cxConnectFail, cxConnectTimeout, cxNoneHealthy, cxDestroy *telemetry.Counter
	cxOverflow, rqPendingOverflow, rqRetryOverflow                     *telemetry.Counter
	cxRxBytes, cxTxBytes, rqTotal                                      *telemetry.Counter
	cxActive, rqActive                                                 *telemetry.Gauge
	cxConnectMs, cxLengthMs                                            *telemetry.Histogram
}

func clusterScope(root *telemetry.Scope, name string) *telemetry.Scope {
	return root.Sub("cluster").Tagged("envoy_cluster_name", name)
}

// newClusterStats returns the stats of the cluster cfg configures; with
// deferTraffic its traffic stats wait for their first use.
func newClusterStats(root *telemetry.Scope, cfg *config.Cluster, deferTraffic bool) *clusterStats {
	s := clusterScope(root, cfg.Name)
	cb := s.Sub("circuit_breakers").Sub("default")
	cs := &clusterStats{
		lbHealthyPanic:   s.Counter("lb_healthy_panic"),
		updateAttempt:    s.Counter("update_attempt"),
		updateSuccess:    s.Counter("update_success"),
		updateFailure:    s.Counter("update_failure"),
		updateEmpty:      s.Counter("update_empty"),
		updateNoRebuild:  s.Counter("update_no_rebuild"),
		membershipChange: s.Counter("membership_change"),

		membershipHealthy:  s.Gauge("membership_healthy"),
		membershipTotal:    s.Gauge("membership_total"),
		membershipDegraded: s.Gauge("membership_degraded"),
		membershipExcluded: s.Gauge("membership_excluded"),
		maxHostWeight:      s.Gauge("max_host_weight"),
		cbCxOpen:           cb.Gauge("cx_open"),
		cbRqPendingOpen:    cb.Gauge("rq_pending_open"),
		cbRqOpen:           cb.Gauge("rq_open"),
		cbRqRetryOpen:      cb.Gauge("rq_retry_open"),
	}
	if len(cfg.HealthChecks) > 0 {
		cs.hc = newHCStats(s.Sub("health_check"))
	}
	if cfg.OutlierDetection != nil {
		cs.od = newODStats(s.Sub("outlier_detection"))
	}
	if deferTraffic {
		cs.root, cs.name = root, cfg.Name
	} else {
		cs.traffic.Store(newTrafficStats(s))
	}
	return cs
}

// tr returns the traffic stats, creating them at the first call when
// they were deferred. After that it is one atomic load.
func (s *clusterStats) tr() *trafficStats {
	if t := s.traffic.Load(); t != nil {
		return t
	}
	// Racing first users build the same stats (the store returns one
	// object per name); one pointer wins.
	s.traffic.CompareAndSwap(nil, newTrafficStats(clusterScope(s.root, s.name)))
	return s.traffic.Load()
}

func newTrafficStats(s *telemetry.Scope) *trafficStats {
	return &trafficStats{
		cxTotal:           s.Counter("upstream_cx_total"),
		cxConnectFail:     s.Counter("upstream_cx_connect_fail"),
		cxConnectTimeout:  s.Counter("upstream_cx_connect_timeout"),
		cxNoneHealthy:     s.Counter("upstream_cx_none_healthy"),
		cxDestroy:         s.Counter("upstream_cx_destroy"),
		cxOverflow:        s.Counter("upstream_cx_overflow"),
		rqPendingOverflow: s.Counter("upstream_rq_pending_overflow"),
		rqRetryOverflow:   s.Counter("upstream_rq_retry_overflow"),
		cxRxBytes:         s.Counter("upstream_cx_rx_bytes_total"),
		cxTxBytes:         s.Counter("upstream_cx_tx_bytes_total"),
		rqTotal:           s.Counter("upstream_rq_total"),
		cxActive:          s.Gauge("upstream_cx_active"),
		rqActive:          s.Gauge("upstream_rq_active"),
		cxConnectMs:       s.Histogram("upstream_cx_connect_ms", telemetry.Milliseconds),
		cxLengthMs:        s.Histogram("upstream_cx_length_ms", telemetry.Milliseconds),
	}
}

// zeroDropped resets the gauges of the health check and outlier
// detection stats prev had and s has not (a cluster modified to go
// without them), whose stats outlive it in the store.
func (s *clusterStats) zeroDropped(prev *clusterStats) {
	if prev.hc != nil && s.hc == nil {
		prev.hc.healthy.Set(0)
	}
	if prev.od != nil && s.od == nil {
		prev.od.ejectionsActive.Set(0)
	}
}

func newHCStats(hc *telemetry.Scope) *hcStats {
	return &hcStats{
		attempt:        hc.Counter("attempt"),
		success:        hc.Counter("success"),
		failure:        hc.Counter("failure"),
		networkFailure: hc.Counter("network_failure"),
		passiveFailure: hc.Counter("passive_failure"),
		healthy:        hc.Gauge("healthy"),
	}
}

func newODStats(od *telemetry.Scope) *odStats {
	return &odStats{
		ejectionsActive:        od.Gauge("ejections_active"),
		ejectionsTotal:         od.Counter("ejections_total"),
		ejectionsEnforcedTotal: od.Counter("ejections_enforced_total"),
		ejectionsOverflow:      od.Counter("ejections_overflow"),
		detected: [2]*telemetry.Counter{
			od.Counter("ejections_detected_consecutive_5xx"),
			od.Counter("ejections_detected_consecutive_local_origin_failure"),
		},
		consecutive5xx: od.Counter("ejections_consecutive_5xx"),
		enforced: [2]*telemetry.Counter{
			od.Counter("ejections_enforced_consecutive_5xx"),
			od.Counter("ejections_enforced_consecutive_local_origin_failure"),
		},
	}
}

// managerStats are cluster_manager.*.
type managerStats struct {
	activeClusters                                *telemetry.Gauge
	clusterAdded, clusterModified, clusterRemoved *telemetry.Counter
}

func newManagerStats(root *telemetry.Scope) *managerStats {
	s := root.Sub("cluster_manager")
	return &managerStats{
		activeClusters:  s.Gauge("active_clusters"),
		clusterAdded:    s.Counter("cluster_added"),
		clusterModified: s.Counter("cluster_modified"),
		clusterRemoved:  s.Counter("cluster_removed"),
	}
}
