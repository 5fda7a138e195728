package redisproxy

import (
	"sync"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/telemetry"
)

// clusterStats are Envoy's per-command cluster stats, kept when
// settings.enable_command_stats is set:
// cluster.<name>.upstream_commands.<command>.{total,success,failure,latency},
// tagged envoy_cluster_name and envoy_redis_command. A command counts
// once per upstream request: a fan-out command once per shard. Commands
// the proxy answers itself have none. nil when disabled.
type clusterStats struct {
	root *telemetry.Scope
	unit telemetry.Unit
	m    sync.Map // clusterCmd -> *upstreamCmdStats
}

type clusterCmd struct {
	cluster string
	cmd     uint32
}

type upstreamCmdStats struct {
	total, success, failure *telemetry.Counter
	latency                 *telemetry.Histogram
}

// upstreamRqTime is Envoy's cluster.<name>.upstream_commands.upstream_rq_time,
// in microseconds: the time of every upstream request to cl, whether or
// not enable_command_stats is set, as Envoy keeps it.
func upstreamRqTime(root *telemetry.Scope, cl *cluster.Cluster) *telemetry.Histogram {
	if root == nil || cl == nil {
		return nil
	}
	return root.Sub("cluster").Tagged("envoy_cluster_name", cl.Name()).
		Sub("upstream_commands").Histogram("upstream_rq_time", telemetry.Microseconds)
}

// observeRqTime records d in h, a nil h (no stats) aside.
func observeRqTime(h *telemetry.Histogram, d time.Duration) {
	if h != nil {
		h.Record(uint64(d.Microseconds()))
	}
}

func newClusterStats(root *telemetry.Scope, unit telemetry.Unit) *clusterStats {
	return &clusterStats{root: root, unit: unit}
}

// record counts one upstream request of command index i (info its
// entry) on cl.
func (cs *clusterStats) record(cl *cluster.Cluster, i uint32, info *cmdInfo, status codecs.Status, d time.Duration) {
	if cs == nil || cl == nil || info == nil {
		return
	}
	k := clusterCmd{cl.Name(), i}
	v, ok := cs.m.Load(k)
	if !ok {
		s := cs.root.Sub("cluster").Tagged("envoy_cluster_name", cl.Name()).
			Sub("upstream_commands").Tagged("envoy_redis_command", info.name)
		v, _ = cs.m.LoadOrStore(k, &upstreamCmdStats{
			total:   s.Counter("total"),
			success: s.Counter("success"),
			failure: s.Counter("failure"),
			latency: s.Histogram("latency", cs.unit),
		})
	}
	u := v.(*upstreamCmdStats)
	u.total.Inc()
	if status == codecs.StatusOK {
		u.success.Inc()
	} else {
		u.failure.Inc()
	}
	if cs.unit == telemetry.Microseconds {
		u.latency.Record(uint64(d.Microseconds()))
	} else {
		u.latency.Record(uint64(d.Milliseconds()))
	}
}
