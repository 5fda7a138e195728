package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sidewire/sidewire/interop/internal/harness"
)

// target is one way of reaching the provider: directly, or through a
// proxy process whose CPU and memory are sampled.
type target struct {
	name, kind string
	addr       string
	pid        int // 0 for direct
	stop       func()
}

// proxyTargets are the proxies dubboload knows, in report order.
var proxyTargets = []string{"sidewire", "sidewire-tcp", "haproxy-tcp"}

// startTargets starts the proxies named in list (comma separated) in
// front of the provider at addr. direct always comes first.
func startTargets(f flags, dir, sidewire, addr, list string) ([]target, error) {
	ts := []target{{name: "direct", kind: "no proxy", addr: addr, stop: func() {}}}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		t, err := startTarget(f, dir, sidewire, addr, name)
		if err != nil {
			stopTargets(ts)
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func stopTargets(ts []target) {
	for _, t := range ts {
		t.stop()
	}
}

func startTarget(f flags, dir, sidewire, addr, name string) (target, error) {
	switch name {
	case "sidewire":
		return startSidewire(dir, sidewire, name, "L7 dubbo_proxy", dubboBootstrap(addr, f.upstreamConns))
	case "sidewire-tcp":
		return startSidewire(dir, sidewire, name, "L4 tcp_proxy", tcpBootstrap(addr))
	case "haproxy-tcp":
		return startHAProxy(dir, f.haproxy, f.haproxyThreads, addr)
	}
	return target{}, fmt.Errorf("start target: unknown target %q (known: %s)", name, strings.Join(proxyTargets, ", "))
}

func startSidewire(dir, bin, name, kind, bootstrap string) (target, error) {
	s, err := harness.StartSidewire(bin, dir, bootstrap)
	if err != nil {
		return target{}, err
	}
	via, err := s.Listener("load")
	if err != nil {
		s.Kill()
		return target{}, err
	}
	return target{name: name, kind: kind, addr: via, pid: s.PID(), stop: func() { _ = s.Stop(10 * time.Second) }}, nil
}

// startHAProxy runs haproxy in TCP mode with threads threads, as the load
// harness of the main module configures it for Redis: the established L4
// proxy, for scale.
func startHAProxy(dir, bin string, threads int, addr string) (target, error) {
	if _, err := os.Stat(bin); err != nil {
		return target{}, fmt.Errorf("start haproxy-tcp: %w (install it with `apt-get install -y haproxy`, or leave it out with -targets)", err)
	}
	port, err := harness.FreePort()
	if err != nil {
		return target{}, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := filepath.Join(dir, "haproxy.cfg")
	conf := fmt.Sprintf(`global
  nbthread %d
defaults
  mode tcp
  timeout connect 1s
  timeout client 1m
  timeout server 1m
frontend load
  bind %s
  default_backend provider
backend provider
  server p1 %s
`, threads, listen, addr)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return target{}, fmt.Errorf("write haproxy config: %w", err)
	}
	p, err := harness.Start("haproxy", bin, "-db", "-f", cfg)
	if err != nil {
		return target{}, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", listen, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			p.Kill()
			return target{}, fmt.Errorf("start haproxy-tcp: not listening on %s within 10s: %w\n%s", listen, err, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return target{name: "haproxy-tcp", kind: "L4 haproxy", addr: listen, pid: p.PID(), stop: p.Kill}, nil
}

const adminAndListener = `admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  listeners:
  - name: load
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
`

// providerCluster is the cluster both Sidewire bootstraps send to: the
// provider at addr.
func providerCluster(addr string) string {
	host, port, _ := harness.HostPort(addr)
	return fmt.Sprintf(`  clusters:
  - name: greeter
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: greeter
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: %s, port_value: %d}}}
`, host, port)
}

// dubboBootstrap is one dubbo_proxy listener routing every Greeter call
// to the provider at addr over conns shared connections.
func dubboBootstrap(addr string, conns int) string {
	return adminAndListener + fmt.Sprintf(`      - name: envoy.filters.network.dubbo_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
          stat_prefix: load
          route_config:
          - interface: org.sidewire.interop.Greeter
            routes:
            - match: {method: {name: {safe_regex: {regex: ".*"}}}}
              route: {cluster: greeter}
          dubbo_filters:
          - name: envoy.filters.dubbo.router
            config:
              "@type": type.googleapis.com/xds.type.v3.TypedStruct
              type_url: sidewire.io/sidewire.filters.dubbo.v1.Router
              value: {upstream_connections: %d}
`, conns) + providerCluster(addr)
}

// tcpBootstrap is one tcp_proxy listener in front of the provider: the
// L4 floor of the same machine and process model.
func tcpBootstrap(addr string) string {
	return adminAndListener + `      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: load
          cluster: greeter
` + providerCluster(addr)
}
