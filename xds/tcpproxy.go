package xds

import (
	"time"

	connlimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/connection_limit/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// Envoy's tcp_proxy defaults.
const (
	defaultTCPIdleTimeout     = time.Hour
	defaultMaxConnectAttempts = 1
)

// tcpProxy translates envoy.filters.network.tcp_proxy. path is the
// filter's typed_config.
func (t *translator) tcpProxy(path string, m *tcpproxyv3.TcpProxy) *config.TCPProxy {
	out := &config.TCPProxy{
		StatPrefix:         m.GetStatPrefix(),
		Cluster:            m.GetCluster(),
		IdleTimeout:        t.duration(field(path, "idle_timeout"), m.GetIdleTimeout(), defaultTCPIdleTimeout),
		MaxConnectAttempts: uint32Or(m.GetMaxConnectAttempts(), defaultMaxConnectAttempts),
	}
	switch spec := m.GetClusterSpecifier().(type) {
	case *tcpproxyv3.TcpProxy_Cluster:
		if spec.Cluster == "" {
			t.errs.add(field(path, "cluster"), "is empty")
		}
	case *tcpproxyv3.TcpProxy_WeightedClusters:
		for _, cw := range spec.WeightedClusters.GetClusters() {
			out.WeightedClusters = append(out.WeightedClusters, config.WeightedCluster{Name: cw.GetName(), Weight: cw.GetWeight()})
		}
	}
	for range m.GetHashPolicy() {
		// source_ip is the only policy the allow-list lets through.
		out.HashSourceIP = true
	}
	out.AccessLogs = t.accessLogs(field(path, "access_log"), m.GetAccessLog())
	return out
}

// connectionLimit translates envoy.filters.network.connection_limit.
func (t *translator) connectionLimit(path string, m *connlimitv3.ConnectionLimit) *config.ConnectionLimit {
	if m.GetMaxConnections() == nil {
		t.errs.add(field(path, "max_connections"), "is required")
	}
	return &config.ConnectionLimit{
		StatPrefix:     m.GetStatPrefix(),
		MaxConnections: m.GetMaxConnections().GetValue(),
		Delay:          t.duration(field(path, "delay"), m.GetDelay(), 0),
	}
}
