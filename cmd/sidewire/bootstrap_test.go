package main

import (
	"fmt"
	"net"
	"strings"
)

// endpointYAML renders lb_endpoints for addresses ("host:port" or with a
// weight as "host:port@w").
func endpointsYAML(addrs ...string) string {
	var b strings.Builder
	for _, a := range addrs {
		w := "1"
		if i := strings.IndexByte(a, '@'); i >= 0 {
			a, w = a[:i], a[i+1:]
		}
		host, port, _ := net.SplitHostPort(a)
		fmt.Fprintf(&b, `
        - endpoint: {address: {socket_address: {address: %q, port_value: %s}}}
          load_balancing_weight: %s`, host, port, w)
	}
	return b.String()
}

// clusterYAML is a STATIC cluster; extra is spliced in at cluster level.
func clusterYAML(name, policy, extra string, addrs ...string) string {
	return fmt.Sprintf(`
  - name: %s
    type: STATIC
    connect_timeout: 1s
    lb_policy: %s%s
    load_assignment:
      cluster_name: %s
      endpoints:
      - lb_endpoints:%s
`, name, policy, extra, name, endpointsYAML(addrs...))
}

// tcpListenerYAML is a listener on 127.0.0.1:0 with one tcp_proxy whose
// routing part (cluster: x, or weighted_clusters) is given.
func tcpListenerYAML(name, route string) string {
	return fmt.Sprintf(`
  - name: %s
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: %s
          %s
`, name, name, route)
}

// bootstrapYAML assembles a bootstrap with admin on an ephemeral port.
func bootstrapYAML(listeners, clusters string) string {
	return `admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  listeners:` + listeners + `
  clusters:` + clusters
}
