package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

const (
	defaultDNSRefreshRate = 5 * time.Second
	// dnsTimeout bounds one resolution.
	dnsTimeout = 10 * time.Second
)

// errNoAddresses is a resolution that succeeded without a usable address.
var errNoAddresses = errors.New("no addresses")

func (c *Cluster) refreshRate() time.Duration {
	if r := c.Config().DNSRefreshRate; r > 0 {
		return r
	}
	return defaultDNSRefreshRate
}

// resolve looks name up and applies the cluster's dns_lookup_family:
// "v4_only", "v6_only", "auto" (IPv6 if there is any, else IPv4),
// "v4_preferred" (IPv4 if there is any, else IPv6) or "all".
func (c *Cluster) resolve(ctx context.Context, name string) ([]netip.Addr, error) {
	family := c.Config().DNSLookupFamily
	network := "ip"
	switch family {
	case "v4_only":
		network = "ip4"
	case "v6_only":
		network = "ip6"
	}
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	addrs, err := c.m.resolver.LookupNetIP(ctx, network, name)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", name, err)
	}
	var v4, v6 []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() {
			if !slices.Contains(v4, a) {
				v4 = append(v4, a)
			}
		} else if !slices.Contains(v6, a) {
			v6 = append(v6, a)
		}
	}
	var out []netip.Addr
	switch family {
	case "v4_only":
		out = v4
	case "v6_only":
		out = v6
	case "v4_preferred":
		out = v4
		if len(out) == 0 {
			out = v6
		}
	case "all":
		out = append(v4, v6...)
	default: // "auto", ""
		out = v6
		if len(out) == 0 {
			out = v4
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("resolve %s: %w", name, errNoAddresses)
	}
	return out, nil
}

// runStrictDNS resolves every endpoint's hostname every refresh rate and
// makes each returned address a host. Hosts whose address persists keep
// their state; an endpoint whose resolution fails keeps its last hosts.
func (c *Cluster) runStrictDNS(ctx context.Context) {
	cfg := c.Config()
	type endpoint struct {
		loc config.LocalityEndpoints
		ep  config.Endpoint
	}
	var eps []endpoint
	for _, loc := range cfg.LoadAssignment.Localities {
		for _, ep := range loc.Endpoints {
			eps = append(eps, endpoint{loc, ep})
		}
	}
	last := make([][]netip.Addr, len(eps))
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.stats.updateAttempt.Inc()
		failed, empty := false, true
		for i, e := range eps {
			addrs, err := c.resolve(ctx, e.ep.Address.Host)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				failed = true
				c.Logger().Warn("dns resolution failed, keeping last hosts", "hostname", e.ep.Address.Host, "hosts", len(last[i]), "error", err)
				continue
			}
			last[i] = addrs
		}
		var specs []hostSpec
		for i, e := range eps {
			meta := endpointMeta(e.loc, e.ep)
			if meta.hostname == "" {
				meta.hostname = e.ep.Address.Host
			}
			for _, a := range last[i] {
				t := newTarget(netip.AddrPortFrom(a, uint16(e.ep.Address.Port)))
				specs = append(specs, hostSpec{key: strconv.Itoa(i) + "/" + t.str, target: t, meta: meta})
				empty = false
			}
		}
		changed := c.setHosts(specs)
		switch {
		case failed:
			c.stats.updateFailure.Inc()
		default:
			c.stats.updateSuccess.Inc()
			if empty {
				c.stats.updateEmpty.Inc()
			}
			if !changed {
				c.stats.updateNoRebuild.Inc()
			}
		}
		c.warm.membershipKnown()
		t.Reset(c.refreshRate())
	}
}

// runLogicalDNS keeps one host for the cluster's single endpoint,
// connecting to the first address its name resolves to; the address is
// refreshed at most every refresh rate. The host keeps its state across
// address changes.
func (c *Cluster) runLogicalDNS(ctx context.Context) {
	cfg := c.Config()
	loc := cfg.LoadAssignment.Localities[0]
	for _, l := range cfg.LoadAssignment.Localities {
		if len(l.Endpoints) > 0 {
			loc = l
		}
	}
	ep := loc.Endpoints[0]
	meta := endpointMeta(loc, ep)
	if meta.hostname == "" {
		meta.hostname = ep.Address.Host
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.stats.updateAttempt.Inc()
		addrs, err := c.resolve(ctx, ep.Address.Host)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.stats.updateFailure.Inc()
			c.Logger().Warn("dns resolution failed, keeping last address", "hostname", ep.Address.Host, "error", err)
		} else {
			target := newTarget(netip.AddrPortFrom(addrs[0], uint16(ep.Address.Port)))
			if prev := c.logicalTarget(); prev != nil && prev.ap != target.ap {
				c.Logger().Info("logical dns host changed address", "hostname", ep.Address.Host, "from", prev.str, "to", target.str)
			}
			if !c.setHosts([]hostSpec{{key: "logical", target: target, meta: meta}}) {
				c.stats.updateNoRebuild.Inc()
			}
			c.stats.updateSuccess.Inc()
		}
		c.warm.membershipKnown()
		t.Reset(c.refreshRate())
	}
}

func (c *Cluster) logicalTarget() *hostTarget {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range c.hosts {
		if h.key == "logical" {
			return h.target.Load()
		}
	}
	return nil
}
