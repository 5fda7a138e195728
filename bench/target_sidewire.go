package bench

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
)

// Network filters, indented to sit in a listener's filter list. The
// upstream cluster is always called "upstream".
const (
	tcpProxyFilter = `      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: bench
          cluster: upstream
`
	redisProxyFilter = `      - name: envoy.filters.network.redis_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy
          stat_prefix: bench
          settings: {op_timeout: 5s}
          prefix_routes:
            catch_all_route: {cluster: upstream}
`
)

// sidewireTCPBootstrap is an Envoy v3 bootstrap with one tcp_proxy listener
// on listen forwarding to a STATIC cluster of the upstreams, and the admin
// server (which answers /ready) on admin.
func sidewireTCPBootstrap(listen, admin string, upstreams []string) (string, error) {
	return sidewireBootstrapWith(tcpProxyFilter, listen, admin, upstreams)
}

// sidewireRedisBootstrap is the same with a redis_proxy listener routing
// every key to the upstream cluster.
func sidewireRedisBootstrap(listen, admin string, upstreams []string) (string, error) {
	return sidewireBootstrapWith(redisProxyFilter, listen, admin, upstreams)
}

// sidewireBootstrapWith is a bootstrap whose one listener runs filter.
func sidewireBootstrapWith(filter, listen, admin string, upstreams []string) (string, error) {
	lhost, lport, err := splitHostPort(listen)
	if err != nil {
		return "", err
	}
	ahost, aport, err := splitHostPort(admin)
	if err != nil {
		return "", err
	}
	var eps strings.Builder
	for _, u := range upstreams {
		h, p, err := splitHostPort(u)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&eps, "        - endpoint: {address: {socket_address: {address: %s, port_value: %s}}}\n", h, p)
	}
	return fmt.Sprintf(`admin:
  address: {socket_address: {address: %s, port_value: %s}}
static_resources:
  listeners:
  - name: bench
    address: {socket_address: {address: %s, port_value: %s}}
    filter_chains:
    - filters:
%s  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
%s`, ahost, aport, lhost, lport, filter, eps.String()), nil
}

// sidewireBootstrap builds a bootstrap from the listen address, admin
// address and upstream addresses. Later Sidewire targets (redis_proxy,
// dubbo_proxy, ...) are further bootstraps started by startSidewire.
type sidewireBootstrap func(listen, admin string, upstreams []string) (string, error)

// startSidewire returns a Target.Start that runs `sidewire run -c FILE`
// with the bootstrap gen builds, ready once /ready answers 200 and the
// listener accepts. cores, when not 0, pins --concurrency for this target
// (-1: every core), whatever -sidewire-concurrency says.
func startSidewire(name string, gen sidewireBootstrap, cores int) func(context.Context, *Env, Upstream) (Endpoint, error) {
	return func(ctx context.Context, env *Env, up Upstream) (Endpoint, error) {
		if env.Opts.Sidewire == "" {
			return Endpoint{}, fmt.Errorf("start %s: no -sidewire binary given: %w", name, ErrSkipped)
		}
		if len(up.Addrs) == 0 {
			return Endpoint{}, fmt.Errorf("start %s: upstream has no address", name)
		}
		listen, err := freeLoopbackAddr()
		if err != nil {
			return Endpoint{}, err
		}
		admin, err := freeLoopbackAddr()
		if err != nil {
			return Endpoint{}, err
		}
		boot, err := gen(listen, admin, up.Addrs)
		if err != nil {
			return Endpoint{}, fmt.Errorf("start %s: %w", name, err)
		}
		cfg, err := env.WriteFile(name+".yaml", boot)
		if err != nil {
			return Endpoint{}, err
		}
		// Like the baselines, no per-connection logging; a short drain so
		// that Stop does not wait out the default 20s.
		args := []string{env.Opts.Sidewire, "run", "-c", cfg, "--log-level", "warn", "--drain-time", "1s"}
		n := env.Opts.SidewireConcurrency
		switch {
		case cores > 0:
			n = cores
		case cores < 0:
			n = runtime.NumCPU()
		}
		if n > 0 {
			args = append(args, "--concurrency", strconv.Itoa(n))
		}
		p, err := env.Start(name, args)
		if err != nil {
			return Endpoint{}, err
		}
		ready := allChecks(httpOKCheck("http://"+admin+"/ready"), dialCheck(listen))
		if err := waitReady(ctx, p, env.Opts.ReadyTimeout, name+" on "+listen, ready); err != nil {
			return Endpoint{}, err
		}
		return Endpoint{Addr: listen, Proc: p}, nil
	}
}

// splitHostPort is net.SplitHostPort with the address in its error.
func splitHostPort(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("split address %q: %w", addr, err)
	}
	return host, port, nil
}

func sidewireVersion(env *Env) string {
	if env.Opts.Sidewire == "" {
		return "sidewire: not given"
	}
	return toolVersion(env.Opts.Sidewire, "version")
}

func init() {
	RegisterTarget(Target{
		Name:    "sidewire-tcp",
		Kind:    "L4 tcp_proxy",
		Start:   startSidewire("sidewire-tcp", sidewireTCPBootstrap, 0),
		Version: sidewireVersion,
	})
	RegisterTarget(Target{
		Name:    "sidewire-redis",
		Kind:    "L7 redis_proxy",
		Start:   startSidewire("sidewire-redis", sidewireRedisBootstrap, 0),
		Version: sidewireVersion,
	})
	// The same pinned to one core and to every core, for the
	// redis-concurrency scenario's comparison with the default.
	RegisterTarget(Target{
		Name:    "sidewire-redis-1core",
		Kind:    "L7 redis_proxy --concurrency 1",
		Start:   startSidewire("sidewire-redis-1core", sidewireRedisBootstrap, 1),
		Version: sidewireVersion,
	})
	RegisterTarget(Target{
		Name:    "sidewire-redis-allcores",
		Kind:    "L7 redis_proxy --concurrency NumCPU",
		Start:   startSidewire("sidewire-redis-allcores", sidewireRedisBootstrap, -1),
		Version: sidewireVersion,
	})
}
