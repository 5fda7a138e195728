package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// twemproxyConfig is a nutcracker pool in Redis mode over the upstreams.
// twemproxy parses every command (RESP2 only: it drops connections that
// send HELLO 3) and pipelines all clients over server_connections (1)
// connection per server, so it is an L7 baseline, not a TCP proxy.
func twemproxyConfig(listen string, upstreams []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `bench:
  listen: %s
  redis: true
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: false
  preconnect: true
  timeout: 5000
  servers:
`, listen)
	for _, u := range upstreams {
		fmt.Fprintf(&b, "    - %s:1\n", u)
	}
	return b.String()
}

func startTwemproxy(ctx context.Context, env *Env, up Upstream) (Endpoint, error) {
	if up.Protocol != "redis" {
		return Endpoint{}, fmt.Errorf("start twemproxy: upstream protocol %q: %w", up.Protocol, errWrongProtocol)
	}
	if len(up.Addrs) == 0 {
		return Endpoint{}, errors.New("start twemproxy: upstream has no address")
	}
	listen, err := freeLoopbackAddr()
	if err != nil {
		return Endpoint{}, err
	}
	stats, err := freeLoopbackAddr()
	if err != nil {
		return Endpoint{}, err
	}
	statsPort, err := splitPort(stats)
	if err != nil {
		return Endpoint{}, err
	}
	cfg, err := env.WriteFile("twemproxy.yml", twemproxyConfig(listen, up.Addrs))
	if err != nil {
		return Endpoint{}, err
	}
	// The stats listener defaults to 0.0.0.0:22222; move it to a free
	// loopback port so that runs never collide or leave loopback.
	p, err := env.Start("twemproxy", []string{env.Opts.Nutcracker, "-c", cfg, "-a", "127.0.0.1", "-s", statsPort})
	if err != nil {
		return Endpoint{}, err
	}
	if err := waitReady(ctx, p, env.Opts.ReadyTimeout, "twemproxy on "+listen, dialCheck(listen)); err != nil {
		return Endpoint{}, err
	}
	return Endpoint{Addr: listen, Proc: p}, nil
}

var errWrongProtocol = errors.New("not supported by this target")

func init() {
	RegisterTarget(Target{
		Name:    "twemproxy",
		Kind:    "L7 redis (RESP2)",
		Start:   startTwemproxy,
		Version: func(env *Env) string { return toolVersion(env.Opts.Nutcracker, "--version") },
	})
}
