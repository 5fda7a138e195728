package cluster

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/lb"
)

// validate checks what the cluster runtime needs of a config; errors wrap
// ErrInvalidConfig and name the cluster.
func validate(c *config.Cluster) error {
	if c == nil {
		return fmt.Errorf("%w: nil cluster", ErrInvalidConfig)
	}
	if c.Name == "" {
		return fmt.Errorf("%w: cluster name is empty", ErrInvalidConfig)
	}
	if (c.LBPolicy == config.ClusterProvided) != (c.Type == config.RedisClusterType) {
		return invalid(c.Name, "lb_policy CLUSTER_PROVIDED goes with cluster type envoy.clusters.redis, and only with it")
	}
	// CLUSTER_PROVIDED leaves placement to the cluster type; Pick is
	// random then.
	if c.LBPolicy != config.ClusterProvided {
		if err := lb.OptionsFor(c).Validate(c.LBPolicy); err != nil {
			return invalid(c.Name, "lb_policy %v: %v", c.LBPolicy, err)
		}
	}
	switch c.DNSLookupFamily {
	case "", "auto", "v4_only", "v6_only", "v4_preferred", "all":
	default:
		return invalid(c.Name, "dns_lookup_family %q", c.DNSLookupFamily)
	}
	switch c.Type {
	case config.Static:
		if c.LoadAssignment == nil {
			return invalid(c.Name, "STATIC cluster has no load_assignment")
		}
		if err := validateAssignment(c.Name, c.LoadAssignment); err != nil {
			return err
		}
	case config.StrictDNS, config.LogicalDNS:
		if c.LoadAssignment == nil {
			return invalid(c.Name, "%v cluster has no load_assignment", c.Type)
		}
		if err := validatePriorities(c.Name, c.LoadAssignment); err != nil {
			return err
		}
		n := 0
		for _, loc := range c.LoadAssignment.Localities {
			for _, ep := range loc.Endpoints {
				n++
				if ep.Address.Host == "" || ep.Address.Port == 0 || ep.Address.Port > 65535 {
					return invalid(c.Name, "endpoint address %q", ep.Address)
				}
			}
		}
		if c.Type == config.LogicalDNS && n != 1 {
			return invalid(c.Name, "LOGICAL_DNS cluster needs exactly one endpoint, has %d", n)
		}
	case config.RedisClusterType:
		if err := validateProvided(c); err != nil {
			return err
		}
	case config.EDS:
		if c.LoadAssignment != nil {
			if err := validateAssignment(c.Name, c.LoadAssignment); err != nil {
				return err
			}
		}
	default:
		return invalid(c.Name, "unknown cluster type %d", int(c.Type))
	}
	if len(c.HealthChecks) > maxHealthChecks {
		return invalid(c.Name, "%d health checks, at most %d", len(c.HealthChecks), maxHealthChecks)
	}
	for i, hc := range c.HealthChecks {
		if hc.Interval <= 0 || hc.Timeout <= 0 {
			return invalid(c.Name, "health_checks[%d]: interval and timeout must be positive", i)
		}
		if hc.IntervalJitter < 0 {
			return invalid(c.Name, "health_checks[%d]: negative interval_jitter", i)
		}
	}
	if od := c.OutlierDetection; od != nil {
		if od.MaxEjectionPercent > 100 || od.EnforcingConsecutive5xx > 100 || od.EnforcingConsecutiveLocalOriginFailure > 100 {
			return invalid(c.Name, "outlier_detection percentages must be <= 100")
		}
		if od.Interval < 0 || od.BaseEjectionTime < 0 || od.MaxEjectionTime < 0 {
			return invalid(c.Name, "outlier_detection durations must not be negative")
		}
	}
	return nil
}

// validateAssignment checks that every endpoint is an IP address and port
// and that priorities are contiguous.
func validateAssignment(cluster string, la *config.LoadAssignment) error {
	if err := validatePriorities(cluster, la); err != nil {
		return err
	}
	for _, loc := range la.Localities {
		for _, ep := range loc.Endpoints {
			if _, err := ipAddrPort(ep.Address); err != nil {
				return invalid(cluster, "%v", err)
			}
		}
	}
	return nil
}

func ipAddrPort(a config.Address) (netip.AddrPort, error) {
	ip, err := netip.ParseAddr(a.Host)
	if err != nil || ip.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("endpoint address %q is not an IP address", a.Host)
	}
	if a.Port == 0 || a.Port > 65535 {
		return netip.AddrPort{}, fmt.Errorf("endpoint %s: port %d out of range", a.Host, a.Port)
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(a.Port)), nil
}

// validatePriorities checks that the priorities used run from 0 without a
// gap, as Envoy requires; this also bounds the number of levels.
func validatePriorities(cluster string, la *config.LoadAssignment) error {
	used := make([]bool, len(la.Localities))
	for _, loc := range la.Localities {
		if int(loc.Priority) >= len(used) {
			return invalid(cluster, "priority %d is not contiguous from 0", loc.Priority)
		}
		used[loc.Priority] = true
	}
	for p, ok := range used {
		if !ok && slices.Contains(used[p:], true) {
			return invalid(cluster, "priorities skip %d", p)
		}
	}
	return nil
}

// validateProvided checks a cluster whose Provider discovers its hosts
// (envoy.clusters.redis): its type has a registered Provider, and its
// load assignment names at least one seed, by IP address or host name.
func validateProvided(c *config.Cluster) error {
	if providerFactory(c.Type) == nil {
		return invalid(c.Name, "cluster type %v is not available in this build (no provider registered)", c.Type)
	}
	if c.Type == config.RedisClusterType && c.RedisCluster == nil {
		return invalid(c.Name, "%v cluster has no RedisClusterConfig", c.Type)
	}
	if c.LoadAssignment == nil {
		return invalid(c.Name, "%v cluster has no load_assignment (its seeds)", c.Type)
	}
	n := 0
	for _, loc := range c.LoadAssignment.Localities {
		for _, ep := range loc.Endpoints {
			n++
			if ep.Address.Host == "" || ep.Address.Port == 0 || ep.Address.Port > 65535 {
				return invalid(c.Name, "seed address %q", ep.Address)
			}
		}
	}
	if n == 0 {
		return invalid(c.Name, "%v cluster has no seed endpoints", c.Type)
	}
	return nil
}
