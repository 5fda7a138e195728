package rediscluster

import "github.com/sidewire/sidewire/telemetry"

// Stats are Envoy's cluster.<name>.redis_cluster.* counters, which the
// redis_proxy counts for the cluster's connections.
type Stats struct {
	// MaxUpstreamUnknownConnectionsReached counts redirections to a node
	// the topology does not know that were refused because the
	// redis_proxy's max_upstream_unknown_connections was reached.
	MaxUpstreamUnknownConnectionsReached *telemetry.Counter
	// UpstreamCxDrained counts upstream connections closed once their
	// pending requests were answered (their node left the topology).
	UpstreamCxDrained *telemetry.Counter
}

func newStats(s *telemetry.Scope) *Stats {
	rc := s.Sub("redis_cluster")
	return &Stats{
		MaxUpstreamUnknownConnectionsReached: rc.Counter("max_upstream_unknown_connections_reached"),
		UpstreamCxDrained:                    rc.Counter("upstream_cx_drained"),
	}
}
