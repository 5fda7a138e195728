package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// haproxyTCPConfig is an haproxy configuration forwarding one loopback
// frontend to the upstreams in TCP mode, with nothing that costs per
// request beyond the forwarding itself (no logging).
func haproxyTCPConfig(listen string, upstreams []string, threads int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    nbthread %d
    maxconn 4096

defaults
    mode tcp
    timeout connect 1s
    timeout client 1m
    timeout server 1m

frontend bench
    bind %s
    default_backend upstream

backend upstream
    balance roundrobin
`, threads, listen)
	for i, u := range upstreams {
		fmt.Fprintf(&b, "    server u%d %s\n", i, u)
	}
	return b.String()
}

func startHaproxyTCP(ctx context.Context, env *Env, up Upstream) (Endpoint, error) {
	if len(up.Addrs) == 0 {
		return Endpoint{}, errors.New("start haproxy: upstream has no address")
	}
	listen, err := freeLoopbackAddr()
	if err != nil {
		return Endpoint{}, err
	}
	cfg, err := env.WriteFile("haproxy.cfg", haproxyTCPConfig(listen, up.Addrs, env.Opts.HaproxyThreads))
	if err != nil {
		return Endpoint{}, err
	}
	// -db: stay in the foreground, one process (no master-worker), so the
	// pid measured is the one forwarding.
	p, err := env.Start("haproxy", []string{env.Opts.Haproxy, "-db", "-f", cfg})
	if err != nil {
		return Endpoint{}, err
	}
	if err := waitReady(ctx, p, env.Opts.ReadyTimeout, "haproxy on "+listen, dialCheck(listen)); err != nil {
		return Endpoint{}, err
	}
	return Endpoint{Addr: listen, Proc: p}, nil
}

func init() {
	RegisterTarget(Target{
		Name:    "haproxy-tcp",
		Kind:    "L4 tcp",
		Start:   startHaproxyTCP,
		Version: func(env *Env) string { return toolVersion(env.Opts.Haproxy, "-v") },
	})
}
