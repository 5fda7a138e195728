package tcpproxy

import "github.com/sidewire/sidewire/telemetry"

// stats are Envoy's tcp.<stat_prefix>.* stats.
type stats struct {
	root             *telemetry.Scope
	cxTotal, noRoute *telemetry.Counter
	rxBytes, txBytes *telemetry.Counter
	idleTimeout      *telemetry.Counter
}

func newStats(root *telemetry.Scope, prefix string) *stats {
	s := root.Sub("tcp").Tagged("envoy_tcp_prefix", prefix)
	return &stats{
		root:        root,
		cxTotal:     s.Counter("downstream_cx_total"),
		noRoute:     s.Counter("downstream_cx_no_route"),
		rxBytes:     s.Counter("downstream_cx_rx_bytes_total"),
		txBytes:     s.Counter("downstream_cx_tx_bytes_total"),
		idleTimeout: s.Counter("idle_timeout"),
	}
}

// connectAttemptsExceeded is a cluster stat Envoy's tcp_proxy bumps.
func (s *stats) connectAttemptsExceeded(cluster string) *telemetry.Counter {
	return s.root.Sub("cluster").Tagged("envoy_cluster_name", cluster).Counter("upstream_cx_connect_attempts_exceeded")
}
