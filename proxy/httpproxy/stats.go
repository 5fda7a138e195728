package httpproxy

import (
	"sync"
	"sync/atomic"

	"github.com/sidewire/sidewire/telemetry"
)

// stats are Envoy's http.<stat_prefix>.* stats, the prefix tagged
// envoy_http_conn_manager_prefix as Envoy's tag extraction does.
type stats struct {
	cxTotal, cxHTTP1, cxHTTP2, cxDestroy, cxDrainClose *telemetry.Counter
	cxActive, rqActive                                 *telemetry.Gauge

	rqTotal, rqHTTP1, rqHTTP2, rqCompleted *telemetry.Counter
	rqClass                                [6]*telemetry.Counter // [1..5]: downstream_rq_<N>xx
	rqTime                                 *telemetry.Histogram
	rqTimeout, rqIdleTimeout               *telemetry.Counter
	rqRxReset, rqTxReset                   *telemetry.Counter
	noRoute, noCluster                     *telemetry.Counter
	directResponse, redirect               *telemetry.Counter
	mirrored, mirrorDropped                *telemetry.Counter

	root     *telemetry.Scope
	clusters sync.Map // cluster name -> *clusterStats
}

func newStats(root *telemetry.Scope, prefix string) *stats {
	s := root.Sub("http").Tagged("envoy_http_conn_manager_prefix", prefix)
	st := &stats{
		cxTotal:        s.Counter("downstream_cx_total"),
		cxHTTP1:        s.Counter("downstream_cx_http1_total"),
		cxHTTP2:        s.Counter("downstream_cx_http2_total"),
		cxDestroy:      s.Counter("downstream_cx_destroy"),
		cxDrainClose:   s.Counter("downstream_cx_drain_close"),
		cxActive:       s.Gauge("downstream_cx_active"),
		rqActive:       s.Gauge("downstream_rq_active"),
		rqTotal:        s.Counter("downstream_rq_total"),
		rqHTTP1:        s.Counter("downstream_rq_http1_total"),
		rqHTTP2:        s.Counter("downstream_rq_http2_total"),
		rqCompleted:    s.Counter("downstream_rq_completed"),
		rqTime:         s.Histogram("downstream_rq_time", telemetry.Milliseconds),
		rqTimeout:      s.Counter("downstream_rq_timeout"),
		rqIdleTimeout:  s.Counter("downstream_rq_idle_timeout"),
		rqRxReset:      s.Counter("downstream_rq_rx_reset"),
		rqTxReset:      s.Counter("downstream_rq_tx_reset"),
		noRoute:        s.Counter("no_route"),
		noCluster:      s.Counter("no_cluster"),
		directResponse: s.Counter("rq_direct_response"),
		redirect:       s.Counter("rq_redirect"),
		mirrored:       s.Counter("mirror.requests"),
		mirrorDropped:  s.Counter("mirror.dropped"),
		root:           root,
	}
	st.rqClass = [6]*telemetry.Counter{nil,
		s.Counter("downstream_rq_1xx"), s.Counter("downstream_rq_2xx"), s.Counter("downstream_rq_3xx"),
		s.Counter("downstream_rq_4xx"), s.Counter("downstream_rq_5xx")}
	return st
}

// statusClass returns 1..5 for a status code, 0 outside [100, 600).
func statusClass(code int) int {
	if code < 100 || code >= 600 {
		return 0
	}
	return code / 100
}

// clusterStats are the cluster.<name>.upstream_rq_* stats the router
// keeps (upstream_rq_total and upstream_rq_active are the cluster's own,
// counted by Host.RequestStarted; the overflow counters by its Breaker).
type clusterStats struct {
	scope                                   *telemetry.Scope
	completed, timeout, perTryTimeout       *telemetry.Counter
	retry, retrySuccess, retryLimitExceeded *telemetry.Counter
	rxReset, txReset                        *telemetry.Counter
	class                                   [6]*telemetry.Counter
	time                                    *telemetry.Histogram
	// codes are upstream_rq_<code>, made on first use.
	codes [500]atomic.Pointer[telemetry.Counter]
}

// cluster returns the stats of a cluster, making them on first use. Only
// names of clusters that exist reach it, so they are bounded.
func (s *stats) cluster(name string) *clusterStats {
	if cs, ok := s.clusters.Load(name); ok {
		return cs.(*clusterStats)
	}
	sc := s.root.Sub("cluster").Tagged("envoy_cluster_name", name)
	cs := &clusterStats{
		scope:              sc,
		completed:          sc.Counter("upstream_rq_completed"),
		timeout:            sc.Counter("upstream_rq_timeout"),
		perTryTimeout:      sc.Counter("upstream_rq_per_try_timeout"),
		retry:              sc.Counter("upstream_rq_retry"),
		retrySuccess:       sc.Counter("upstream_rq_retry_success"),
		retryLimitExceeded: sc.Counter("upstream_rq_retry_limit_exceeded"),
		rxReset:            sc.Counter("upstream_rq_rx_reset"),
		txReset:            sc.Counter("upstream_rq_tx_reset"),
		time:               sc.Histogram("upstream_rq_time", telemetry.Milliseconds),
	}
	cs.class = [6]*telemetry.Counter{nil,
		sc.Counter("upstream_rq_1xx"), sc.Counter("upstream_rq_2xx"), sc.Counter("upstream_rq_3xx"),
		sc.Counter("upstream_rq_4xx"), sc.Counter("upstream_rq_5xx")}
	v, _ := s.clusters.LoadOrStore(name, cs)
	return v.(*clusterStats)
}

// code counts a response status of the cluster: upstream_rq_<code> and
// upstream_rq_<N>xx.
func (cs *clusterStats) code(code int) {
	c := statusClass(code)
	if c == 0 {
		return
	}
	cs.class[c].Inc()
	p := &cs.codes[code-100]
	ctr := p.Load()
	if ctr == nil {
		p.CompareAndSwap(nil, cs.scope.Counter("upstream_rq_"+statusString(code)))
		ctr = p.Load()
	}
	ctr.Inc()
}
